#!/usr/bin/env bash
# Benchmarks provportal on this machine and prints the figures side by side:
#   - an eligibility batch of BENCH_ROWS (100,000) rows against the sandbox over TLS on loopback:
#     rows/s and CPU seconds of provportal, of a plain aiohttp client (scripts/bench/) with the
#     same rows and concurrency, and the sandbox's ceiling measured by wrk on the same endpoint;
#   - peak RSS of provportal at 10,000 and at BENCH_BIG_ROWS (1,000,000) rows;
#   - --dry-run rows/s over BENCH_BIG_ROWS rows on one core (pinned with taskset), and its CPU
#     seconds;
#   - the time of `provportal --version`;
#   - a BENCH_UPLOAD_MB (200) MB document uploaded with curl and with `provportal upload-docs`:
#     MB/s of each, their ratio and provportal's peak RSS;
#   - peak RSS of `provportal submit-case` over a 10,000-case YAML batch.
# Usage: scripts/bench.sh   (env: BENCH_ROWS, BENCH_BIG_ROWS, BENCH_CONCURRENCY, BENCH_WRK_SECONDS,
#        BENCH_ROUNDS, BENCH_UPLOAD_MB)
#        BENCH_ONLY=dryrun scripts/bench.sh: only the --dry-run figure and its target (no sandbox;
#        seconds once built)
#        BENCH_ONLY=throughput scripts/bench.sh: only the eligibility batch against wrk and the
#        aiohttp client, and their targets (about two minutes)
#        BENCH_ONLY=x12 scripts/bench.sh: only the X12 targets of issue #14 (also run by the full
#        bench): `x12 build 270` over BENCH_BIG_ROWS rows on one core; `x12 parse` of a
#        BENCH_X12_MB (1024) MB 277 on one core, its peak RSS; an eligibility batch of BENCH_ROWS
#        rows over x12-core (CORE SOAP) against the JSON wire in the same run
#        BENCH_ONLY=remittance scripts/bench.sh: only the `remittance` target of issue #15 (also
#        run by the full bench; no sandbox): a BENCH_REMIT_MB (1024) MB 835 inbox of
#        BENCH_REMIT_FILE_MB (4) MB files (scripts/bench/make_835.py) posted as CSV on one core,
#        MB/s of CPU time (user+sys) and peak RSS
#        BENCH_BIN_DIR=DIR: take provportal from DIR instead of building build-bench/ (Release),
#        e.g. to measure one section of a build at hand
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/setup.sh >/dev/null
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
if [[ -n ${BENCH_BIN_DIR:-} ]]; then
  bin=$(cd "$BENCH_BIN_DIR" && pwd)
else
  CMAKE_BUILD_TYPE=Release PROVPORTAL_BUILD_DIR=build-bench scripts/build.sh >/dev/null
  bin=$root/build-bench/bin
fi

rows=${BENCH_ROWS:-100000}
big=${BENCH_BIG_ROWS:-1000000}
conc=${BENCH_CONCURRENCY:-16}
wrk_seconds=${BENCH_WRK_SECONDS:-10}
upload_mb=${BENCH_UPLOAD_MB:-200}

