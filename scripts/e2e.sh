#!/usr/bin/env bash
# Browser end-to-end test of the web UI against the real service (builds nothing).
#
#   mvn -q package -DskipTests && scripts/e2e.sh
#
# Starts target/living-map.jar on embedded defaults on a free port with a fresh data dir,
# waits for /living-map/health, runs web/e2e/*.e2e.mjs in headless Chromium, stops the
# service and exits with the test's status. Screenshots land in test-artifacts/.
# E2E_MOCK=1 runs the same test against web/e2e/mock-server.mjs instead (no jar needed).
# Installs Debian's chromium (as root) and web/node_modules (npm ci) if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JAR=${JAR:-target/living-map.jar}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-180}

if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "e2e: installing chromium (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "e2e: Chromium is missing: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
    exit 2
  fi
fi
if [ ! -d web/node_modules/playwright-core ]; then
  echo "e2e: installing web dependencies (npm ci)"
  (cd web && npm ci --no-audit --no-fund >/dev/null)
fi

if [ "${E2E_MOCK:-}" = 1 ]; then
  [ -f target/classes/webroot/index.html ] || { echo "e2e: target/classes/webroot is not built (mvn generate-resources)" >&2; exit 2; }
  cd web && exec node --test --test-concurrency=1 e2e/*.e2e.mjs
fi

[ -f "$JAR" ] || { echo "e2e: $JAR not found: build it first (mvn package -DskipTests)" >&2; exit 2; }
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DATA=$(mktemp -d)
LOG=$(mktemp)
echo "e2e: starting $JAR on port $PORT (data $DATA)"
# alert rules that fire at once (the alerts test provokes one); E2E_ALERT_RULES to override
RULES=${E2E_ALERT_RULES:-$ROOT/web/e2e/alert-rules.e2e.yaml}
PORT=$PORT LIVING_MAP_DATA_DIR=$DATA LIVING_MAP_SIM_PORT=0 LIVING_MAP_ALERT_RULES=$RULES java -jar "$JAR" >"$LOG" 2>&1 &
PID=$!

stop() {
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  wait "$PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap stop EXIT

URL=http://127.0.0.1:$PORT
deadline=$((SECONDS + HEALTH_TIMEOUT))
until curl -fsS "$URL/living-map/health" >/dev/null 2>&1; do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "e2e: the service exited during start-up:" >&2; tail -50 "$LOG" >&2; exit 1
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "e2e: no healthy service after ${HEALTH_TIMEOUT}s:" >&2; tail -50 "$LOG" >&2; exit 1
  fi
  sleep 0.5
done
echo "e2e: service healthy at $URL"

set +e
(cd web && LIVING_MAP_URL=$URL ARTIFACTS_DIR="$ROOT/test-artifacts" node --test --test-concurrency=1 e2e/*.e2e.mjs)
STATUS=$?
set -e
if [ $STATUS -ne 0 ]; then echo "e2e: failed; last service log lines:" >&2; tail -30 "$LOG" >&2; fi
rm -f "$LOG"
exit $STATUS
