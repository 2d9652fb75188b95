#!/usr/bin/env bash
# Installs what is missing, builds (release preset) and runs every test,
# then builds the Debian package and runs its install test in a clean
# Debian 12 root (scripts/package_test.sh; needs root: debootstrap, chroot).
# Usage: scripts/test.sh            (from anywhere in the checkout)
# Fails when a test fails, and when no test ran at all.
. "$(dirname "$0")/lib/strict.sh"
cd "$(dirname "$0")/.."
scripts/deps.sh --tests
# The browser is installed: its test must run, not skip.
export ASC_WEBHOOKD_REQUIRE_BROWSER=1
# scripts/run.sh builds the same folder with the tests off; turn them on
# again, or ctest would find none.
cmake --preset release -DASC_WEBHOOKD_TESTS=ON >/dev/null
heartbeat "build and test" cmake --workflow --preset release | tee build/release/test-output.txt
if ! grep -qE '^100% tests passed, 0 tests failed out of [1-9]' build/release/test-output.txt; then
  echo "test.sh: no test ran, or the summary line is missing" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then scripts/package_test.sh; else sudo scripts/package_test.sh; fi
