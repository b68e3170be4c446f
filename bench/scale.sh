#!/usr/bin/env bash
# Issue 14: the service at 100x DAARION (simulator: 1,200 microDAOs, 500 DAOs, 6,000 nodes, 20,000
# agents = 27,700 entities, 2,000 events/s) with the deployment manifest's JVM settings (-Xmx614m,
# MALLOC_ARENA_MAX=2, -XX:MaxGCPauseMillis=40, -XX:G1MixedGCCountTarget=16, -XX:G1HeapWastePercent=10, -XX:TrimNativeHeapInterval=5000, -XX:+UseStringDeduplication;
# docs/OPERATIONS.md), on loopback:
#   - GET /living-map/snapshot, c=32, Accept-Encoding: gzip, against nginx serving the same gzip
#     bytes as a static file in the same run (wrk --latency, interleaved);
#   - GET /living-map/history?limit=200, c=32 (p99);
#   - 100 WebSocket clients connecting at once: time until each has its snapshot frame, plain and
#     with permessage-deflate, twice each (the first burst meets a cold stream path), each burst
#     then held 5 s at the full event rate (bench/ws_burst.py: a raw client that parses only frame
#     headers, so that the client on the same 2 cores is not what is measured);
#   - RSS (sampled through the run) and the JVM's native memory summary;
#   - GET /living-map/diff for two instants a minute apart (nodes and agents), both rebuilt, then
#     from the first instant up to now (the live state, as the UI's "what changed" asks), with the
#     default snapshot settings (every 5 minutes or 100,000 events; until 2026-12-07 this script
#     stored one every 30 s instead).
# Usage: bench/scale.sh [seconds-per-load-step]   (default 10). Needs nginx and wrk (Debian:
# apt-get install nginx-light wrk; installed here when missing). Prints a summary at the end.
# SCALE_JAVA_OPTS adds JVM options (e.g. -Xlog:gc:file=/tmp/gc.log, a JFR recording).
# ATTACH_PID=<pid> PORT=<port> measures a service already running at 100x instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${1:-10}
command -v nginx >/dev/null && command -v wrk >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
}
NGINX=$(command -v nginx)
mvn -B -q -DskipWebBuild=true compile test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
CP="target/classes:target/test-classes:$(cat target/bench-classpath.txt)"

WORK=$(mktemp -d /tmp/lm-scale.XXXXXX)
# mktemp makes the directory 0700, and nginx's workers (started by root, they run as nobody) could
# not read the file under it: every nginx answer was a 153-byte 404, measured as the reference.
chmod 755 "$WORK"
PORT=${PORT:-17817}
NGINX_PORT=${NGINX_PORT:-17818}
SVC_PID=
NGINX_STARTED=
cleanup() {
  [ -n "$SVC_PID" ] && kill "$SVC_PID" 2>/dev/null && wait "$SVC_PID" 2>/dev/null || true
  [ -n "$NGINX_STARTED" ] && "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true
  [ -n "${SAMPLER_PID:-}" ] && kill "$SAMPLER_PID" 2>/dev/null || true
}
trap cleanup EXIT
BASE="http://127.0.0.1:$PORT"

if [ -n "${ATTACH_PID:-}" ]; then
  # Measure a service already running at 100x on $PORT (left running).
  echo "== attached to the service pid $ATTACH_PID on port $PORT"
  RUN_PID=$ATTACH_PID
else
  echo "== starting the service at 100x (-Xmx614m), data in $WORK"
  PORT=$PORT LIVING_MAP_DATA_DIR="$WORK/data" LIVING_MAP_SIM_PORT=0 \
    LIVING_MAP_WS_COMPRESSION=true MALLOC_ARENA_MAX=2 \
    java -Xmx614m -XX:MaxGCPauseMillis=40 -XX:G1MixedGCCountTarget=16 -XX:G1HeapWastePercent=10 -XX:TrimNativeHeapInterval=5000 -XX:+UseStringDeduplication -XX:NativeMemoryTracking=summary ${SCALE_JAVA_OPTS:-} -Dlogback.configurationFile=bench/logback-bench.xml \
    -cp "$CP" org.daarion.livingmap.Main \
    --sim-microdaos 1200 --sim-daos 500 --sim-nodes 6000 --sim-agents 20000 --sim-rate 2000 \
    >"$WORK/service.log" 2>&1 &
  SVC_PID=$!
  RUN_PID=$SVC_PID
fi
# Until the polls have brought every entity in (or the count has not grown for 60 s; at most 3 min).
n=0; last=-1; still=0
for i in $(seq 1 90); do
  n=$(curl -s -m 10 -H 'Accept-Encoding: gzip' "$BASE/living-map/snapshot" 2>/dev/null | gzip -dc 2>/dev/null \
    | grep -o '"entities_total":[0-9]*' | cut -d: -f2 || true)
  n=${n:-0}
  [ "$n" -ge 27700 ] && break
  if [ "$n" -eq "$last" ] && [ "$n" -gt 0 ]; then still=$((still + 2)); [ "$still" -ge 60 ] && break; else still=0; fi
  last=$n
  sleep 2
done
echo "entities: $n"
(while kill -0 "$RUN_PID" 2>/dev/null; do awk '/VmRSS/{print $2}' /proc/$RUN_PID/status; sleep 1; done) >"$WORK/rss.txt" &
SAMPLER_PID=$!
T1=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
T1_EPOCH=$(date +%s)
echo "diff instant 1: $T1"

