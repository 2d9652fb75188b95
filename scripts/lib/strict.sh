# Sourced first by every script here: stop at the first failing command and
# say which one, where, and with what status, so no script ends with a bare
# non-zero exit. Also `heartbeat LABEL CMD...`: runs CMD with a line every
# 20 s while it works, for the long silent stages (a build, debootstrap),
# written to the script's own stderr (fd 3) even when CMD's output is
# redirected to a log.
set -Eeuo pipefail
exec 3>&2
trap 'rc=$?; echo "${0##*/}: FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR

heartbeat() {
  local label=$1 started=$SECONDS pid rc
  shift
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then echo "${0##*/}: $label: still working ($((SECONDS - started)) s)" >&3; fi
  done
  rc=0
  wait "$pid" || rc=$?
  return "$rc"
}
