#!/usr/bin/env bash
# Issue 14 item 3: GET /living-map/history?limit=200 at c=32 answered from memory, against the same
# page read from PostgreSQL in the same run. The database side asks with since= a sub-microsecond
# instant before any row (same rows, same order, but a bound memory does not take, so PostgreSQL
# answers); the two are interleaved. The pages metric says which source answered.
# Usage: bench/history-recent.sh [seconds-per-step] [scale]   scale: 100x (default) or today
# (the simulator's defaults). Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${1:-10}
SCALE=${2:-100x}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
# The shaded jar (without the web UI): it carries the embedded PostgreSQL.
mvn -B -q -DskipWebBuild=true -DskipTests package
CP=target/living-map.jar
WORK=$(mktemp -d /tmp/lm-history-recent.XXXXXX)
PORT=${PORT:-17827}
BASE="http://127.0.0.1:$PORT"
SIM=()
[ "$SCALE" = 100x ] && SIM=(--sim-microdaos 1200 --sim-daos 500 --sim-nodes 6000 --sim-agents 20000 --sim-rate 2000)
SVC_PID=
trap '[ -n "$SVC_PID" ] && kill "$SVC_PID" 2>/dev/null; wait 2>/dev/null || true' EXIT
echo "== starting the service ($SCALE, -Xmx614m), data in $WORK"
PORT=$PORT LIVING_MAP_DATA_DIR="$WORK/data" LIVING_MAP_SIM_PORT=0 \
  java -Xmx614m -Dlogback.configurationFile=bench/logback-bench.xml -cp "$CP" \
  org.daarion.livingmap.Main "${SIM[@]}" >"$WORK/service.log" 2>&1 &
SVC_PID=$!
pages() { # source -> pages answered so far (empty while the service is not up)
  { curl -s "$BASE/metrics" || true; } | awk -v s="$1" 'index($0, "living_map_history_pages_total{source=\"" s "\"")==1 {print $2}'
}
if [ "$SCALE" != 100x ]; then
  # Today's size (20 events/s) on a fresh data directory: memory holds every row in history, so
  # it answers with PostgreSQL's exact totals (before 2026-12-07 PostgreSQL answered until more
  # than 10,000 rows were in). Compare with LIVING_MAP_HISTORY_MEMORY_BYTES=0 in the environment
  # (memory off: PostgreSQL answers every page).
  sleep "${WARMUP:-60}"
  echo "memory bytes setting: ${LIVING_MAP_HISTORY_MEMORY_BYTES:-default}; rows: $(curl -s "$BASE/living-map/history?limit=1" | grep -o '"total":[0-9]*')"
  for round in 1 2 3; do
    wrk -t2 -c32 -d"${STEP}s" --latency "$BASE/living-map/history?limit=200" >"$WORK/today-$round.txt" 2>&1 || true
    echo "today-$round: $(awk '/Requests\/sec/{print $2}' "$WORK/today-$round.txt") req/s p50 $(awk '$1=="50%"{print $2}' "$WORK/today-$round.txt") p99 $(awk '$1=="99%"{print $2}' "$WORK/today-$round.txt")"
  done
  echo "pages: memory $(pages memory) database $(pages database)"
  exit 0
fi
# Until memory answers the newest page (more than 10,000 rows newer than anything before start).
for i in $(seq 1 300); do
  before=$(pages memory); before=${before:-0}
  curl -s -o /dev/null "$BASE/living-map/history?limit=200" || true
  after=$(pages memory); after=${after:-0}
  awk -v a="$after" -v b="$before" 'BEGIN{exit !(a > b)}' && break
  sleep 2
done
echo "memory answering after ~$((i * 2)) s; total rows: $(curl -s "$BASE/living-map/history?limit=1" | grep -o '"total":[0-9]*')"
DB_URL="$BASE/living-map/history?limit=200&since=2000-01-01T00:00:00.0000001Z"
run() { # name url
  wrk -t2 -c32 -d"${STEP}s" --latency "$2" >"$WORK/$1.txt" 2>&1 || true
  echo "$1: $(awk '/Requests\/sec/{print $2}' "$WORK/$1.txt") req/s p50 $(awk '$1=="50%"{print $2}' "$WORK/$1.txt") p99 $(awk '$1=="99%"{print $2}' "$WORK/$1.txt") $(grep -E 'Non-2xx|Socket errors' "$WORK/$1.txt" | tr '\n' ' ')"
}
for round in 1 2; do
  m0=$(pages memory); d0=$(pages database)
  run "memory-$round" "$BASE/living-map/history?limit=200"
  m1=$(pages memory); d1=$(pages database)
  echo "   pages: memory +$(python3 -c "print(int($m1-$m0))") database +$(python3 -c "print(int($d1-$d0))")"
  run "database-$round" "$DB_URL"
  m2=$(pages memory); d2=$(pages database)
  echo "   pages: memory +$(python3 -c "print(int($m2-$m1))") database +$(python3 -c "print(int($d2-$d1))")"
done
echo "logs and raw outputs in $WORK"
