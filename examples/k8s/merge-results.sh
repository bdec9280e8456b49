#!/usr/bin/env bash
# Merges the results of the N shards of one batch (RESULTS_DIR/results-K-of-N.jsonl, written by
# shard.sh) into one JSON Lines file in input order, and checks that every shard is there and no
# row appears twice. Prints a summary by outcome on stderr.
#
#   merge-results.sh RESULTS_DIR N OUT.jsonl
#
# Exit codes: 0 merged, every row ok; 1 merged, some rows rejected, invalid or failed (see OUT);
# 2 usage; 3 a shard's results are missing or a row appears in two shards (OUT not written).
# OUT is written aside and renamed into place, so the next system never reads half a file.
set -euo pipefail
if [[ $# -ne 3 || ! $2 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: merge-results.sh RESULTS_DIR N OUT.jsonl" >&2
  exit 2
fi
dir=$1 n=$2 out=$3
files=()
for ((k = 0; k < n; k++)); do
  f=$dir/results-$k-of-$n.jsonl
  if [[ ! -f $f ]]; then
    echo "merge-results: $f is missing: shard $k/$n has not finished (rerun its pod)" >&2
    exit 3
  fi
  files+=("$f")
done

tmp=$(mktemp "$out.part.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# Each result line starts with {"line":N, (the row's line in the batch file). Sort on it, then
# refuse a line number seen twice.
awk '{
       if (match($0, /^\{"line":[0-9]+/) == 0) { printf "merge-results: %s:%d is not a result line\n", FILENAME, FNR > "/dev/stderr"; exit 3 }
       print substr($0, 9, RLENGTH - 8) "\t" $0
     }' "${files[@]}" |
  sort -t "$(printf '\t')" -k1,1n -s |
  awk -F '\t' '{
       if ($1 == last) { printf "merge-results: line %s of the batch appears in two shards\n", $1 > "/dev/stderr"; exit 3 }
       last = $1; sub(/^[0-9]+\t/, ""); print
     }' >"$tmp"

total=$(wc -l <"$tmp")
summary=$(grep -o '"outcome":"[a-z]*"' "$tmp" | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')
echo "merge-results: $total rows from $n shards: ${summary:-none}" >&2
sync "$tmp" 2>/dev/null || true
mv -f "$tmp" "$out"
trap - EXIT
if grep -q '"outcome":"\(rejected\|invalid\|failed\)"' "$out"; then exit 1; fi
