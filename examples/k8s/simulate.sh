#!/usr/bin/env bash
# Runs the Indexed Job of indexed-job.yaml on this machine: N processes of shard.sh at once, each
# with its own home directory and JOB_COMPLETION_INDEX (as N pods would), the session of the
# current login handed to each as the Job's Secret would be, then merge-results.sh.
#
#   simulate.sh N BATCH_FILE OUT_DIR [SUBCOMMAND]
#
# Log in first (provportal login ...); the shards use that session. Results: OUT_DIR/merged.jsonl,
# each shard's log in OUT_DIR/shard-K.log. Exit code: merge-results.sh's, or the first failing
# shard's.
set -uo pipefail
if [[ $# -lt 3 || ! $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: simulate.sh N BATCH_FILE OUT_DIR [SUBCOMMAND]" >&2
  exit 2
fi
n=$1 batch=$(realpath "$2") out=$3 subcommand=${4:-check-eligibility}
here=$(cd "$(dirname "$0")" && pwd)
profile=${PROVPORTAL_PROFILE:-default}
session=${XDG_CONFIG_HOME:-$HOME/.config}/provportal/sessions/$profile.json
if [[ ! -f $session ]]; then
  echo "simulate: no session at $session: log in first (provportal login ...)" >&2
  exit 4
fi
mkdir -p "$out/results"
cp "$session" "$out/session.json"  # what `kubectl create secret` would hold

pids=()
for ((k = 0; k < n; k++)); do
  pod=$out/pod-$k
  mkdir -p "$pod/home"
  env -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME \
    HOME="$pod/home" JOB_COMPLETION_INDEX=$k SHARDS="$n" BATCH_FILE="$batch" \
    RESULTS_DIR="$out/results" SUBCOMMAND="$subcommand" SESSION_FILE="$out/session.json" \
    "$here/shard.sh" >"$out/shard-$k.log" 2>&1 &
  pids+=($!)
done
failed=0
for k in "${!pids[@]}"; do
  wait "${pids[$k]}"
  rc=$?
  if [[ $rc != 0 ]]; then
    echo "simulate: shard $k/$n exited $rc (see $out/shard-$k.log)" >&2
    [[ $failed != 0 ]] || failed=$rc
  fi
done
[[ $failed == 0 ]] || exit "$failed"
exec "$here/merge-results.sh" "$out/results" "$n" "$out/merged.jsonl"
