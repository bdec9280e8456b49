#!/usr/bin/env bash
# Benchmarks provportal on this machine and prints the figures side by side:
#   - an eligibility batch of BENCH_ROWS (100,000) rows against the sandbox over TLS on loopback:
#     rows/s and CPU seconds of provportal, of a plain aiohttp client (scripts/bench/) with the
#     same rows and concurrency, and the sandbox's ceiling measured by wrk on the same endpoint;
#   - peak RSS of provportal at 10,000 and at BENCH_BIG_ROWS (1,000,000) rows;
#   - --dry-run rows/s over 1,000,000 rows;
#   - the time of `provportal --version`.
# Usage: scripts/bench.sh   (env: BENCH_ROWS, BENCH_BIG_ROWS, BENCH_CONCURRENCY, BENCH_WRK_SECONDS)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/setup.sh >/dev/null
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
CMAKE_BUILD_TYPE=Release PROVPORTAL_BUILD_DIR=build-bench scripts/build.sh >/dev/null
bin=$root/build-bench/bin

rows=${BENCH_ROWS:-100000}
big=${BENCH_BIG_ROWS:-1000000}
conc=${BENCH_CONCURRENCY:-16}
wrk_seconds=${BENCH_WRK_SECONDS:-10}

work=$(mktemp -d /tmp/provportal-bench.XXXXXX)
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/data
data=$work/sandbox
"$bin/provportal-sandbox" serve --data-dir "$data" --listen 127.0.0.1:0 --maintenance-window off \
  --log-level error > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s $data/address ]] && break; sleep 0.1; done
export PROVPORTAL_BASE_URL=https://$(cat "$data/address") PROVPORTAL_CA_FILE=$data/ca.pem
py=/usr/bin/python3
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

echo "provportal benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); $rows rows, concurrency $conc"

"$py" scripts/bench/make_rows.py "$rows" pp "$work/pp.csv"
"$py" scripts/bench/make_rows.py "$rows" py "$work/py.csv"

measure pp "$bin/provportal" check-eligibility --batch "$work/pp.csv" --concurrency "$conc" --results "$work/pp.jsonl" -q
measure py "$py" scripts/bench/aiohttp_client.py "$PROVPORTAL_BASE_URL" "$data/ca.pem" "$token" \
  "$work/py.csv" "$conc" "$work/py.jsonl"
pp_ok=$(grep -c '"outcome":"ok"' "$work/pp.jsonl" || true)
py_ok=$(grep -c '"status": 200' "$work/py.jsonl" || true)

BENCH_TOKEN=$token wrk -t2 -c"$conc" -d"${wrk_seconds}s" -s scripts/bench/eligibility.lua \
  "$PROVPORTAL_BASE_URL" > "$work/wrk.out" 2>&1 || true
wrk_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
wrk_non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out")

"$py" scripts/bench/make_rows.py 10000 small "$work/small.csv"
measure small "$bin/provportal" check-eligibility --batch "$work/small.csv" --concurrency "$conc" --results "$work/small.jsonl" -q
"$py" scripts/bench/make_rows.py "$big" big "$work/big.csv"
measure dry "$bin/provportal" check-eligibility --batch "$work/big.csv" --dry-run --results "$work/dry.jsonl" -q
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

pp_rps=$("$py" -c "print($rows / $pp_wall)")
py_rps=$("$py" -c "print($rows / $py_wall)")
printf '\n%-44s %12s %10s %12s\n' "eligibility batch, $rows rows over TLS" "rows/s" "CPU s" "peak RSS"
printf '%-44s %12s %10s %9s MiB   (%s ok)\n' "provportal check-eligibility" "$(rate "$rows" "$pp_wall")" "$pp_cpu" "$((pp_rss / 1024))" "$pp_ok"
printf '%-44s %12s %10s %9s MiB   (%s ok)\n' "python3-aiohttp client" "$(rate "$rows" "$py_wall")" "$py_cpu" "$((py_rss / 1024))" "$py_ok"
printf '%-44s %12s %10s %12s   (non-2xx: %s)\n' "sandbox ceiling (wrk -c$conc, ${wrk_seconds}s)" "$("$py" -c "print(f'{float(\"${wrk_rps:-0}\"):,.0f}')")" "-" "-" "${wrk_non2xx:-0}"
echo
printf '%-44s %9s MiB\n' "peak RSS, 10,000 rows" "$((small_rss / 1024))"
printf '%-44s %9s MiB   (%s rows/s)\n' "peak RSS, $big rows" "$((bigrun_rss / 1024))" "$(rate "$big" "$bigrun_wall")"
printf '%-44s %12s rows/s\n' "--dry-run over $big rows" "$(rate "$big" "$dry_wall")"
printf '%-44s %9s ms\n' "provportal --version" "$version_ms"
echo
"$py" - "$pp_rps" "$py_rps" "${wrk_rps:-0}" <<'PY'
import sys
pp, py, ceiling = map(float, sys.argv[1:4])
def check(name, ok, detail):
    print(f"{'PASS' if ok else 'MISS'}  {name}: {detail}")
check("provportal >= 2x the aiohttp client", pp >= 2 * py, f"{pp / py:.2f}x")
if ceiling > 0:
    check("provportal >= 0.8x the wrk ceiling", pp >= 0.8 * ceiling, f"{pp / ceiling:.2f}x")
PY
