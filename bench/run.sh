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
#   BENCH_CEILING=0  skip the daemon's HTTP path alone (by default measured:
#                    a separate build, build/bench-ceiling, that verifies,
#                    parses and matches each event, then answers without
#                    storing it).
#   BENCH_BASELINE="BIN ..."  the durable row (and, in a full run, the low-load
#                    and idle rows) again through other builds of the daemon
#                    (older releases), same config, in the same run.
#   BENCH_BIN=BIN    the build measured in the durable row (default: this one).
#   BENCH_ONLY=durable  a quick run: nginx, durable, duplicate, drain and the
#                    baseline rows only.
#   BENCH_POSTGRES=0  skip the PostgreSQL rows (one replica, also through each
#                    BENCH_BASELINE build; two behind nginx).
#
# Rows, all in one run (ratios against this run's nginx): nginx; durable
# ingest of distinct events, and whether every acknowledged event had its
# jobs when the load stopped; the duplicate path; the backlog's drain rate
# once ingest is idle; the HTTP path alone; adnanh/webhook (Debian's
# `webhook`, an HMAC rule running /bin/true); low load (50 events/s on one
# connection: ack and event -> action latency, bench/lowload.py); idle CPU
# ticks and RSS over 30 s; CPU per event with 5,000 rules vs one.
. "$(dirname "$0")/../scripts/lib/strict.sh"
cd "$(dirname "$0")/.."
. bench/lib.sh
DURATION=${1:-15}
CONNS=${2:-64}
THREADS=2
EVENTS=${BENCH_EVENT_COUNT:-600000}

