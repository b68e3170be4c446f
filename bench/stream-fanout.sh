#!/usr/bin/env bash
# Fan-out benchmark of /living-map/stream against nats-server's WebSocket listener (loopback).
# Usage: bench/stream-fanout.sh [seconds-per-step]   (default 5; NATS_SERVER=/usr/sbin/nats-server)
# Runs 1,000 clients at 100/200/500/1,000 events/s and 100 clients at 10,000 events/s on each
# server; prints delivered msg/s, publish-to-receive p50/p99 and the server's CPU and RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipWebBuild=true test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
CP="target/classes:target/test-classes:$(cat target/bench-classpath.txt)"
exec java -Xmx1g ${BENCH_OPTS:-} -Dlogback.configurationFile=bench/logback-bench.xml -cp "$CP" org.daarion.livingmap.stream.bench.StreamFanoutBench "${1:-5}"
