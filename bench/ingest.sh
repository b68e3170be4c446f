#!/usr/bin/env bash
# Issue 3 ingest benchmark: 200,000 events through NATS JetStream into the live state and the
# PostgreSQL history, against a COPY of the same rows. Needs nats-server on PATH (or
# /usr/sbin/nats-server). Prints a cold phase (the first 200,000 events of a service that has
# just started) and a warm one (200,000 more after 500,000 warm-up events, the steady state).
# Options: -Dbench.events=N, -Dbench.warmup=W (0: cold only), -Dbench.env.LIVING_MAP_HISTORY_BATCH=2000 ...
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipWebBuild=true test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -Xmx2g "$@" -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  org.daarion.livingmap.bench.IngestBenchmark
