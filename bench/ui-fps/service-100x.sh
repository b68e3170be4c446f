#!/usr/bin/env bash
# The web UI's first draw and panning fps against the real service at 100x DAARION:
# target/living-map.jar on the simulator with --sim-microdaos 1200 --sim-daos 500
# --sim-nodes 6000 --sim-agents 20000 --sim-rate 2000 (27,700 entities, 2,000 events/s) and the
# deployment manifest's heap (-Xmx614m), then bench/ui-fps/bench.mjs against it (BENCH_URL).
#
#   mvn -B -q -DskipTests package
#   flock /tmp/bench.lock bench/ui-fps/service-100x.sh
#
# BENCH_RUNS=3 runs the bench three times against the same service (a fresh Chromium each time:
# the first draw varies from run to run on a shared machine). Other BENCH_* variables go to the
# bench (BENCH_PAN_MS, BENCH_LAYERS, BENCH_SHOTS). SERVICE_JAVA_OPTS replaces -Xmx614m.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=${JAR:-target/living-map.jar}
[ -f "$JAR" ] || { echo "$JAR not found: mvn -B -q -DskipTests package" >&2; exit 2; }
# Chromium and the page's dependencies, installed as the e2e suite installs them when missing.
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "Chromium is missing: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2; exit 2; }
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
fi
[ -d web/node_modules/playwright-core ] || (cd web && npm ci --no-audit --no-fund >/dev/null)
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
WORK=$(mktemp -d)
URL=http://127.0.0.1:$PORT
echo "== starting $JAR at 100x on port $PORT (data in $WORK)"
PORT=$PORT LIVING_MAP_DATA_DIR="$WORK/data" LIVING_MAP_SIM_PORT=0 \
  java ${SERVICE_JAVA_OPTS:--Xmx614m} -jar "$JAR" \
  --sim-microdaos 1200 --sim-daos 500 --sim-nodes 6000 --sim-agents 20000 --sim-rate 2000 \
  >"$WORK/service.log" 2>&1 &
PID=$!
stop() {
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap stop EXIT

# until the simulator's polls have brought every entity in (bounded: 3 minutes)
START=$SECONDS
n=0
while [ $((SECONDS - START)) -lt 180 ]; do
  kill -0 "$PID" 2>/dev/null || { echo "the service exited:" >&2; tail -40 "$WORK/service.log" >&2; exit 1; }
  n=$(curl -s -m 5 "$URL/living-map/health" 2>/dev/null | grep -o '"entities":[0-9]*' | head -1 | cut -d: -f2 || true)
  [ "${n:-0}" -ge 27700 ] && break
  sleep 1
done
echo "== $n entities after $((SECONDS - START)) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "${n:-0}" -ge 27000 ] || { echo "not all entities came in" >&2; tail -40 "$WORK/service.log" >&2; exit 1; }

for run in $(seq 1 "${BENCH_RUNS:-1}"); do
  echo "== run $run, $(date -u +%H:%M:%S) UTC, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  BENCH_URL=$URL BENCH_SIZE=100x node bench/ui-fps/bench.mjs
done
