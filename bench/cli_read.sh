#!/usr/bin/env bash
# Does an operator's listing hold up Apple's acknowledgements? The daemon's
# ack latency at a steady low rate (bench/lowload.py, one keep-alive
# connection), first alone, then while `asc-webhookd events --limit 1000000`
# lists the whole store over and over from another process. Reports both
# and their ratio (same run, same store).
#
# Usage: bench/cli_read.sh [STORED_EVENTS=100000] [RATE=200] [SECONDS=15]
. "$(dirname "$0")/../scripts/lib/strict.sh"
cd "$(dirname "$0")/.."
STORED=${1:-100000}
RATE=${2:-200}
SECONDS_EACH=${3:-15}
LOW=$((RATE * SECONDS_EACH))

for p in wrk python3; do
  command -v "$p" >/dev/null || MISSING="${MISSING:-} $p"
done
if [ -n "${MISSING:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
fi
cmake --preset release >/dev/null
cmake --build --preset release --target asc-webhookd bench_make_events >/dev/null
BIN=${BENCH_BIN:-build/release/src/asc-webhookd}  # BENCH_BIN: another build, for a before/after

WORK=$(mktemp -d /tmp/asc-webhookd-cli-read.XXXXXX)
cleanup() {
  [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null || true
  [ -n "${LISTER:-}" ] && kill "$LISTER" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=18191
SINK_PORT=18192

build/release/bench/bench_make_events $((STORED + 2 * LOW)) bench-secret "$WORK/all.tsv"
head -n "$STORED" "$WORK/all.tsv" > "$WORK/fill.tsv"
sed -n "$((STORED + 1)),$((STORED + LOW))p" "$WORK/all.tsv" > "$WORK/alone.tsv"
sed -n "$((STORED + LOW + 1)),$((STORED + 2 * LOW))p" "$WORK/all.tsv" > "$WORK/listing.tsv"

cat > "$WORK/config.yaml" <<YAML
server:
  listen: 127.0.0.1:$PORT
store:
  path: $WORK/state.db
log:
  level: warn
webhooks:
  - name: bench
    secret: bench-secret
  - name: fill             # the stored events: no rule, so no delivery backlog
    secret: bench-secret
rules:
  - name: forward
    when: { webhook: bench, event: buildUploadStateUpdated }
    actions:
      - http: { url: "http://127.0.0.1:$SINK_PORT/sink" }
YAML
"$BIN" serve --config "$WORK/config.yaml" 2>"$WORK/daemon.log" &
DAEMON=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== filling the store with $STORED events"
# Each event once (BENCH_LIMIT: the file wraps onto stored ones), until all are in.
for _ in $(seq 20); do
  BENCH_EVENTS="$WORK/fill.tsv" BENCH_THREADS=2 BENCH_LIMIT="$STORED" BENCH_PATH=/webhooks/fill \
    wrk -t2 -c32 -d10s -s bench/post.lua "http://127.0.0.1:$PORT" >/dev/null
  n=$("$BIN" events --limit 999999999 --config "$WORK/config.yaml" | tail -n +2 | wc -l)
  if [ "$n" -ge "$STORED" ]; then break; fi
done
echo "stored events: $n"

echo "== ack latency alone ($RATE/s for ${SECONDS_EACH}s)"
ALONE=$(python3 bench/lowload.py "$WORK/alone.tsv" "$PORT" "$SINK_PORT" "$RATE" "$SECONDS_EACH"); echo "$ALONE"

echo "== the same while the CLI lists every event, again and again"
(
  while :; do
    start=$(date +%s%N)
    ${BENCH_LISTER_NICE:+nice -n "$BENCH_LISTER_NICE"} "$BIN" events --limit 999999999 --config "$WORK/config.yaml" > /dev/null
    echo "listing_ms=$(( ($(date +%s%N) - start) / 1000000 ))" >> "$WORK/listings.txt"
  done
) &
LISTER=$!
LISTING=$(python3 bench/lowload.py "$WORK/listing.tsv" "$PORT" "$SINK_PORT" "$RATE" "$SECONDS_EACH"); echo "$LISTING"
kill "$LISTER" 2>/dev/null || true; wait "$LISTER" 2>/dev/null || true; LISTER=""
echo "listings during the run: $(wc -l < "$WORK/listings.txt"), each $(sort -t= -k2 -n "$WORK/listings.txt" | sed -n '1p;$p' | cut -d= -f2 | paste -sd- ) ms"

p99() { sed -n 's/.*ack_p99_ms=\([0-9.]*\).*/\1/p' <<<"$1"; }
python3 - "$(p99 "$ALONE")" "$(p99 "$LISTING")" <<'PY'
import sys
alone, listing = float(sys.argv[1]), float(sys.argv[2])
print(f"BENCH_CLI_READ ack_p99_alone_ms={alone:.3f} ack_p99_listing_ms={listing:.3f} ratio={listing / alone:.2f}")
PY
