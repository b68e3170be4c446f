#!/usr/bin/env bash
# Issue 3 history query benchmark: p50/p99 of GET /living-map/history with 5 million rows in the
# embedded PostgreSQL. Options: -Dbench.rows=N -Dbench.requests=N
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipWebBuild=true test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -Xmx1g "$@" -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  org.daarion.livingmap.bench.HistoryQueryBenchmark
