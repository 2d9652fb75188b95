#!/usr/bin/env bash
# Installs the Debian package into a clean Debian 12 root and checks it, as
# an operator would use it (docs/operating.md, "Install the Debian package"):
#   lintian: no error or warning;
#   a root made by debootstrap (minbase) from Debian's mirror, then
#   `apt-get install ./asc-webhookd_*.deb` inside it, pulling only the
#   runtime Depends: (nothing from the build toolchain);
#   the files in place, /etc/asc-webhookd/config.yaml a conffile, a webhook
#   secret generated (0600); `asc-webhookd --version`, `check-config` of the
#   installed config, the installed daemon answering /healthz and a signed
#   POST (`asc-webhookd send`), `systemd-analyze verify` of the installed unit;
#   a reinstall keeping a changed conffile; remove keeping it; purge removing it.
# Usage: scripts/package_test.sh [DEB]   (default: builds it with scripts/package.sh)
# Needs root (debootstrap, chroot). The root is made under build/package-root
# and removed at the end.
. "$(dirname "$0")/lib/strict.sh"
cd "$(dirname "$0")/.."
scripts/deps.sh --tests >/dev/null
fail() { echo "package test: FAILED: $*" >&2; exit 1; }
step() { echo "package test: $*"; }
if [ -n "${1:-}" ]; then
  deb=$1
else
  step "building the package (scripts/package.sh: a release build of its own, ~10 min on 2 cores)"
  deb=$(scripts/package.sh | tail -1)
fi
deb=$(realpath "$deb")
version=$(dpkg-deb -f "$deb" Version)
root=$PWD/build/package-root

step "lintian $(basename "$deb")"
lintian --fail-on error,warning "$deb" 2>&1 | grep -v "running with root privileges" || true
lintian --fail-on error,warning "$deb" >/dev/null 2>&1 || fail "lintian reports errors or warnings"

. scripts/lib/apt_mirror.sh
mirror=$(debian_mirror)
step "a clean Debian 12 root from $mirror"
rm -rf "$root"
heartbeat debootstrap debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
  { tail -20 "$root.log"; fail "debootstrap"; }
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp "$deb" "$root/tmp/"
# A command in the root, with /proc and /dev, its mounts gone when it ends
# (and the command with it: --kill-child).
enter_root=(unshare --mount --fork --kill-child bash -c 'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"' "$root")
in_root() { "${enter_root[@]}" "$@"; }
cleanup() { rm -rf "$root" "$root.log"; }
trap cleanup EXIT

before=$(in_root dpkg-query -W -f '${Package}\n' | sort)
step "apt-get install ./$(basename "$deb")"
heartbeat "apt-get install" in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "/tmp/$(basename "$deb")" \
  >"$root/tmp/apt.log" 2>&1 || { tail -20 "$root/tmp/apt.log"; fail "apt-get install"; }
added=$(comm -13 <(echo "$before") <(in_root dpkg-query -W -f '${Package}\n' | sort) | tr '\n' ' ')
step "installed with it: $added"
for tool in gcc g++ cpp cmake make libboost1.81-dev libstdc++-12-dev dpkg-dev; do
  case " $added " in *" $tool "*) fail "the package pulled in $tool (build toolchain)";; esac
done

for f in /usr/bin/asc-webhookd /lib/systemd/system/asc-webhookd.service /etc/asc-webhookd/config.yaml \
         /usr/share/man/man8/asc-webhookd.8.gz /usr/share/man/man5/asc-webhookd.yaml.5.gz \
         /usr/share/bash-completion/completions/asc-webhookd /usr/share/doc/asc-webhookd/copyright \
         /usr/share/doc/asc-webhookd/examples/proxy/nginx.conf /usr/share/doc/asc-webhookd/README.md \
         /usr/share/doc/asc-webhookd/docs/operating.md /usr/share/doc/asc-webhookd/docs/configuration.md \
         /usr/share/asc-webhookd/events/01-buildUploadStateUpdated-COMPLETE.json; do
  [ -e "$root$f" ] || fail "$f is missing"
done
grep -q '^    secret: ${credential:ios_app_webhook_secret}' "$root/etc/asc-webhookd/config.yaml" ||
  fail "the installed config does not read the generated secret (credential ios_app_webhook_secret)"
grep -q "demo-secret-change-me" "$root/etc/asc-webhookd/config.yaml" && fail "the installed config still has the demo secret"
grep -q "installed by the asc-webhookd package" "$root/lib/systemd/system/asc-webhookd.service" ||
  fail "the unit's header comment does not describe the package"
