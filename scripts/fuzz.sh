#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan + UBSan) and runs each
# for SECONDS (default 600), from seeds made of the fixtures, then prints per
# target: runs, execs/s, coverage (libFuzzer's cov/ft), corpus size, crashes.
# Usage: scripts/fuzz.sh [SECONDS=600] [TARGET...]   (FUZZ_NO_BUILD=1: do not build)
# Exits 1 if any target crashed, leaked or hung (its reproducer is kept in
# build/fuzz/findings/TARGET/).
. "$(dirname "$0")/lib/strict.sh"
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(event config template answers admin_query http)

# FUZZ_NO_BUILD=1: use the targets already built (several runs at once).
if [ "${FUZZ_NO_BUILD:-}" != 1 ]; then
scripts/deps.sh
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING="${MISSING:-} $p"
done
if [ -n "${MISSING:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
fi
[ -x /usr/bin/clang++ ] || ln -sf /usr/bin/clang++-14 /usr/local/bin/clang++ 2>/dev/null || true
cmake --preset fuzz >/dev/null
# The targets only: not the daemon or the benchmarks, which the fuzz
# preset's tree also holds.
heartbeat "fuzz build" cmake --build --preset fuzz --target "${TARGETS[@]/#/fuzz_}" >/dev/null
fi

OUT=build/fuzz
seed() {  # TARGET FILE...: copy seeds into its seed folder
  local dir="$OUT/seeds/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/$(basename "$f")"; done
}
seed_text() {  # TARGET NAME TEXT
  mkdir -p "$OUT/seeds/$1"
  printf '%b' "$3" > "$OUT/seeds/$1/$2"
}
seed event tests/fixtures/events/*.json tests/fixtures/events/seed/*.json
seed config config/example.yaml config/examples/*.yaml
seed answers tests/fixtures/api/*.json
seed_text answers deliveries.json '{"data":[{"type":"webhookDeliveries","id":"d","attributes":{"createdDate":"2026-11-30T10:00:00.000Z","deliveryState":"FAILED","response":{"httpStatusCode":502}},"relationships":{"event":{"data":{"type":"webhookEvents","id":"e"}}}}],"included":[{"type":"webhookEvents","id":"e","attributes":{"eventType":"BUILD_UPLOAD_STATE_UPDATED","payload":"{\\"data\\":{\\"id\\":\\"x\\"}}","ping":false}}],"links":{"next":"https://api.appstoreconnect.apple.com/v1/webhooks/w/deliveries?cursor=2"}}'
seed_text answers errors.json '{"errors":[{"status":"404","code":"NOT_FOUND","title":"The specified resource does not exist","detail":"none"}]}'
seed_text answers slack.json '{"ok":false,"error":"channel_not_found"}'
seed_text answers jira.json '{"errorMessages":["Issue does not exist"],"errors":{"transition":"bad"}}'
seed_text template t1 'Build {{instance.attributes.cfBundleVersion}} {{event.new_state}}'
seed_text template t2 '{{#history}}{{state}} {{/history}}{{^history}}none{{/history}}'
seed_text template t3 '{{{event.id}}} {{&rule.name}} {{! comment }} {{=<% %>=}}<% event.id %>'
seed_text admin_query q1 '/api/v1/events?state=dead&webhook=ios-app&type=buildUploadStateUpdated&q=u-1&before=12&limit=50'
seed_text admin_query q2 '/api/v1/events?limit=%35%30&q=%23'
seed_text http get 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n'
seed_text http post 'POST /webhooks/app HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-apple-signature: hmacsha256=00\r\nContent-Length: 62\r\n\r\n{"data":{"type":"webhookPingCreated","id":"p-1","version":1}}\n'
seed_text http chunked 'POST /webhooks/app HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"dat\r\n0\r\n\r\n'
seed_text http admin 'GET /api/v1/events?state=dead HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
seed_text http absolute 'GET http://127.0.0.1:8080/healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nExpect: 100-continue\r\n\r\n'

status=0
printf '%-12s %10s %10s %8s %8s %8s %s\n' target runs exec/s cov ft corpus crashes
for t in "${TARGETS[@]}"; do
  corpus="$OUT/corpus/$t"; findings="$OUT/findings/$t"
  mkdir -p "$corpus" "$findings"
  log="$OUT/fuzz_$t.log"
  set +e
  "$OUT/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "$OUT/seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  # (each grep may find nothing: a crash before the first stats line)
  last=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{print $2}' || true)
  eps=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | awk '{print $2}' || true)
  cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | awk '{print $2}' || true)
  ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | awk '{print $2}' || true)
  crashes=$(find "$findings" -type f | wc -l)
  printf '%-12s %10s %10s %8s %8s %8s %s\n' "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l)" "$crashes"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    status=1
    echo "fuzz_$t failed (exit $rc); its log: $log; reproducers: $findings" >&2
    grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -20 >&2 || true
  fi
done
exit $status
