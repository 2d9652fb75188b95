#!/usr/bin/env bash
# Load benchmark: distinct, signed events over keep-alive connections into
# asc-webhookd (a rule matches every event, so each one commits an event and
# a job, durably), against nginx answering a static 200 on the same machine
# in the same run: the HTTP ceiling. Reports both and their ratio.
#
# Usage: bench/run.sh [DURATION_S=15] [CONNECTIONS=64]
#   BENCH_SINK=down  the rule's target refuses connections (a downstream
#                    outage): every job retries with backoff and a backlog
#                    queues behind each instance's first job meanwhile.
#   BENCH_PERF=FILE  a perf profile of the daemon under load, as text.
#   BENCH_CEILING=1  also measure the daemon's HTTP path alone: a separate
#                    build (build/bench-ceiling) that verifies, parses and
#                    matches each event, then answers without storing it.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
CONNS=${2:-64}
THREADS=2
EVENTS=${BENCH_EVENT_COUNT:-600000}

scripts/deps.sh
for p in wrk nginx-light sqlite3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING="${MISSING:-} $p"
done
if [ -n "${MISSING:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
fi
cmake --preset release >/dev/null
cmake --build --preset release --target asc-webhookd bench_make_events >/dev/null
if [ -n "${BENCH_CEILING:-}" ]; then  # built before anything is measured
  cmake -S . -B build/bench-ceiling -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    -DASC_WEBHOOKD_TESTS=OFF -DASC_WEBHOOKD_BENCH_CEILING=ON >/dev/null
  cmake --build build/bench-ceiling --target asc-webhookd -j2 >/dev/null
fi

WORK=$(mktemp -d /tmp/asc-webhookd-bench.XXXXXX)
cleanup() {
  [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

NGINX_PORT=18181
DAEMON_PORT=18182
CEILING_PORT=18183
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx; uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { default_type application/json; return 200 '{"status":"accepted"}'; }
  }
}
NGINX
nginx -c "$WORK/nginx.conf"

build/release/bench/bench_make_events "$EVENTS" bench-secret "$WORK/events.tsv"
sync  # the events file's dirty pages are written back now, not during the daemon's fsyncs

SINK_URL="http://127.0.0.1:$NGINX_PORT/sink"
[ "${BENCH_SINK:-}" = down ] && SINK_URL="http://127.0.0.1:1/sink"  # nothing listens on port 1
cat > "$WORK/config.yaml" <<YAML
server:
  listen: 127.0.0.1:$DAEMON_PORT
  io_threads: 2
store:
  path: $WORK/state.db
delivery:
  concurrency: 4
log:
  level: warn
webhooks:
  - name: bench
    secret: bench-secret
rules:
  - name: forward-completed-uploads
    when: { event: buildUploadStateUpdated, to: COMPLETE }
    actions:
      - http: { url: "$SINK_URL" }
YAML
build/release/src/asc-webhookd serve --config "$WORK/config.yaml" 2>"$WORK/daemon.log" &
DAEMON=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$DAEMON_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

run_wrk() {  # URL PATH → the BENCH line
  BENCH_EVENTS="$WORK/events.tsv" BENCH_THREADS=$THREADS BENCH_PATH="$2" \
    wrk -t$THREADS -c"$CONNS" -d"${DURATION}s" --latency -s bench/post.lua "$1" | grep '^BENCH'
}
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

echo "== baseline: nginx static 200 (${DURATION}s, $CONNS connections, $THREADS wrk threads)"
BASE=$(run_wrk "http://127.0.0.1:$NGINX_PORT" /webhooks/bench); echo "$BASE"
echo "== asc-webhookd: verify, parse, match, commit event + job (fsync), answer"
if [ -n "${BENCH_PERF:-}" ]; then  # BENCH_PERF=FILE: a perf profile of the daemon under load, as text
  perf record -F 997 -g -p "$DAEMON" -o "$WORK/perf.data" -- sleep "$DURATION" >/dev/null 2>&1 &
  PERF=$!
fi
OURS=$(run_wrk "http://127.0.0.1:$DAEMON_PORT" /webhooks/bench); echo "$OURS"
if [ -n "${BENCH_PERF:-}" ]; then
  wait "$PERF" || true
  {
    echo "## CPU by thread"; perf report -i "$WORK/perf.data" --sort tid --stdio 2>/dev/null | grep -E '^ +[0-9]'
    echo "## inclusive (children)"; perf report -i "$WORK/perf.data" --children --percent-limit 2 --stdio -g none 2>/dev/null | grep -E '^ +[0-9]'
    echo "## self"; perf report -i "$WORK/perf.data" --no-children --percent-limit 0.5 --stdio -g none 2>/dev/null | grep -E '^ +[0-9]'
  } > "$BENCH_PERF" || true
  echo "perf profile: $BENCH_PERF"
fi

RSS_KB=$(grep VmHWM /proc/$DAEMON/status | awk '{print $2}')
STORED=$(sqlite3 "$WORK/state.db" "SELECT count(*) FROM events")
JOBS=$(sqlite3 "$WORK/state.db" "SELECT count(*) FROM jobs")
DELIVERED=$(sqlite3 "$WORK/state.db" "SELECT count(*) FROM jobs WHERE state = 'done'")
if [ -n "${BENCH_CEILING:-}" ]; then
  kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true  # its backlog's deliveries would share the CPU
  DAEMON=""
  sed -e "s|^  listen: .*|  listen: 127.0.0.1:$CEILING_PORT|" -e "s|state.db|ceiling.db|" "$WORK/config.yaml" > "$WORK/ceiling.yaml"
  build/bench-ceiling/src/asc-webhookd serve --config "$WORK/ceiling.yaml" 2>"$WORK/ceiling.log" &
  CEILING=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$CEILING_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "== asc-webhookd HTTP path alone (BENCH_CEILING build): verify, parse, match, answer; nothing stored"
  CEIL=$(run_wrk "http://127.0.0.1:$CEILING_PORT" /webhooks/bench); echo "$CEIL"
  kill "$CEILING"; wait "$CEILING" 2>/dev/null || true
fi
python_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
B_RPS=$(python_ratio "$(field "$BASE" requests)" "$(field "$BASE" duration_s)")
O_RPS=$(python_ratio "$(field "$OURS" requests)" "$(field "$OURS" duration_s)")
echo "== result"
echo "baseline_rps=$B_RPS asc_webhookd_rps=$O_RPS ratio=$(python_ratio "$O_RPS" "$B_RPS")"
if [ -n "${CEIL:-}" ]; then
  C_RPS=$(python_ratio "$(field "$CEIL" requests)" "$(field "$CEIL" duration_s)")
  echo "http_path_alone_rps=$C_RPS ratio=$(python_ratio "$C_RPS" "$B_RPS") p50_ms=$(field "$CEIL" p50_ms) p99_ms=$(field "$CEIL" p99_ms) (BENCH_CEILING build, nothing stored)"
fi
echo "asc_webhookd p50_ms=$(field "$OURS" p50_ms) p99_ms=$(field "$OURS" p99_ms) non2xx=$(field "$OURS" non2xx) errors=$(field "$OURS" errors) peak_rss_kb=$RSS_KB"
echo "jobs_delivered_by_the_end=$DELIVERED (to $SINK_URL, while the load ran)"
echo "events_stored=$STORED jobs_stored=$JOBS (requests answered 200: $(field "$OURS" requests) minus non2xx; wrapped ids answer 'duplicate')"