grep -q "/usr/local" "$root/lib/systemd/system/asc-webhookd.service" && fail "the packaged unit mentions /usr/local"
in_root dpkg-query -W -f '${Conffiles}\n' asc-webhookd | grep -q "/etc/asc-webhookd/config.yaml" || fail "config.yaml is not a conffile"
[ "$(stat -c %a "$root/etc/asc-webhookd/credentials/ios_app_webhook_secret")" = 600 ] || fail "the generated secret is not 0600"
grep -q "ExecStart=/usr/bin/asc-webhookd" "$root/lib/systemd/system/asc-webhookd.service" || fail "the unit does not run /usr/bin/asc-webhookd"

step "asc-webhookd --version"
[ "$(in_root asc-webhookd --version)" = "asc-webhookd $version" ] || fail "--version is not $version"
step "check-config /etc/asc-webhookd/config.yaml"
in_root asc-webhookd check-config --config /etc/asc-webhookd/config.yaml || fail "check-config of the installed config"
step "systemd-analyze verify (the installed unit, in the root with systemd and man-db, as on a server)"
heartbeat "installing systemd and man-db in the root" \
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd man-db >/dev/null 2>&1 ||
  fail "installing systemd and man-db in the root"
# (its Documentation= man pages are looked up by the host's man: checked in the root instead)
systemd-analyze verify --man=no --root="$root" /lib/systemd/system/asc-webhookd.service || fail "systemd-analyze verify"
for page in 8/asc-webhookd 5/asc-webhookd.yaml; do
  in_root man -w "${page#*/}.${page%%/*}" >/dev/null 2>&1 || in_root man -w "${page%%/*}" "${page#*/}" >/dev/null || fail "man ${page}"
  [ -n "$(in_root env MANWIDTH=80 man "${page%%/*}" "${page#*/}" 2>/dev/null | head -3)" ] || fail "man ${page} shows nothing"
done

step "the installed daemon answers /healthz and a signed POST"
sed 's|listen: 127.0.0.1:8080|listen: 127.0.0.1:0|' "$root/etc/asc-webhookd/config.yaml" > "$root/tmp/run.yaml"

"${enter_root[@]}" sh -c 'echo $$ > /tmp/daemon.pid; exec env STATE_DIRECTORY=/tmp CREDENTIALS_DIRECTORY=/etc/asc-webhookd/credentials asc-webhookd --config /tmp/run.yaml' \
  2>"$root/tmp/daemon.log" &
daemon=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening address=127.0.0.1:\([0-9]*\).*/\1/p' "$root/tmp/daemon.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$root/tmp/daemon.log"; fail "the daemon did not start"; }
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || fail "/healthz"
# The documented command on an installed system (only --url added: the test's
# daemon listens on a port of its own): the installed config, its generated
# credential, an installed sample event.
answer=$(in_root env CREDENTIALS_DIRECTORY=/etc/asc-webhookd/credentials asc-webhookd send \
  --config /etc/asc-webhookd/config.yaml --webhook ios-app --url "http://127.0.0.1:$port/webhooks/ios-app" \
  /usr/share/asc-webhookd/events/01-buildUploadStateUpdated-COMPLETE.json) || fail "send to the installed daemon"
case "$answer" in "200 "*'"status":"accepted"'*) ;; *) fail "send's answer: $answer";; esac
kill -TERM "$(cat "$root/tmp/daemon.pid")"  # the daemon itself (unshare does not pass SIGTERM on)
wait "$daemon" || fail "the daemon did not stop cleanly on SIGTERM"

step "reinstall keeps a changed conffile; remove keeps it; purge removes it"
echo "# changed by the operator" >> "$root/etc/asc-webhookd/config.yaml"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall "/tmp/$(basename "$deb")" >/dev/null 2>&1 || fail "reinstall"
grep -q "changed by the operator" "$root/etc/asc-webhookd/config.yaml" || fail "the reinstall replaced the changed conffile"
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq asc-webhookd >/dev/null 2>&1 || fail "remove"
[ ! -e "$root/usr/bin/asc-webhookd" ] || fail "remove left the binary"
[ -e "$root/etc/asc-webhookd/config.yaml" ] || fail "remove took the conffile"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq asc-webhookd >/dev/null 2>&1 || fail "purge"
[ ! -e "$root/etc/asc-webhookd" ] || fail "purge left /etc/asc-webhookd"
size=$(stat -c %s "$deb")
step "passed: $(basename "$deb") ($((size / 1024)) KiB), Depends: $(dpkg-deb -f "$deb" Depends)"
