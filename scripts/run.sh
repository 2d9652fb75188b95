#!/usr/bin/env bash
# Installs what is missing, builds (release preset) and runs the daemon with
# config/example.yaml on 127.0.0.1:8080. Extra arguments go to the daemon.
. "$(dirname "$0")/lib/strict.sh"
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release -DASC_WEBHOOKD_TESTS=OFF >/dev/null
cmake --build --preset release --target asc-webhookd
exec build/release/src/asc-webhookd serve --config config/example.yaml "$@"
