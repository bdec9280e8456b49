#!/usr/bin/env bash
# Installs what is missing, checks the sources' format, builds, and runs every test: unit and
# end to end, then the same suites again on a build with AddressSanitizer +
# UndefinedBehaviorSanitizer, then a short smoke run of every fuzz target. This is what CI runs
# (.ci/run).
# Usage: scripts/test.sh        (PROVPORTAL_QUICK=1 skips the sanitizer and fuzz stages)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
/usr/bin/python3 scripts/check_deps.py  # what the scripts and tests use, setup.sh installs
/usr/bin/python3 scripts/check_layers.py  # includes point one way
scripts/format.sh --check
scripts/build.sh
build_dir=${PROVPORTAL_BUILD_DIR:-build}

run_suites() {  # run_suites BIN_DIR LABEL [pytest options...]
  local bin=$1 label=$2
  shift 2
  echo "== unit tests ($label)"
  "$bin/unit_tests" --gtest_brief=1
  echo "== end-to-end tests ($label)"
  PROVPORTAL_BIN_DIR="$bin" /usr/bin/python3 -m pytest -q -p no:cacheprovider --durations=12 "$@" \
    tests/e2e
}

run_suites "$PWD/$build_dir/bin" "release build"
PROVPORTAL_BIN_DIR="$PWD/$build_dir/bin" scripts/chaos.sh --quick

if [[ ${PROVPORTAL_QUICK:-0} != 1 ]]; then
  echo "== sanitizer build (ASan + UBSan)"
  PROVPORTAL_BUILD_DIR=build-asan scripts/build.sh -DPORTAL_ENABLE_SANITIZERS=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # Two pytest workers, a test file each at a time (pytest-xdist): a file's tests mostly wait on
  # one process at a time, and under the sanitizers one worker took over twenty minutes.
  run_suites "$PWD/build-asan/bin" "ASan + UBSan" -n 2 --dist loadfile
  if [[ -x scripts/fuzz.sh ]]; then
    echo "== fuzz smoke runs"
    scripts/fuzz.sh all "${PROVPORTAL_FUZZ_SECONDS:-20}"
  fi
fi
echo "== all tests passed"
