#!/usr/bin/env bash
# Builds and tests this checkout on another Debian release, in a clean root
# made with debootstrap from the machine's Debian mirror: e.g. trixie
# (Debian 13: Boost 1.83, GCC 14, CMake 3.31, OpenSSL 3.5), the nearest
# release to Ubuntu 24.04 a Debian mirror has. Not part of CI (a cold build
# is ~10 minutes on 2 cores); run it by hand when the toolchain matters.
# Usage (as root): scripts/test_release.sh [SUITE] [ROOT]   (default: trixie /tmp/asc-webhookd-SUITE)
#   FULL=1: run the README's test command (scripts/test.sh) in the root instead
#   of the build and ctest alone, e.g. FULL=1 scripts/test_release.sh bookworm
. "$(dirname "$0")/lib/strict.sh"

SUITE="${1:-trixie}"
ROOT="${2:-/tmp/asc-webhookd-$SUITE}"
. "$(dirname "$0")/lib/apt_mirror.sh"
MIRROR="${MIRROR:-$(debian_mirror)}"
SRC="$(cd "$(dirname "$0")/.." && pwd)"

if [ "$(id -u)" -ne 0 ]; then
  echo "test_release: needs root (debootstrap, chroot, bind mounts)" >&2
  exit 2
fi
command -v debootstrap >/dev/null || { echo "test_release: apt-get install debootstrap" >&2; exit 2; }

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
  echo "test_release: debootstrap $SUITE into $ROOT" >&2
  debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >/dev/null
fi
cp /etc/resolv.conf /etc/hosts "$ROOT/etc/"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}" || true; done
}
trap cleanup EXIT
for m in proc dev dev/shm dev/pts; do
  mount --bind "/$m" "$ROOT/$m"
  mounted+=("$ROOT/$m")
done

# The committed tree, not the work tree: what a clone would build.
rm -rf "$ROOT/src"
git -C "$SRC" archive --format=tar --prefix=src/ HEAD | tar -x -C "$ROOT"

if [ "${FULL:-0}" = 1 ]; then
  # The README's test command itself, as a user runs it on that system (its
  # sources as debootstrap writes them: /etc/apt/sources.list), the package
  # build and install test included.
  chroot "$ROOT" bash -c 'cd /src && scripts/test.sh'
  echo "test_release: $SUITE: the test command (scripts/test.sh) passed" >&2
  exit 0
fi
chroot "$ROOT" bash -c 'cd /src && scripts/deps.sh --tests &&
  cmake --preset release -DASC_WEBHOOKD_WERROR=ON >/dev/null && cmake --build build/release -j"$(nproc)" &&
  cd build/release && ctest -j3 --output-on-failure --no-tests=error'
echo "test_release: $SUITE: every test passed" >&2
