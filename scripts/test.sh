#!/usr/bin/env bash
# Installs what is missing, builds (release preset) and runs every test.
# Usage: scripts/test.sh            (from anywhere in the checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --workflow --preset release
