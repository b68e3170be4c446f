#!/usr/bin/env bash
# Scale-out benchmark: delivered WebSocket msg/s with 1, 2 and 3 Living Map replicas in cluster
# mode (separate JVMs) on one nats-server (JetStream) and one embedded PostgreSQL, the same total
# clients split over the replicas. Usage: bench/replicas.sh [seconds-per-step]   (default 10)
# -Dbench.clients=1000 -Dbench.rate=100 -Dbench.replicas=1,2,3 via BENCH_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipWebBuild=true test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
CP="target/classes:target/test-classes:$(cat target/bench-classpath.txt)"
exec java -Xmx1g ${BENCH_OPTS:-} -Dlogback.configurationFile=bench/logback-bench.xml -cp "$CP" org.daarion.livingmap.stream.bench.ReplicasBench "${1:-10}"
