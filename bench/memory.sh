#!/usr/bin/env bash
# Issue 13 part 2: the memory budget under 1 MB events. For each run: a real nats-server (JetStream
# on) on a free port, the packaged service (target/living-map.jar) as a child JVM with
# -Xmx512m -XX:+ExitOnOutOfMemoryError -XX:+HeapDumpOnOutOfMemoryError and its embedded PostgreSQL
# in a temporary directory; 1,000 events of ~1,000,000 bytes published (JetStream: publish acks;
# core: as fast as it can); then 4 rounds of 8 parallel GET /living-map/history?limit=1000.
# Usage: bench/memory.sh [core|jetstream|both] [runs]   (default: both 1)
# Options (before the mode, or via BENCH_OPTS): -Dbench.heap=256m, -Dbench.events=N,
# -Dbench.size=BYTES, -Dbench.rounds=R, -Dbench.parallel=P, -Dbench.histoAtMiB=MiB (class
# histograms while the heap is above MiB), -Dbench.env.NAME=value (a service setting).
# Needs nats-server on PATH (or /usr/sbin/nats-server) and jstat/jcmd (the JDK).
set -euo pipefail
cd "$(dirname "$0")/.."
opts=()
while [[ $# -gt 0 && "$1" == -D* ]]; do opts+=("$1"); shift; done
[[ -f target/living-map.jar ]] || mvn -B -o -q -DskipTests package
mvn -B -q -DskipWebBuild=true test-compile
# The shaded jar carries every class the benchmark needs (jnats, Vert.x JSON); the offline Maven
# repository here cannot resolve the dependency plugin for dependency:build-classpath.
exec java -Xmx1g ${BENCH_OPTS:-} "${opts[@]}" -Dlogback.configurationFile=bench/logback-bench.xml \
  -cp "target/test-classes:target/living-map.jar" \
  org.daarion.livingmap.bench.MemoryBench "${1:-both}" "${2:-1}"
