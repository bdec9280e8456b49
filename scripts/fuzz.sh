#!/usr/bin/env bash
# Usage: scripts/fuzz.sh TARGET|all SECONDS [extra libFuzzer flags...]
#   TARGET: fuzz_csv_reader fuzz_yaml_reader fuzz_jsonl_reader fuzz_json_response
#           fuzz_http_response fuzz_sandbox_request fuzz_x12_reader fuzz_x12_transactions
#           (or `all`: each in turn, SECONDS each)
# Builds the libFuzzer target(s) with clang in build-fuzz/ (PORTAL_ENABLE_FUZZERS=ON), runs each
# input of tests/fuzz/regressions/TARGET/ once, then fuzzes for SECONDS from a scratch copy of
# the seeds in tests/fuzz/corpus/TARGET/ (the committed seeds are never changed). Exit status:
# 0 nothing found, 1 a crash, leak, timeout or OOM (the reproducer's path is printed), 2 usage
# or a missing compiler (the message names the Debian package).
# Environment: PORTAL_FUZZ_BUILD_DIR (build-fuzz), PORTAL_FUZZ_JOBS (2 build jobs).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(fuzz_csv_reader fuzz_yaml_reader fuzz_jsonl_reader fuzz_json_response fuzz_http_response
         fuzz_sandbox_request fuzz_x12_reader fuzz_x12_transactions)
usage() {
  sed -n '2,6p' "$0" | sed 's/^# //' >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
target=$1
seconds=$2
shift 2
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage
if [[ $target == all ]]; then
  selected=("${targets[@]}")
  build_target=fuzzers
else
  [[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown target: $target" >&2; usage; }
  selected=("$target")
  build_target=$target
fi

# The fuzzers need clang and its libFuzzer runtime; say which Debian package is missing rather
# than let CMake or the linker fail further down.
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is not installed: install Debian's clang and libclang-rt-14-dev" \
    "(scripts/setup.sh installs both)" >&2
  exit 2
fi
clang_major=$(clang++ -dumpversion | cut -d. -f1)
if [[ ! -f $(clang++ -print-runtime-dir)/libclang_rt.fuzzer-x86_64.a ]]; then
  echo "fuzz: libFuzzer's runtime is missing: install Debian's libclang-rt-$clang_major-dev" \
    "(scripts/setup.sh installs it)" >&2
  exit 2
fi

build_dir=${PORTAL_FUZZ_BUILD_DIR:-build-fuzz}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}  # as build.sh
jobs=${PORTAL_FUZZ_JOBS:-2}
echo "== building $build_target in $build_dir"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTAL_ENABLE_FUZZERS=ON -DPORTAL_ENABLE_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target "$build_target"

# ASan keeps 256 MiB of freed memory in quarantine by default and its allocator rarely gives
# memory back, so a long run at 20k executions/s creeps towards -rss_limit_mb; a smaller
# quarantine keeps RSS near 100 MiB. (An ASAN_OPTIONS of your own replaces this.)
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}

failed=0
for t in "${selected[@]}"; do
  bin=$build_dir/bin/$t
  work=$build_dir/fuzz-work/$t
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
  export PORTAL_FUZZ_TMP=$PWD/$work/tmp  # the sandbox target's data directory goes here

  regressions=(tests/fuzz/regressions/$t/*)
  if [[ -e ${regressions[0]} ]]; then
    echo "== $t: ${#regressions[@]} regression inputs"
    for r in "${regressions[@]}"; do
      # One process per input, so every failing one is named.
      if ! "$bin" -timeout=10 -rss_limit_mb=2048 "$r" >"$work/regression.log" 2>&1; then
        grep -aE 'ERROR: |SUMMARY: |contract broken|^fuzz_[a-z_]+: |runtime error' "$work/regression.log" |
          head -n 4 | sed "s/^/   /" || true
        echo "!! $t: regression input fails: $r (reproduce: $bin $r)"
        failed=1
      fi
    done
  fi

  cp -R "tests/fuzz/corpus/$t/." "$work/corpus/"
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$work/artifacts/")
  [[ -f tests/fuzz/$t.dict ]] && flags+=(-dict="tests/fuzz/$t.dict")
  echo "== $t: fuzzing for ${seconds}s (log: $work/fuzz.log)"
  status=0
  "$bin" "${flags[@]}" "$@" "$work/corpus" >"$work/fuzz.log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$work/fuzz.log" | sed "s/^/   /" || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$work/fuzz.log" | sed "s/^/   /" || true
  if [[ $status -ne 0 ]]; then
    grep -aE 'ERROR: |SUMMARY: |contract broken|^fuzz_[a-z_]+: ' "$work/fuzz.log" | head -n 5 | sed "s/^/   /" || true
    for f in "$work"/artifacts/*; do
      [[ -e $f ]] || continue
      echo "!! $t: reproducer: $f"
      echo "   reproduce: $bin $f"
      echo "   keep it:   mkdir -p tests/fuzz/regressions/$t && cp $f tests/fuzz/regressions/$t/"
    done
    echo "!! $t: exit status $status; log: $work/fuzz.log"
    failed=1
  fi
done
exit "$failed"