work=$(mktemp -d /tmp/provportal-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/data
py=/usr/bin/python3

# measure LABEL CMD...: wall seconds, CPU seconds (user+sys) and peak RSS (KiB) of CMD.
measure() {
  local label=$1; shift
  local rc=0
  /usr/bin/time -f "%e %U %S %M" -o "$work/$label.time" "$@" > "$work/$label.out" 2> "$work/$label.err" || rc=$?
  if ((rc != 0)); then
    echo "bench: $label exited with $rc:" >&2
    tail -5 "$work/$label.err" >&2
  fi
  read -r wall user sys rss < <(tail -n1 "$work/$label.time")
  cpu=$("$py" -c "print(f'{$user + $sys:.2f}')")
  eval "${label}_wall=$wall ${label}_cpu=$cpu ${label}_rss=$rss"
}
rate() { "$py" -c "print(f'{$1 / $2:,.0f}')"; }

# --dry-run over $big rows, the process pinned to one core: reading, validation and results
# only (no login, no sandbox). The fastest of three runs, as other work on a shared machine only
# ever slows a run down. Sets dry_wall, dry_cpu and dry_rps.
dry_run_bench() {
  "$py" scripts/bench/make_rows.py "$big" big "$work/big.csv"
  local best_wall="" best_cpu=""
  for _ in 1 2 3; do
    rm -f "$work/dry.jsonl"
    measure dry taskset -c 0 "$bin/provportal" check-eligibility --batch "$work/big.csv" --dry-run \
      --results "$work/dry.jsonl" -q
    if [[ -z $best_wall ]] || "$py" -c "import sys; sys.exit(0 if $dry_wall < $best_wall else 1)"; then
      best_wall=$dry_wall best_cpu=$dry_cpu
    fi
  done
  dry_wall=$best_wall dry_cpu=$best_cpu
  dry_rps=$("$py" -c "print($big / $dry_wall)")
}
dry_run_line() {
  printf '%-44s %12s rows/s (best of 3; %s CPU s)\n' "--dry-run over $big rows, one core" \
    "$(rate "$big" "$dry_wall")" "$dry_cpu"
}

# ---- X12 (issue #14) ----------------------------------------------------------------------

x12_mb=${BENCH_X12_MB:-1024}
x12_parties=(--sender-id PROVPORTAL01 --receiver-id PROVPORTALSBX --payers-file examples/payers.yaml)

# `x12 build 270` over $big rows, pinned to one core, the best of three (as the dry run). Sets
# x12build_wall, x12build_cpu and x12build_rps.
x12_build_bench() {
  [[ -s $work/big.csv ]] || "$py" scripts/bench/make_rows.py "$big" big "$work/big.csv"
  local best_wall="" best_cpu=""
  for _ in 1 2 3; do
    measure x12build taskset -c 0 "$bin/provportal" x12 build 270 --batch "$work/big.csv" \
      "${x12_parties[@]}" -O "$work/big.x12" -q
    if [[ -z $best_wall ]] || "$py" -c "import sys; sys.exit(0 if $x12build_wall < $best_wall else 1)"; then
      best_wall=$x12build_wall best_cpu=$x12build_cpu
    fi
  done
  x12build_wall=$best_wall x12build_cpu=$best_cpu
  x12build_rps=$("$py" -c "print($big / $x12build_wall)")
  "$bin/provportal" x12 validate "$work/big.x12" -q || echo "bench: the built 270 does not validate" >&2
  rm -f "$work/big.x12"
}

# `x12 parse` of a $x12_mb MB 277 (scripts/bench/make_277.py) into JSON Lines (to /dev/null: the
# parse, not the disk, is measured), pinned to one core, the best of two; its peak RSS. Sets
# x12parse_wall, x12parse_cpu, x12parse_rss, x12parse_mbs and x12parse_records.
x12_parse_bench() {
  "$py" scripts/bench/make_277.py "$work/big.277.x12" "$x12_mb" > "$work/make_277.out"
  local bytes best_wall="" best_cpu="" best_rss=""
  bytes=$(stat -c %s "$work/big.277.x12")
  for _ in 1 2; do
    measure x12parse sh -c 'exec taskset -c 0 "$0" x12 parse "$1" -o jsonl > /dev/null' \
      "$bin/provportal" "$work/big.277.x12"
    if [[ -z $best_wall ]] || "$py" -c "import sys; sys.exit(0 if $x12parse_wall < $best_wall else 1)"; then
      best_wall=$x12parse_wall best_cpu=$x12parse_cpu best_rss=$x12parse_rss
    fi
  done
  x12parse_wall=$best_wall x12parse_cpu=$best_cpu x12parse_rss=$best_rss
  x12parse_mbs=$("$py" -c "print($bytes / 1e6 / $x12parse_wall)")
  x12parse_records=$("$bin/provportal" x12 parse "$work/big.277.x12" -o csv --fields trace | tail -n +2 | wc -l)
  rm -f "$work/big.277.x12"
}

# An eligibility batch of $rows rows over the JSON wire and then over x12-core (CORE SOAP, the
# WS-Security UsernameToken from the profile's email and password_file), against the same
# sandbox, BENCH_ROUNDS (3) rounds each on new rows, medians compared. Sets x12core_rps,
# x12json_rps and their round lists.
x12_core_bench() {
  pp config set email "$email" -q
  pp config set password_file "$work/password" -q
  local rounds=${BENCH_ROUNDS:-3} round walls_json=() walls_core=()
  for round in $(seq "$rounds"); do
    "$py" scripts/bench/make_rows.py "$rows" "xj$round" "$work/xj.csv"
    "$py" scripts/bench/make_rows.py "$rows" "xc$round" "$work/xc.csv"
    measure x12json "$bin/provportal" check-eligibility --batch "$work/xj.csv" --concurrency "$conc" \
      --results "$work/xj.jsonl" -q
    measure x12core env PROVPORTAL_WIRE=x12-core PROVPORTAL_SENDER_ID=PROVPORTAL01 \
      PROVPORTAL_RECEIVER_ID=PROVPORTALSBX PROVPORTAL_PAYERS_FILE=examples/payers.yaml \
      PROVPORTAL_CORE_FORM=soap "$bin/provportal" check-eligibility --batch "$work/xc.csv" \
      --concurrency "$conc" --results "$work/xc.jsonl" -q
    walls_json+=("$x12json_wall") walls_core+=("$x12core_wall")
  done
  x12json_ok=$(grep -c '"outcome":"ok"' "$work/xj.jsonl" || true)
  x12core_ok=$(grep -c '"outcome":"ok"' "$work/xc.jsonl" || true)
  x12json_rps=$("$py" -c "import statistics, sys; print($rows / statistics.median(map(float, sys.argv[1:])))" "${walls_json[@]}")
  x12core_rps=$("$py" -c "import statistics, sys; print($rows / statistics.median(map(float, sys.argv[1:])))" "${walls_core[@]}")
  x12core_rounds=$("$py" - "$rows" "${#walls_json[@]}" "${walls_json[@]}" "${walls_core[@]}" <<'PY'
import sys
rows, n = int(sys.argv[1]), int(sys.argv[2])
j, c = list(map(float, sys.argv[3:3 + n])), list(map(float, sys.argv[3 + n:]))
print(";  ".join(f"{rows / a:,.0f} / {rows / b:,.0f} ({a / b:.2f}x)" for a, b in zip(j, c)))
PY
)
}

x12_lines() {
  printf '\n%-44s %12s\n' "X12 (issue #14)" ""
  printf '%-44s %12s rows/s (best of 3; %s CPU s)\n' "x12 build 270, $big rows, one core" \
    "$(rate "$big" "$x12build_wall")" "$x12build_cpu"
  printf '%-44s %12s MB/s   (best of 2; %s CPU s, peak RSS %s MiB, %s records)\n' \
    "x12 parse, ${x12_mb} MB 277 -> JSON Lines, one core" \
    "$("$py" -c "print(f'{$x12parse_mbs:,.0f}')")" "$x12parse_cpu" "$((x12parse_rss / 1024))" "$x12parse_records"
  printf '%-44s %12s rows/s (median of %s; %s ok)\n' "eligibility over the JSON wire, $rows rows" \
    "$("$py" -c "print(f'{$x12json_rps:,.0f}')")" "${BENCH_ROUNDS:-3}" "$x12json_ok"
  printf '%-44s %12s rows/s (median of %s; %s ok)\n' "eligibility over x12-core (SOAP), $rows rows" \
    "$("$py" -c "print(f'{$x12core_rps:,.0f}')")" "${BENCH_ROUNDS:-3}" "$x12core_ok"
  echo "rounds (JSON rows/s / x12-core rows/s): $x12core_rounds"
}

x12_checks() {
  "$py" - "$x12build_rps" "$x12parse_mbs" "$x12parse_rss" "$x12core_rps" "$x12json_rps" <<'PY'
import sys
build, parse, rss, core, json_ = map(float, sys.argv[1:])
def check(name, ok, detail):
    print(f"{'PASS' if ok else 'MISS'}  {name}: {detail}")
check("x12 build 270 >= 500,000 rows/s on one core", build >= 500_000, f"{build:,.0f} rows/s")
check("x12 parse of a 1 GB 277 >= 200 MB/s on one core", parse >= 200, f"{parse:,.0f} MB/s")
check("x12 parse peak RSS <= 64 MB", rss * 1024 <= 64e6, f"{rss / 1024:.0f} MiB")
check("eligibility over x12-core >= 0.8x the JSON wire", core >= 0.8 * json_, f"{core / json_:.2f}x")
PY
}

# ---- remittance (issue #15) ----------------------------------------------------------------

remit_mb=${BENCH_REMIT_MB:-1024}
remit_file_mb=${BENCH_REMIT_FILE_MB:-4}

# `remittance --inbox` over a $remit_mb MB inbox of 835s (scripts/bench/make_835.py) into CSV (to
# /dev/null: the posting, not the disk, is measured), pinned to one core, the best of two by CPU
# time (user+sys, which other work on a shared machine barely moves); its peak RSS. Sets
# remit_wall, remit_cpu, remit_rss, remit_mbs (MB of 835 per CPU second) and remit_rows (checks).
remittance_bench() {
  "$py" scripts/bench/make_835.py "$work/inbox835" "$remit_mb" --file-mb "$remit_file_mb" > "$work/make_835.out"
  local bytes best_wall="" best_cpu="" best_rss=""
  bytes=$(du -sb --apparent-size "$work/inbox835" | cut -f1)
  for _ in 1 2; do
    measure remit sh -c 'exec taskset -c 0 "$0" remittance --inbox "$1" -o csv > /dev/null' \
      "$bin/provportal" "$work/inbox835"
    if [[ -z $best_cpu ]] || "$py" -c "import sys; sys.exit(0 if $remit_cpu < $best_cpu else 1)"; then
      best_wall=$remit_wall best_cpu=$remit_cpu best_rss=$remit_rss
    fi
  done
  remit_wall=$best_wall remit_cpu=$best_cpu remit_rss=$best_rss
  remit_mbs=$("$py" -c "print($bytes / 1e6 / max($remit_cpu, 0.01))")
  remit_rows=$(awk '{print $5}' "$work/make_835.out")  # "BYTES bytes, F files, N checks, ..."
  rm -rf "$work/inbox835"
}
remittance_lines() {
  printf '\n%-44s %12s\n' "remittance (issue #15)" ""
  printf '%-44s %12s MB/s   (of CPU, best of 2; %s CPU s, %s s wall, peak RSS %s MiB, %s checks)\n' \
    "remittance, ${remit_mb} MB 835 inbox -> CSV, one core" \
    "$("$py" -c "print(f'{$remit_mbs:,.0f}')")" "$remit_cpu" "$remit_wall" "$((remit_rss / 1024))" "$remit_rows"
}
remittance_checks() {
  "$py" - "$remit_mbs" "$remit_rss" <<'PY'
import sys
mbs, rss = map(float, sys.argv[1:])
def check(name, ok, detail):
    print(f"{'PASS' if ok else 'MISS'}  {name}: {detail}")
check("remittance of a 1 GB 835 inbox >= 150 MB/s on one core", mbs >= 150, f"{mbs:,.0f} MB/s")
check("remittance peak RSS <= 64 MB", rss * 1024 <= 64e6, f"{rss / 1024:.0f} MiB")
PY
}

if [[ ${BENCH_ONLY:-} == remittance ]]; then
  echo "provportal remittance benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
  remittance_bench
  remittance_lines
  echo
  remittance_checks
  exit 0
fi

if [[ ${BENCH_ONLY:-} == dryrun ]]; then
  echo "provportal --dry-run benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
  dry_run_bench
  dry_run_line
  "$py" -c "import sys; r = float(sys.argv[1]); print(f\"{'PASS' if r >= 500_000 else 'MISS'}  --dry-run >= 500,000 rows/s on one core: {r:,.0f} rows/s\")" "$dry_rps"
  exit 0
fi

data=$work/sandbox
"$bin/provportal-sandbox" serve --data-dir "$data" --listen 127.0.0.1:0 --maintenance-window off \
  --log-level error > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s $data/address ]] && break; sleep 0.1; done
