#!/usr/bin/env bash
# Batches kept in a repository, checked on every change and sent from the main branch only:
# the script behind github-actions.yml and gitlab-ci.yml.
#
#   batch-ci.sh validate [BATCH_DIR]   every batch --dry-run: nothing is sent, no login needed
#   batch-ci.sh submit   [BATCH_DIR]   log in unattended, then send every batch
#
# BATCH_DIR (default: batches) holds eligibility/*.{csv,yaml,yml,jsonl} (check-eligibility) and
# cases/*.{csv,yaml,yml,jsonl} (submit-case). Results go to RESULTS_DIR (default: results/), one
# .results.csv per batch, for the pipeline to keep as artifacts.
#
# submit reads the credentials from the CI's masked variables, never from argv:
#   PROVPORTAL_LOGIN_EMAIL, PROVPORTAL_PASSWORD, PROVPORTAL_TOTP_SECRET (Base32),
# plus PROVPORTAL_BASE_URL / PROVPORTAL_CA_FILE for the portal. Each row's idempotency key comes
# from its ref (or its content), so re-running a pipeline replays the portal's answers instead of
# submitting anything twice; journals in STATE_DIR (default: .provportal-state, worth caching)
# spare the requests too.
#
# Exit codes: 0 every row valid (validate) or ok (submit); 1 some rows invalid or rejected (see
# the results); 2 usage; 3 a batch cannot be read; 4 login refused; 5 portal unavailable.
set -uo pipefail
mode=${1:-}
dir=${2:-batches}
if [[ $mode != validate && $mode != submit ]] || (($# > 2)); then
  echo "usage: batch-ci.sh validate|submit [BATCH_DIR]" >&2
  exit 2
fi
PROVPORTAL=${PROVPORTAL:-provportal}
results=${RESULTS_DIR:-results}
state=${STATE_DIR:-.provportal-state}
umask 077
mkdir -p "$results" "$state"

if [[ $mode == submit ]]; then
  : "${PROVPORTAL_LOGIN_EMAIL:?set the CI variable PROVPORTAL_LOGIN_EMAIL}"
  : "${PROVPORTAL_PASSWORD:?set the masked CI variable PROVPORTAL_PASSWORD}"
  : "${PROVPORTAL_TOTP_SECRET:?set the masked CI variable PROVPORTAL_TOTP_SECRET}"
  secret=$(mktemp)
  trap 'rm -f "$secret"' EXIT
  printf '%s\n' "$PROVPORTAL_TOTP_SECRET" >"$secret"
  printf '%s\n' "$PROVPORTAL_PASSWORD" |
    "$PROVPORTAL" --no-input login --if-needed --email "$PROVPORTAL_LOGIN_EMAIL" \
      --password-stdin --mfa totp --totp-secret-file "$secret" >/dev/null || exit $?
fi

worst=0
sent=0
for kind in eligibility cases; do
  case $kind in
    eligibility) cmd=check-eligibility ;;
    cases) cmd=submit-case ;;
  esac
  for file in "$dir/$kind"/*.csv "$dir/$kind"/*.yaml "$dir/$kind"/*.yml "$dir/$kind"/*.jsonl; do
    [[ -f $file ]] || continue
    name=$kind-$(basename "$file")
    args=(--batch "$file" --results "$results/${name%.*}.results.csv")
    if [[ $mode == validate ]]; then
      args+=(--dry-run)
    else
      args+=(--resume --journal "$state/$name.journal")
    fi
    echo "== $cmd ${args[*]}"
    "$PROVPORTAL" --no-input "$cmd" "${args[@]}" >/dev/null
    rc=$?
    sent=$((sent + 1))
    case $rc in
      0) ;;
      1) worst=$((worst > 1 ? worst : 1)) ;;
      *) exit "$rc" ;;  # 2, 3, 4, 5: the pipeline fails on the first such batch
    esac
  done
done
if ((sent == 0)); then echo "batch-ci: no batches under $dir/eligibility or $dir/cases" >&2; fi
exit "$worst"
