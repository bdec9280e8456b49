#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit and end to end).
# This is what CI runs (.ci/run). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build_dir=${PROVPORTAL_BUILD_DIR:-build}
echo "== unit tests"
"$build_dir/bin/unit_tests" --gtest_brief=1
echo "== end-to-end tests"
PROVPORTAL_BIN_DIR="$PWD/$build_dir/bin" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e
echo "== all tests passed"