export PROVPORTAL_BASE_URL=https://$(cat "$data/address") PROVPORTAL_CA_FILE=$data/ca.pem
pp() { "$bin/provportal" "$@"; }

# One office user, logged in.
email=ops.batch@lakeshore-fm.example
printf 'violet harbor lantern %s\n' "$RANDOM$RANDOM" > "$work/password"
chmod 600 "$work/password"
pp register --file examples/registration.yaml --email "$email" --password-file "$work/password" -q >/dev/null
"$bin/provportal-sandbox" admin --data-dir "$data" approve "$email" >/dev/null
pp verify-email --email "$email" --code "$(sh examples/otp-from-outbox.sh "$data" "$email" verify-email)" -q >/dev/null
pp login --email "$email" --password-file "$work/password" \
  --otp-command "sh examples/otp-from-outbox.sh $data $email" -q >/dev/null
token=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$XDG_CONFIG_HOME/provportal/sessions/default.json")

if [[ ${BENCH_ONLY:-} == x12 ]]; then
  echo "provportal X12 benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); concurrency $conc"
  x12_build_bench
  x12_parse_bench
  x12_core_bench
  x12_lines
  echo
  x12_checks
  exit 0
fi

echo "provportal benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); $rows rows, concurrency $conc"

"$py" scripts/bench/make_rows.py "$rows" pp0 "$work/pp.csv" --wrk-bodies "$work/wrk-bodies.txt"
"$py" scripts/bench/make_rows.py "$rows" py "$work/py.csv"