scripts/deps.sh
for p in wrk nginx-light sqlite3 webhook python3 postgresql; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING="${MISSING:-} $p"
done
if [ -n "${MISSING:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
fi
cmake --preset release >/dev/null
cmake --build --preset release --target asc-webhookd bench_make_events bench_store_floor >/dev/null
BENCH_CEILING=${BENCH_CEILING:-1}
[ "${BENCH_ONLY:-}" = durable ] && BENCH_CEILING=0  # a quick run: nginx, durable, duplicate, drain, baseline
if [ "$BENCH_CEILING" != 0 ]; then  # built before anything is measured
  cmake -S . -B build/bench-ceiling -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    -DASC_WEBHOOKD_TESTS=OFF -DASC_WEBHOOKD_BENCH_CEILING=ON >/dev/null
  cmake --build build/bench-ceiling --target asc-webhookd -j2 >/dev/null
fi

WORK=$(mktemp -d /tmp/asc-webhookd-bench.XXXXXX)
cleanup() {
  [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null || true
  [ -n "${OTHER:-}" ] && kill "$OTHER" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  [ -f "$WORK/proxy.pid" ] && kill "$(cat "$WORK/proxy.pid")" 2>/dev/null || true
  [ -n "${PG_DIR:-}" ] && scripts/test_postgres.sh stop "$PG_DIR" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

NGINX_PORT=18181
DAEMON_PORT=18182
CEILING_PORT=18183
ADNANH_PORT=18184
SINK_PORT=18185
PROXY_PORT=18186
nginx_conf "$NGINX_PORT" 1
nginx -c "$WORK/nginx.conf"

build/release/bench/bench_make_events "$EVENTS" bench-secret "$WORK/events.tsv"
sync  # the events file's dirty pages are written back now, not during the daemon's fsyncs

SINK_URL="http://127.0.0.1:$NGINX_PORT/sink"
[ "${BENCH_SINK:-}" = down ] && SINK_URL="http://127.0.0.1:1/sink"  # nothing listens on port 1

start() {  # BINARY PORT CONFIG → $OTHER
  "$1" serve --config "$3" 2>>"$WORK/daemon.log" &
  OTHER=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the daemon on port $2 did not start:"; cat "$WORK/daemon.log"; exit 1
}
stop() { kill "$OTHER" 2>/dev/null || true; wait "$OTHER" 2>/dev/null || true; OTHER=""; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # user + system CPU, in clock ticks
HZ=$(getconf CLK_TCK)

run_wrk() {  # URL PATH [DURATION] → the BENCH line
  BENCH_EVENTS="$WORK/events.tsv" BENCH_THREADS=$THREADS BENCH_PATH="$2" \
    wrk -t$THREADS -c"$CONNS" -d"${3:-$DURATION}s" --latency -s bench/post.lua "$1" | grep '^BENCH'
}
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
rps() { ratio "$(field "$1" requests)" "$(field "$1" duration_s)"; }
q() { sqlite3 "$WORK/state.db" "$1"; }

echo "== nginx static 200 (${DURATION}s, $CONNS connections, $THREADS wrk threads): the machine's HTTP ceiling"
BASE=$(run_wrk "http://127.0.0.1:$NGINX_PORT" /webhooks/bench); echo "$BASE"
B_RPS=$(rps "$BASE")

daemon_config "$DAEMON_PORT" state.db "$SINK_URL" > "$WORK/config.yaml"
start "${BENCH_BIN:-build/release/src/asc-webhookd}" "$DAEMON_PORT" "$WORK/config.yaml"
DAEMON=$OTHER; OTHER=""
echo "== asc-webhookd durable ingest: verify, parse, match, commit event + job (fsync), answer"
perf_text() {  # FILE: the recorded profile ($WORK/perf.data) as text
  {
    echo "## CPU by thread"; perf report -i "$WORK/perf.data" --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]'
    echo "## inclusive (children)"; perf report -i "$WORK/perf.data" --children --percent-limit 2 --stdio -g none 2>/dev/null | grep -E '^ +[0-9]'
    echo "## self"; perf report -i "$WORK/perf.data" --no-children --percent-limit 0.5 --stdio -g none 2>/dev/null | grep -E '^ +[0-9]'
    # The serial bound: what the one writer thread spends its time on.
    echo "## store-writer, inclusive"; perf report -i "$WORK/perf.data" --comm store-writer --children --percent-limit 1.5 --stdio -g none 2>/dev/null | grep -E '^ +[0-9]'
  } > "$1" || true
}
if [ -n "${BENCH_PERF:-}" ] && [ "${BENCH_PERF_PHASE:-ingest}" = ingest ]; then  # BENCH_PERF=FILE: a perf profile of the daemon under load
  perf record -F 997 -g -p "$DAEMON" -o "$WORK/perf.data" -- sleep "$DURATION" >/dev/null 2>&1 &
  PERF=$!
fi
# per_thread_us TICKS_BEFORE TICKS_AFTER EVENTS: µs of CPU per acknowledged
# event, by thread name, then the largest store thread and all store threads
# together: where the durable path's time goes, and its serial bound.
per_thread_us() {
  { echo "$1" | sed 's/^/- /'; echo "$2" | sed 's/^/+ /'; } | awk -v n="$3" -v hz="$HZ" '
    { name = ($2 == "asc-webhookd" ? "io" : $2); t[name] += ($1 == "+" ? $3 : -$3) }
    END {
      for (k in t) if (t[k] > 0) {
        us = t[k] / hz * 1e6 / n; printf "%s=%.1f ", k, us
        if (k ~ /^store-/) { store += us; if (us > top) { top = us; topname = k } }
      }
      printf "| largest_store_thread=%s:%.1f store_threads_total=%.1f ", topname, top, store
    }'
}
TT0=$(thread_ticks "$DAEMON")
OURS=$(run_wrk "http://127.0.0.1:$DAEMON_PORT" /webhooks/bench); echo "$OURS"
UNPLANNED=$(q "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq)")
TT1=$(thread_ticks "$DAEMON")
THREAD_US=$(per_thread_us "$TT0" "$TT1" "$(field "$OURS" requests)")
if [ -n "${BENCH_PERF:-}" ] && [ -n "${PERF:-}" ]; then
  wait "$PERF" || true
  perf_text "$BENCH_PERF"
  echo "perf profile: $BENCH_PERF"
fi
JOBS=$(q "SELECT count(*) FROM jobs")
DELIVERED_DURING=$(q "SELECT count(*) FROM jobs WHERE state = 'done'")

sleep 1  # the requests in flight when wrk stopped are committed now
STORED=$(q "SELECT count(*) FROM events")
echo "== asc-webhookd duplicate path: the same ids again (all stored), answered 'duplicate'"
DUP_LIMIT=$(( STORED < 100000 ? STORED : 100000 ))
DUP=$(BENCH_LIMIT=$DUP_LIMIT run_wrk "http://127.0.0.1:$DAEMON_PORT" /webhooks/bench); echo "$DUP"
# wrk builds one request per thread it never sends, so an id or two of the
# re-posted range may not have been stored: counted, not hidden.
DUP_NEW=$(( $(q "SELECT count(*) FROM events") - STORED ))

echo "== the backlog drains to nginx with ingest idle (10 s)"
D0=$(q "SELECT count(*) FROM jobs WHERE state = 'done'"); T0=$(date +%s.%N)
if [ -n "${BENCH_PERF:-}" ] && [ "${BENCH_PERF_PHASE:-}" = drain ]; then
  perf record -F 997 -g -p "$DAEMON" -o "$WORK/perf.data" -- sleep 10 >/dev/null 2>&1; perf_text "$BENCH_PERF"
else
  sleep 10
fi
D1=$(q "SELECT count(*) FROM jobs WHERE state = 'done'"); T1=$(date +%s.%N)
DRAIN=$(awk -v a="$D0" -v b="$D1" -v s="$T0" -v e="$T1" 'BEGIN { printf "%.0f", (b - a) / (e - s) }')
RSS_KB=$(grep VmHWM /proc/$DAEMON/status | awk '{print $2}')
kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; DAEMON=""

BASELINES=""
for bin in ${BENCH_BASELINE:-}; do  # BENCH_BASELINE="BIN ...": the same durable row through other builds (older releases)
  daemon_config "$DAEMON_PORT" baseline.db "$SINK_URL" > "$WORK/baseline.yaml"
  rm -f "$WORK"/baseline.db*
  start "$bin" "$DAEMON_PORT" "$WORK/baseline.yaml"
  echo "== baseline build $bin: the same durable row"
  BT0=$(thread_ticks "$OTHER")
  BL=$(run_wrk "http://127.0.0.1:$DAEMON_PORT" /webhooks/bench); echo "$BL"
  BL_US=$(per_thread_us "$BT0" "$(thread_ticks "$OTHER")" "$(field "$BL" requests)")
  stop
  BASELINES="$BASELINES
baseline $bin durable_rps=$(rps "$BL") p99_ms=$(field "$BL" p99_ms) non2xx=$(field "$BL" non2xx) by_thread: $BL_US; durable/baseline=$(ratio "$(rps "$OURS")" "$(rps "$BL")")"
done

# The PostgreSQL store (BENCH_POSTGRES=0 skips it): the same durable row
# through one replica, then two replicas behind nginx (round robin), each
# on a fresh database of a private server (scripts/test_postgres.sh, fsync on).
if [ "${BENCH_POSTGRES:-1}" != 0 ] && [ "${BENCH_ONLY:-}" != durable ]; then
  PG_DIR=/tmp/asc-webhookd-bench-pg.$$
  PG_ADMIN=$(scripts/test_postgres.sh start "$PG_DIR")
  pg_database() { psql "$PG_ADMIN" -qAtc "CREATE DATABASE $1" >/dev/null; echo "postgresql://postgres@/$1?host=$PG_DIR"; }
  pg_config() { daemon_config "$1" unused.db "$SINK_URL" | sed "s|^  path: .*|  url: \"$2\"|"; }
  echo "== PostgreSQL store, one replica: the same durable row"
  pg_config "$DAEMON_PORT" "$(pg_database one)" > "$WORK/pg-one.yaml"
  start build/release/src/asc-webhookd "$DAEMON_PORT" "$WORK/pg-one.yaml"
  PG_ONE=$(run_wrk "http://127.0.0.1:$DAEMON_PORT" /webhooks/bench); echo "$PG_ONE"
  stop
  n=0
  for bin in ${BENCH_BASELINE:-}; do  # the same row through each baseline build (one with a PostgreSQL store)
    n=$((n + 1))
    echo "== baseline build $bin: PostgreSQL store, one replica"
    pg_config "$DAEMON_PORT" "$(pg_database "baseline$n")" > "$WORK/pg-baseline.yaml"
    start "$bin" "$DAEMON_PORT" "$WORK/pg-baseline.yaml"
    PG_BL=$(run_wrk "http://127.0.0.1:$DAEMON_PORT" /webhooks/bench); echo "$PG_BL"
    stop
    PG_BASELINES="${PG_BASELINES:-}
baseline $bin postgres_one_replica_rps=$(rps "$PG_BL") p99_ms=$(field "$PG_BL" p99_ms) non2xx=$(field "$PG_BL" non2xx); this/baseline=$(ratio "$(rps "$PG_ONE")" "$(rps "$PG_BL")")"
  done
  echo "== PostgreSQL store, two replicas behind nginx (round robin)"
  two=$(pg_database two)
  pg_config "$DAEMON_PORT" "$two" > "$WORK/pg-a.yaml"
  pg_config "$CEILING_PORT" "$two" > "$WORK/pg-b.yaml"
  start build/release/src/asc-webhookd "$DAEMON_PORT" "$WORK/pg-a.yaml"; REPLICA_A=$OTHER
  start build/release/src/asc-webhookd "$CEILING_PORT" "$WORK/pg-b.yaml"; REPLICA_B=$OTHER; OTHER=""
  nginx_proxy_conf "$PROXY_PORT" "$DAEMON_PORT" "$CEILING_PORT"
  nginx -c "$WORK/proxy.conf"
  PG_TWO=$(run_wrk "http://127.0.0.1:$PROXY_PORT" /webhooks/bench); echo "$PG_TWO"
  PG_TWO_STORED=$(psql "postgresql://postgres@/two?host=$PG_DIR" -qAtc "SELECT count(*) FROM events")
  kill "$(cat "$WORK/proxy.pid")"; rm -f "$WORK/proxy.pid"
  kill "$REPLICA_A" "$REPLICA_B"; wait "$REPLICA_A" "$REPLICA_B" 2>/dev/null || true
  scripts/test_postgres.sh stop "$PG_DIR"; PG_DIR=""
fi

if [ "$BENCH_CEILING" != 0 ]; then
  daemon_config "$CEILING_PORT" ceiling.db "$SINK_URL" > "$WORK/ceiling.yaml"
  start build/bench-ceiling/src/asc-webhookd "$CEILING_PORT" "$WORK/ceiling.yaml"
  echo "== asc-webhookd HTTP path alone (BENCH_CEILING build): verify, parse, match, answer; nothing stored"
  CEIL=$(run_wrk "http://127.0.0.1:$CEILING_PORT" /webhooks/bench); echo "$CEIL"
  stop
fi

if [ "${BENCH_ONLY:-}" != durable ]; then
echo "== adnanh/webhook $(webhook -version 2>/dev/null | awk '{print $3}'): HMAC-SHA256 rule, runs /bin/true, stores nothing"
adnanh_hooks
webhook -hooks "$WORK/hooks.json" -ip 127.0.0.1 -port "$ADNANH_PORT" >"$WORK/adnanh.log" 2>&1 &
OTHER=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$ADNANH_PORT/hooks/bench" && break; sleep 0.1; done
ADNANH=$(BENCH_SIG=github run_wrk "http://127.0.0.1:$ADNANH_PORT" /hooks/bench); echo "$ADNANH"
stop

# The low-load and idle rows of one build: "LOW; idle cpu_ticks_in_30s=N rss_kb=N".
low_and_idle() {
  daemon_config "$DAEMON_PORT" low.db "http://127.0.0.1:$SINK_PORT/sink" > "$WORK/low.yaml"
  rm -f "$WORK"/low.db*
  start "$1" "$DAEMON_PORT" "$WORK/low.yaml"
  local low i0 i1 rss
  low=$(python3 bench/lowload.py "$WORK/events.tsv" "$DAEMON_PORT" "$SINK_PORT" 50 20)
  sleep 2
  i0=$(ticks "$OTHER"); sleep 30; i1=$(ticks "$OTHER")
  rss=$(grep VmRSS /proc/$OTHER/status | awk '{print $2}')
  stop
  echo "$low; idle cpu_ticks_in_30s=$(( i1 - i0 )) (at $HZ per second) rss_kb=$rss"
}
echo "== low load: 50 events/s on one connection for 20 s, forwarded to a local sink; then idle for 30 s"
LOW=$(low_and_idle build/release/src/asc-webhookd); echo "$LOW"
LOW_BASELINES=""
for bin in ${BENCH_BASELINE:-}; do  # the same rows through the other builds, for an unchanged-or-better check
  echo "== baseline build $bin: the same low-load and idle rows"
  BLOW=$(low_and_idle "$bin"); echo "$BLOW"
  LOW_BASELINES="$LOW_BASELINES
low_load baseline $bin: $BLOW"
done

echo "== the store alone, without HTTP: its CPU per event against bare SQLite appends (bench/store_floor.cpp)"
mkdir -p "$WORK/floor"
FLOOR=$(build/release/bench/bench_store_floor 200000 "$WORK/floor"); echo "$FLOOR"

# 5,000: each rule is 17 YAML nodes, and a configuration is refused above
# 100,000 nodes (the alias-bomb bound), which 10,000 rules of this shape exceed.
echo "== CPU per event: one rule vs 5,000 rules (most not matching), 10 s of load each"
for i in $(seq 1 5000); do
  printf '  - name: r%d\n    when: { event: appStoreVersionAppVersionStateUpdated, to: S%d }\n    actions:\n      - http: { url: "%s" }\n' "$i" "$i" "$SINK_URL"
done > "$WORK/many-rules.yaml"
for variant in one many; do
  extra=""; [ "$variant" = many ] && extra="$WORK/many-rules.yaml"
  daemon_config "$DAEMON_PORT" "rules-$variant.db" "$SINK_URL" "$extra" > "$WORK/rules-$variant.yaml"
  start build/release/src/asc-webhookd "$DAEMON_PORT" "$WORK/rules-$variant.yaml"
  C0=$(ticks "$OTHER")
  R=$(run_wrk "http://127.0.0.1:$DAEMON_PORT" /webhooks/bench 10)
  C1=$(ticks "$OTHER")
  stop
  US=$(awk -v a="$C0" -v b="$C1" -v n="$(field "$R" requests)" -v hz="$HZ" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')
  eval "CPU_$variant=\$US; RPS_$variant=\$(rps \"\$R\")"
done

fi  # BENCH_ONLY

O_RPS=$(rps "$OURS"); D_RPS=$(rps "$DUP")
echo "== result (ratios against this run's nginx)"
echo "nginx_rps=$B_RPS"
echo "durable_rps=$O_RPS ratio=$(ratio "$O_RPS" "$B_RPS") p50_ms=$(field "$OURS" p50_ms) p99_ms=$(field "$OURS" p99_ms) non2xx=$(field "$OURS" non2xx) errors=$(field "$OURS" errors) peak_rss_kb=$RSS_KB"
if [ -n "${CEIL:-}" ]; then
  C_RPS=$(rps "$CEIL")
  echo "http_path_alone_rps=$C_RPS ratio=$(ratio "$C_RPS" "$B_RPS") p50_ms=$(field "$CEIL" p50_ms) p99_ms=$(field "$CEIL" p99_ms); durable/alone=$(ratio "$O_RPS" "$C_RPS")"
fi
echo "durable_cpu_us_per_event_by_thread: $THREAD_US(wrk and nginx not counted)"
[ -n "${FLOOR:-}" ] && echo "store_floor: $FLOOR"
echo "planned: events_stored=$STORED jobs_stored=$JOBS events_without_jobs_when_the_load_stopped=$UNPLANNED"
echo "duplicate_rps=$D_RPS ratio=$(ratio "$D_RPS" "$B_RPS") p99_ms=$(field "$DUP" p99_ms) new_events_stored=$DUP_NEW"
echo "delivery: jobs_done_during_the_load=$DELIVERED_DURING drain_with_ingest_idle_jobs_per_s=$DRAIN (to $SINK_URL)"
[ -n "$BASELINES" ] && echo "${BASELINES#?}"
if [ -n "${PG_ONE:-}" ]; then
  echo "postgres_one_replica_rps=$(rps "$PG_ONE") p99_ms=$(field "$PG_ONE" p99_ms) non2xx=$(field "$PG_ONE" non2xx); postgres/sqlite=$(ratio "$(rps "$PG_ONE")" "$(rps "$OURS")")"
  echo "postgres_two_replicas_behind_nginx_rps=$(rps "$PG_TWO") p99_ms=$(field "$PG_TWO" p99_ms) non2xx=$(field "$PG_TWO" non2xx) events_stored=$PG_TWO_STORED; two/one=$(ratio "$(rps "$PG_TWO")" "$(rps "$PG_ONE")")"
  [ -n "${PG_BASELINES:-}" ] && echo "${PG_BASELINES#?}"
fi
[ "${BENCH_ONLY:-}" = durable ] && exit 0
A_RPS=$(rps "$ADNANH")
echo "adnanh_webhook_rps=$A_RPS ratio=$(ratio "$A_RPS" "$B_RPS") non2xx=$(field "$ADNANH" non2xx); durable/adnanh=$(ratio "$O_RPS" "$A_RPS")"
echo "low_load: $LOW"
[ -n "$LOW_BASELINES" ] && echo "${LOW_BASELINES#?}"
echo "rules: cpu_us_per_event one_rule=$CPU_one (at $RPS_one/s) five_thousand_rules=$CPU_many (at $RPS_many/s) ratio=$(ratio "$CPU_many" "$CPU_one")"