# The same gzip bytes the service serves, as a static file behind nginx.
mkdir -p "$WORK/nginx/html" "$WORK/nginx/logs"
curl -s -H 'Accept-Encoding: gzip' "$BASE/living-map/snapshot" -o "$WORK/nginx/html/snapshot.json.gz"
GZ=$(stat -c %s "$WORK/nginx/html/snapshot.json.gz")
RAW=$(gzip -dc "$WORK/nginx/html/snapshot.json.gz" | wc -c)
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $WORK/nginx/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /living-map/snapshot {
      root $WORK/nginx/html;
      default_type application/json;
      add_header Content-Encoding gzip;
      try_files /snapshot.json.gz =404;
    }
  }
}
CONF
mkdir -p "$WORK/nginx/tmp"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
NGINX_STARTED=1
echo "snapshot: $RAW bytes, $GZ gzipped"
# The reference must serve the same bytes: status and size checked before anything is measured.
got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$NGINX_PORT/living-map/snapshot")
[ "$got" = "200 $GZ" ] || { echo "nginx answers '$got', not '200 $GZ': no reference, stopping" >&2; exit 1; }

wrk_run() { # name url
  wrk -t2 -c32 -d"${STEP}s" --latency -H 'Accept-Encoding: gzip' "$2" >"$WORK/$1.txt" 2>&1 || true
  local rps p50 p99
  rps=$(awk '/Requests\/sec/{print $2}' "$WORK/$1.txt")
  p50=$(awk '$1=="50%"{print $2}' "$WORK/$1.txt")
  p99=$(awk '$1=="99%"{print $2}' "$WORK/$1.txt")
  # Any answer but 2xx/3xx makes the rate meaningless (an error page is cheap): say so.
  local bad
  bad=$(awk '/Non-2xx or 3xx responses/{print $NF}' "$WORK/$1.txt")
  echo "$1: ${rps} req/s p50 ${p50} p99 ${p99}${bad:+ NON-2xx/3xx ANSWERS: $bad}"
}
echo "== snapshot c=32 gzip, service and nginx interleaved"
wrk_run snapshot-service-1 "$BASE/living-map/snapshot"
wrk_run snapshot-nginx-1 "http://127.0.0.1:$NGINX_PORT/living-map/snapshot"
wrk_run snapshot-service-2 "$BASE/living-map/snapshot"
wrk_run snapshot-nginx-2 "http://127.0.0.1:$NGINX_PORT/living-map/snapshot"

echo "== history?limit=200 c=32"
wrk_run history "$BASE/living-map/history?limit=200"

echo "== 100 simultaneous stream connects, plain and permessage-deflate, twice (first: cold)"
for round in 1 2; do
  python3 bench/ws_burst.py 127.0.0.1 "$PORT" 100 false 5 || true
  python3 bench/ws_burst.py 127.0.0.1 "$PORT" 100 true 5 || true
done
# 100 sockets at 2,000 events/s each are 200,000 messages/s: what the server could not deliver
# shows as queue overflows and resyncs (each one a fresh snapshot to that socket).
echo "stream counters after the bursts: $(curl -s "$BASE/metrics" \
  | grep -E '^living_map_ws_(connects_total|drops_total|resyncs_total|messages_sent_total|messages_compressed_total)' | tr '\n' ' ')"

echo "== native memory (NMT summary, committed KB)"
jcmd "$RUN_PID" VM.native_memory summary 2>/dev/null | grep -E "^Total|^-\s+(Java Heap|Class|Thread|Code|GC|Internal|Other|Metaspace|Symbol|Arena)" || true

now=$(date +%s)
wait_s=$((T1_EPOCH + 62 - now))
[ "$wait_s" -gt 0 ] && { echo "== waiting ${wait_s}s for the second diff instant"; sleep "$wait_s"; }
T2=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 2
echo "== diff $T1 .. $T2 (type=node,agent)"
start=$(date +%s%N)
curl -s "$BASE/living-map/diff?from=$T1&to=$T2&type=node,agent&limit=1000" -o "$WORK/diff.json" -w 'status %{http_code} bytes %{size_download}\n'
echo "diff first page took $(( ($(date +%s%N) - start) / 1000000 )) ms"
python3 - "$WORK/diff.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if "counts" not in d:
    print(d); sys.exit(0)
print("diff counts", d["counts"], "has_more", d["has_more"], "from", d["from"], "to", d["to"])
ch = d["changed"]
types = {}
for c in ch:
    types[c["type"]] = types.get(c["type"], 0) + 1
print("changed on this page by type", types, "example", json.dumps(ch[0])[:300] if ch else None)
PY
start=$(date +%s%N)
curl -s "$BASE/living-map/diff?from=$T1&to=$T2&type=node,agent&limit=1000&cursor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("next_cursor",""))' "$WORK/diff.json")" -o /dev/null -w 'diff next page: status %{http_code} bytes %{size_download}\n'
echo "diff next page took $(( ($(date +%s%N) - start) / 1000000 )) ms"
# The UI's "what changed" up to now: the to side is the live state (one rebuild, not two).
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
start=$(date +%s%N)
curl -s "$BASE/living-map/diff?from=$T1&to=$NOW&type=node,agent&limit=1000" -o "$WORK/diff-now.json" -w 'diff up to now: status %{http_code} bytes %{size_download}\n'
echo "diff up to now, first page took $(( ($(date +%s%N) - start) / 1000000 )) ms"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("diff up to now: counts", d.get("counts"), "to", d.get("to"))' "$WORK/diff-now.json"

kill "$SAMPLER_PID" 2>/dev/null || true
echo "== RSS: max $(sort -n "$WORK/rss.txt" | tail -1) KB, last $(tail -1 "$WORK/rss.txt") KB over $(wc -l <"$WORK/rss.txt") samples"
echo "logs and raw outputs in $WORK"