# wrk sends the requests provportal sends (the same members, a ref each, random 64-hex keys).
# A first run of a few seconds is thrown away: a new sandbox is slower while its database files
# grow. Then BENCH_ROUNDS (3) rounds of a wrk run followed by a provportal run on new rows (new
# keys): this machine's speed drifts by ±15 % over minutes, so each ceiling is measured right
# before the run it is compared with, wrk first while the sandbox's key index is smaller (the
# order that favours it), and the medians are compared.
run_wrk() {  # run_wrk SECONDS OUT
  BENCH_TOKEN=$token BENCH_BODIES=$work/wrk-bodies.txt wrk -t2 -c"$conc" -d"$1s" \
    -s scripts/bench/eligibility.lua "$PROVPORTAL_BASE_URL" > "$2" 2>&1 || true
}
median() { "$py" -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }
run_wrk 3 "$work/wrk-warmup.out"
rounds=${BENCH_ROUNDS:-3}
wrk_all=() pp_all=() wrk_non2xx=0
for round in $(seq "$rounds"); do
  run_wrk "$wrk_seconds" "$work/wrk.out"
  wrk_all+=("$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")")
  wrk_non2xx=$((wrk_non2xx + $(awk '/Non-2xx/ {print $NF}' "$work/wrk.out" | grep . || echo 0)))
  ((round == 1)) || "$py" scripts/bench/make_rows.py "$rows" "pp$round" "$work/pp.csv"
  rm -f "$work/pp.jsonl"
  measure "pp$round" "$bin/provportal" check-eligibility --batch "$work/pp.csv" --concurrency "$conc" \
    --results "$work/pp.jsonl" -q
  eval "pp_all+=(\$pp${round}_wall)"
  eval "pp${round}_ok=$(grep -c '"outcome":"ok"' "$work/pp.jsonl" || true)"
