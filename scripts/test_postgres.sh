#!/usr/bin/env bash
# A private PostgreSQL server for the tests: started with initdb and pg_ctl
# in DIR (its data, log and Unix socket; no TCP port), stopped and removed
# with `stop`. As root, it runs as an unprivileged user it creates
# (asc-webhookd-test): the server refuses to run as root.
# Usage: scripts/test_postgres.sh start|halt|resume|stop DIR
#   start prints the URL of its `postgres` database; halt stops the server at
#   once and keeps its data, resume starts it again.
. "$(dirname "$0")/lib/strict.sh"
cmd=${1:?start or stop}
dir=${2:?the directory for the server}
USER_NAME=asc-webhookd-test
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL's server is not installed (Debian: apt-get install postgresql); the tests need it" >&2
  exit 1
fi
as_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$USER_NAME" -- "$@"; else "$@"; fi
}
# Unix socket only, in DIR: no port to collide with another run's. The
# server must not keep any descriptor of ours beyond 0-2 (strict.sh's fd 3,
# a caller's pipe): ctest waits for every writer of its pipes.
start_server() {
  (
    for fd in /proc/$BASHPID/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done
    as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -c listen_addresses='' -c max_connections=300" start >/dev/null
  ) || { cat "$dir/server.log" >&2; exit 1; }
}
case "$cmd" in
  start)
    if [ "$(id -u)" -eq 0 ] && ! id "$USER_NAME" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then as_user "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$USER_NAME" "$dir"
    as_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    start_server
    echo "postgresql://postgres@/postgres?host=$dir"
    ;;
  halt)  # the server gone at once, its data kept (a crash, an outage)
    as_user "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    ;;
  resume)
    start_server
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then as_user "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|halt|resume|stop DIR" >&2; exit 2 ;;
esac
