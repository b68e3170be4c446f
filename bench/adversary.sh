#!/usr/bin/env bash
# Issue 13 part 5: the adversary suite's long mode. Every jqwik property of the suite (tag
# "adversary": generated paths, query strings, events, WebSocket client frames, and the oracles
# other workers add) runs TRIES tries against one real service (real NATS, real PostgreSQL).
# Usage: bench/adversary.sh [TRIES]   (default 1000; the normal test command runs 60)
# Prints each property's tries and time; the figures go to docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
TRIES="${1:-1000}"
start=$(date +%s)
mvn -B -DskipWebBuild=true test \
  -Dtest='**/adversary/*' -Dadversary.tries="$TRIES" > target/adversary.log 2>&1 \
  || { tail -50 target/adversary.log; exit 1; }
end=$(date +%s)
report=target/surefire-reports/org.daarion.livingmap.adversary.AdversaryTest-output.txt
grep -E "^timestamp|^tries =|^checks =|^seed =" "$report" || true
grep -E "Tests run:.*AdversaryTest" \
  target/surefire-reports/org.daarion.livingmap.adversary.AdversaryTest.txt
echo "adversary suite: ${TRIES} tries per property, $((end - start)) s wall time"