done
wrk_rps=$(median "${wrk_all[@]}")
# The provportal figures shown are those of its median run.
mid=$("$py" -c "import sys; v = list(map(float, sys.argv[1:])); print(sorted(range(len(v)), key=v.__getitem__)[(len(v) - 1) // 2] + 1)" "${pp_all[@]}")
eval "pp_wall=\$pp${mid}_wall pp_cpu=\$pp${mid}_cpu pp_rss=\$pp${mid}_rss pp_ok=\$pp${mid}_ok"
measure py "$py" scripts/bench/aiohttp_client.py "$PROVPORTAL_BASE_URL" "$data/ca.pem" "$token" \
  "$work/py.csv" "$conc" "$work/py.jsonl"
py_ok=$(grep -c '"status": 200' "$work/py.jsonl" || true)
rounds_line() {  # each round: wrk's req/s, provportal's rows/s, their ratio
  "$py" - "$rows" "${#wrk_all[@]}" "${wrk_all[@]}" "${pp_all[@]}" <<'PY'
import sys
rows, n = int(sys.argv[1]), int(sys.argv[2])
wrk, wall = map(float, sys.argv[3:3 + n]), map(float, sys.argv[3 + n:])
print("rounds (wrk req/s / provportal rows/s):",
      ";  ".join(f"{w:,.0f} / {rows / t:,.0f} ({rows / t / w:.2f}x)" for w, t in zip(wrk, wall)))
PY
}

