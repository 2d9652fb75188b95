#!/usr/bin/env bash
# Installs the packages asc-webhookd needs to build, run and test, on
# Debian 12 (the release CI runs on) and on releases whose default Boost is
# 1.81 or later (Debian 13, Ubuntu 24.04).
# Idempotent: checks with dpkg first, so a machine that has everything pays ~0.1 s.
# Usage: scripts/deps.sh [--tests|--package]   (--tests: also the browser the console's test drives,
#   and the proxies and TLS client the proxy recipes' test runs)
. "$(dirname "$0")/lib/strict.sh"

# Boost.URL first shipped in 1.81. Debian 12's default Boost is 1.74, so
# 1.81 comes from its versioned packages; later releases' default is newer.
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
  BOOST=(libboost1.81-dev libboost-url1.81-dev)
else
  BOOST=(libboost-dev libboost-url-dev)
fi

PACKAGES=(
  build-essential cmake pkg-config ccache
  "${BOOST[@]}" libssl-dev openssl ca-certificates
  nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libsqlite3-dev libpq-dev libsystemd-dev libkainjow-mustache-dev
  libgtest-dev libgmock-dev
  systemd   # systemd-analyze, for the unit-file test
)
if [ "${1:-}" = "--package" ]; then
  PACKAGES+=(dpkg-dev)  # dpkg-shlibdeps and dpkg-buildflags, for scripts/package.sh
fi
if [ "${1:-}" = "--tests" ]; then
  PACKAGES+=(chromium chromium-driver)  # the delivery console's browser test
  PACKAGES+=(nginx-light caddy curl)    # the proxy recipes' test (config/proxy/)
  PACKAGES+=(dpkg-dev lintian debootstrap)  # the package and its install test (scripts/package_test.sh)
  PACKAGES+=(postgresql)  # the server the PostgreSQL store's tests start (scripts/test_postgres.sh)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # nginx and caddy are installed for the tests to run by hand: their
  # packages must not start system services (on :80) here. policy-rc.d
  # says so to invoke-rc.d and deb-systemd-invoke, for this install only.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT  # also when the install fails
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$own_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi
