#!/usr/bin/env bash
# Scaling rows on a many-core machine: the daemon pinned (taskset) to 1, 2,
# 4 and 8 cores, wrk on 8 other cores, nginx (the sink, and the HTTP ceiling
# with 4 workers) on cores of its own; each event distinct and signed, one
# `http` rule delivering to nginx. Also a baseline build of the daemon on 4
# cores and adnanh/webhook with GOMAXPROCS=4 on 4 cores.
#
#   bench/scaling.sh --pack [BASELINE_BIN]   here: build/device/ holds the
#       binaries (the daemon, the baseline, wrk, nginx, webhook, the event
#       maker) and every shared library they load, with this machine's
#       dynamic loader, so they run on a machine that has none of them.
#   bench/scaling.sh [SECONDS=8]             there (16 cores or more): the rows.
. "$(dirname "$0")/../scripts/lib/strict.sh"
cd "$(dirname "$0")/.."
. bench/lib.sh
PACK=build/device

if [ "${1:-}" = --pack ]; then
  rm -rf "$PACK" && mkdir -p "$PACK/bin" "$PACK/lib"
  cp build/release/src/asc-webhookd "$PACK/bin/asc-webhookd"
  cp build/release/bench/bench_make_events "$PACK/bin/"
  [ -n "${2:-}" ] && cp "$2" "$PACK/bin/baseline"
  cp "$(command -v wrk)" /usr/sbin/nginx "$(command -v webhook)" "$PACK/bin/"
  for b in "$PACK"/bin/*; do
    ldd "$b" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib64/ { print $1 }' | while read -r lib; do
      cp -L "$lib" "$PACK/lib/" 2>/dev/null || true
    done
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$PACK/lib/"
  strip --strip-debug "$PACK"/bin/asc-webhookd "$PACK"/bin/baseline 2>/dev/null || true
  du -sh "$PACK"
  exit 0
fi

DURATION=${1:-8}
CORES=$(nproc)
[ "$CORES" -ge 16 ] || { echo "bench/scaling.sh needs 16 cores (this machine has $CORES)"; exit 1; }
run() { "$PACK/lib/ld-linux-x86-64.so.2" --library-path "$PACK/lib" "$@"; }
OUT=${OUT:-$(mktemp -d)}
WORK=$(mktemp -d /tmp/asc-webhookd-scaling.XXXXXX)
cleanup() { pkill -P $$ 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
DAEMON_CPUS() { echo "0-$(( $1 - 1 ))"; }  # the daemon on the first N cores
WRK_CPUS=8-15
NGINX_CPUS=$(( CORES > 16 ? 16 : 4 ))-$(( CORES > 16 ? 19 : 7 ))  # nginx apart from wrk (shares the daemon's 8-core row only on a 16-core machine)

run "$PACK/bin/bench_make_events" 2000000 bench-secret "$WORK/events.tsv"
nginx_conf 18181 4
taskset -c "$NGINX_CPUS" "$PACK/lib/ld-linux-x86-64.so.2" --library-path "$PACK/lib" "$PACK/bin/nginx" -c "$WORK/nginx.conf" -p "$WORK"

wrk_row() {  # URL PATH [SIG] → BENCH line
  BENCH_EVENTS="$WORK/events.tsv" BENCH_THREADS=8 BENCH_PATH="$2" BENCH_SIG="${3:-}" \
    taskset -c "$WRK_CPUS" "$PACK/lib/ld-linux-x86-64.so.2" --library-path "$PACK/lib" "$PACK/bin/wrk" \
    -t8 -c256 -d"${DURATION}s" --latency -s bench/post.lua "$1" | grep '^BENCH'
}
rps() { echo "$1" | tr ' ' '\n' | awk -F= '$1 == "requests" { r = $2 } $1 == "duration_s" { d = $2 } END { printf "%.0f", r / d }'; }

echo "== nginx return 200, 4 workers on cores $NGINX_CPUS"
R=$(wrk_row http://127.0.0.1:18181 /webhooks/bench); echo "$R"; echo "row nginx_4_workers rps=$(rps "$R")" | tee -a "$OUT/rows.txt"

daemon_row() {  # NAME BINARY CPUS
  IO_THREADS=$(( $3 > 1 ? $3 : 1 )) daemon_config 18182 "$1.db" http://127.0.0.1:18181/sink > "$WORK/$1.yaml"
  taskset -c "$(DAEMON_CPUS "$3")" "$PACK/lib/ld-linux-x86-64.so.2" --library-path "$PACK/lib" "$2" serve --config "$WORK/$1.yaml" 2>>"$WORK/daemon.log" &
  local pid=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/18182) 2>/dev/null && break; sleep 0.1; done
  local t0; t0=$(thread_ticks "$pid")
  local p0; p0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  local w0; w0=$(date +%s.%N)
  local r; r=$(wrk_row http://127.0.0.1:18182 /webhooks/bench); echo "$r"
  local t1; t1=$(thread_ticks "$pid")
  local p1; p1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  local w1; w1=$(date +%s.%N)
  # A check on the accounting: the daemon's CPU over the row's wall time
  # cannot exceed the cores it is pinned to.
  echo "  $(grep Cpus_allowed_list "/proc/$pid/status" | tr -s '\t' ' '); threads: $(ls "/proc/$pid/task" | wc -l);" \
    "process CPU ticks $p0 -> $p1; cores busy: $(awk -v a="$p0" -v b="$p1" -v s="$w0" -v e="$w1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz / (e - s) }')"
  local n; n=$(echo "$r" | tr ' ' '\n' | awk -F= '$1 == "requests" { print $2 }')
  local by; by=$( { echo "$t0" | sed 's/^/- /'; echo "$t1" | sed 's/^/+ /'; } | awk -v n="$n" -v hz="$(getconf CLK_TCK)" '
    { t[$2] += ($1 == "+" ? $3 : -$3) } END { for (k in t) if (t[k] > 0) printf "%s=%.1f ", k, t[k] / hz * 1e6 / n }')
  echo "row $1 cores=$3 rps=$(rps "$r") p99_ms=$(echo "$r" | tr ' ' '\n' | awk -F= '$1 == "p99_ms" { print $2 }') cpu_us_per_event: $by" | tee -a "$OUT/rows.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$WORK/$1.db"*
}
for n in 1 2 4 8; do
  echo "== asc-webhookd durable, $n cores"
  daemon_row "durable_${n}" "$PACK/bin/asc-webhookd" "$n"
done
if [ -x "$PACK/bin/baseline" ]; then
  echo "== baseline build, durable, 4 cores"
  daemon_row baseline_4 "$PACK/bin/baseline" 4
fi
echo "== adnanh/webhook, GOMAXPROCS=4 on 4 cores"
adnanh_hooks
GOMAXPROCS=4 taskset -c 0-3 "$PACK/lib/ld-linux-x86-64.so.2" --library-path "$PACK/lib" "$PACK/bin/webhook" \
  -hooks "$WORK/hooks.json" -ip 127.0.0.1 -port 18184 >"$WORK/adnanh.log" 2>&1 &
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/18184) 2>/dev/null && break; sleep 0.1; done
R=$(wrk_row http://127.0.0.1:18184 /hooks/bench github); echo "$R"; echo "row adnanh_4 rps=$(rps "$R")" | tee -a "$OUT/rows.txt"
echo "== rows"; cat "$OUT/rows.txt"