throughput_lines() {
  printf '\n%-44s %12s %10s %12s\n' "eligibility batch, $rows rows over TLS" "rows/s" "CPU s" "peak RSS"
  printf '%-44s %12s %10s %9s MiB   (%s ok)\n' "provportal check-eligibility (median of $rounds)" "$(rate "$rows" "$pp_wall")" "$pp_cpu" "$((pp_rss / 1024))" "$pp_ok"
  printf '%-44s %12s %10s %9s MiB   (%s ok)\n' "python3-aiohttp client" "$(rate "$rows" "$py_wall")" "$py_cpu" "$((py_rss / 1024))" "$py_ok"
  printf '%-44s %12s %10s %12s   (non-2xx: %s)\n' "sandbox ceiling (wrk -c$conc, ${wrk_seconds}s, median)" "$("$py" -c "print(f'{float(\"${wrk_rps:-0}\"):,.0f}')")" "-" "-" "${wrk_non2xx:-0}"
  rounds_line
}
if [[ ${BENCH_ONLY:-} == throughput ]]; then
  throughput_lines
  "$py" -c "import sys; pp, py, c = map(float, sys.argv[1:]); print(f\"{'PASS' if pp >= 2 * py else 'MISS'}  provportal >= 2x the aiohttp client: {pp / py:.2f}x\"); print(f\"{'PASS' if pp >= 0.8 * c else 'MISS'}  provportal >= 0.8x the wrk ceiling: {pp / c:.2f}x\")" \
    "$("$py" -c "print($rows / $pp_wall)")" "$("$py" -c "print($rows / $py_wall)")" "${wrk_rps:-0}"
  exit 0
fi


"$py" scripts/bench/make_rows.py 10000 small "$work/small.csv"
measure small "$bin/provportal" check-eligibility --batch "$work/small.csv" --concurrency "$conc" --results "$work/small.jsonl" -q
dry_run_bench
measure bigrun "$bin/provportal" check-eligibility --batch "$work/big.csv" --concurrency "$conc" --results "$work/big.jsonl" -q

version_ms=$("$py" - "$bin/provportal" <<'PY'
import subprocess, sys, time
runs = 20
t = time.perf_counter()
for _ in range(runs):
    subprocess.run([sys.argv[1], "--version"], stdout=subprocess.DEVNULL, check=True)
print(f"{(time.perf_counter() - t) / runs * 1000:.1f}")
PY
)

# Uploads: an order that needs documents, then one large "PDF" (a PDF header and random bytes:
# the portal checks the type by its first bytes) sent by curl and by provportal.
pp submit-case --health-plan acme-commercial --solution sleep --member-id ACM101296 \
  --first-name "José Ángel" --last-name "Núñez" --dob 1976-08-19 --ordering-npi 1234567893 \
  --servicing-npi 1245319599 --procedure 95810:1 --diagnosis G47.33 --service-start 2026-12-01 \
  --service-end 2026-12-31 --answer q1=14 --answer q2=no -o json -q > "$work/order.json"
order_id=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["order_id"])' "$work/order.json")
{ printf '%%PDF-1.4\n'; head -c $((upload_mb * 1024 * 1024)) /dev/urandom; } > "$work/upload-curl.pdf"
{ printf '%%PDF-1.4\n'; head -c $((upload_mb * 1024 * 1024)) /dev/urandom; } > "$work/upload-pp.pdf"
upload_bytes=$(stat -c %s "$work/upload-pp.pdf")
token=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$XDG_CONFIG_HOME/provportal/sessions/default.json")
curl_sha=$(sha256sum "$work/upload-curl.pdf" | cut -d' ' -f1)
measure curlup curl -sS --fail-with-body -o "$work/curl-upload.json" --cacert "$data/ca.pem" \
  -H "Authorization: Bearer $token" -H "X-Content-SHA256: $curl_sha" -H "Content-Type: application/pdf" \
  --data-binary "@$work/upload-curl.pdf" \
  "$PROVPORTAL_BASE_URL/v1/cases/$order_id/documents?document_type=other&filename=upload-curl.pdf"
# provportal hashes the file in a first pass and streams it in a second, as a real run does.
measure ppup "$bin/provportal" upload-docs "$order_id" "$work/upload-pp.pdf" --document-type clinical_notes -o json -q
rm -f "$work/upload-curl.pdf" "$work/upload-pp.pdf"

# A 10,000-case YAML batch (approved at once; the runner keeps a bounded window of rows). They
# repeat one member, code and dates, so each says it is new (not_duplicate, with a reason).
"$py" - "$work/cases.yaml" 10000 <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(f"""- ref: bench-{i:06d}
  health_plan: acme-commercial
  solution: radiology
  member_id: ACM100234
  first_name: James
  last_name: Whitaker
  date_of_birth: "1958-03-14"
  ordering_npi: "1234567893"
  servicing_npi: "1245319599"
  procedures: [{{code: "70551", units: 1}}]
  diagnoses: [R51.9]
  service_start: "2026-12-01"
  service_end: "2027-02-28"
  answers: {{q1: "yes", q2: {6 + i % 10}, q3: "no"}}
  not_duplicate: true
  additional_info: "bench case {i}: one member, code and dates on purpose"
""")
PY
measure cases "$bin/provportal" submit-case --batch "$work/cases.yaml" --concurrency "$conc" --results "$work/cases.jsonl" -q
cases_ok=$(grep -c '"outcome":"ok"' "$work/cases.jsonl" || true)

x12_build_bench
x12_parse_bench
x12_core_bench
remittance_bench

pp_rps=$("$py" -c "print($rows / $pp_wall)")
py_rps=$("$py" -c "print($rows / $py_wall)")
throughput_lines
echo
printf '%-44s %9s MiB\n' "peak RSS, 10,000 rows" "$((small_rss / 1024))"
printf '%-44s %9s MiB   (%s rows/s)\n' "peak RSS, $big rows" "$((bigrun_rss / 1024))" "$(rate "$big" "$bigrun_wall")"
dry_run_line
printf '%-44s %9s ms\n' "provportal --version" "$version_ms"
echo
curl_mbs=$("$py" -c "print(f'{$upload_bytes / 1e6 / max($curlup_wall, 0.01):.0f}')")
pp_mbs=$("$py" -c "print(f'{$upload_bytes / 1e6 / max($ppup_wall, 0.01):.0f}')")
printf '%-44s %9s MB/s  (%s MB, peak RSS %s MiB)\n' "upload with curl --data-binary" "$curl_mbs" "$upload_mb" "$((curlup_rss / 1024))"
printf '%-44s %9s MB/s  (%s MB, peak RSS %s MiB)\n' "upload with provportal upload-docs" "$pp_mbs" "$upload_mb" "$((ppup_rss / 1024))"
printf '%-44s %9s MiB   (%s ok, %s cases/s)\n' "peak RSS, submit-case 10,000 cases (YAML)" "$((cases_rss / 1024))" "$cases_ok" "$(rate 10000 "$cases_wall")"
echo
"$py" - "$pp_rps" "$py_rps" "${wrk_rps:-0}" "$pp_mbs" "$curl_mbs" "$ppup_rss" "$cases_rss" "$dry_rps" <<'PY'
import sys
pp, py, ceiling = map(float, sys.argv[1:4])
up, curl, up_rss, cases_rss = map(float, sys.argv[4:8])
dry = float(sys.argv[8])
def check(name, ok, detail):
    print(f"{'PASS' if ok else 'MISS'}  {name}: {detail}")
check("provportal >= 2x the aiohttp client", pp >= 2 * py, f"{pp / py:.2f}x")
if ceiling > 0:
    check("provportal >= 0.8x the wrk ceiling", pp >= 0.8 * ceiling, f"{pp / ceiling:.2f}x")
check("--dry-run >= 500,000 rows/s on one core", dry >= 500_000, f"{dry:,.0f} rows/s")
check("upload-docs >= 0.8x curl's throughput", up >= 0.8 * curl, f"{up / curl:.2f}x" if curl else "curl failed")
check("upload-docs peak RSS < 64 MiB", up_rss < 64 * 1024, f"{up_rss / 1024:.0f} MiB")
check("submit-case 10,000 cases peak RSS < 64 MiB", cases_rss < 64 * 1024, f"{cases_rss / 1024:.0f} MiB")
PY
x12_lines
echo
x12_checks
remittance_lines
echo
remittance_checks
