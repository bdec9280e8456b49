#!/usr/bin/env bash
# The main job, end to end, on the files in examples/: installs what is missing, builds, starts a
# sandbox portal, walks an office user through the account lifecycle, then checks eligibility
# for one member and for the batches in examples/, submits cases, searches orders and pulls
# claim status as a nightly job would, printing each step.
# Usage: scripts/demo.sh            (state is kept in .demo/, recreated on every run)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/setup.sh
scripts/build.sh
bin=$root/${PROVPORTAL_BUILD_DIR:-build}/bin

demo=$root/.demo
rm -rf "$demo"
mkdir -p "$demo"
export XDG_CONFIG_HOME=$demo/config XDG_STATE_HOME=$demo/state XDG_DATA_HOME=$demo/data
data=$demo/sandbox

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Start the sandbox portal (port 0: a free port; maintenance window off for the demo)"
"$bin/provportal-sandbox" serve --data-dir "$data" --listen 127.0.0.1:0 --maintenance-window off \
  --log-level warn > "$demo/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s $data/address ]] && break; sleep 0.1; done
[[ -s $data/address ]] || { cat "$demo/sandbox.log"; exit 1; }
address=$(cat "$data/address")
echo "sandbox at https://$address (CA $data/ca.pem, outbox $data/outbox)"
export PROVPORTAL_BASE_URL=https://$address PROVPORTAL_CA_FILE=$data/ca.pem
admin() { "$bin/provportal-sandbox" admin --data-dir "$data" "$@"; }
pp() { "$bin/provportal" "$@"; }
py=/usr/bin/python3

email=$(sed -n 's/^email: *//p' examples/registration.yaml)
# A passphrase generated for this run; it only ever travels through files and stdin.
password_file=$demo/password
umask 077
printf 'demo %s harbor lantern\n' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" > "$password_file"
umask 022

step "Register the office user from examples/registration.yaml"
show pp register --file examples/registration.yaml --password-file "$password_file"

step "Logging in before review is refused (exit 4)"
set +e; pp login --email "$email" --password-file "$password_file" --otp-code 000000; rc=$?; set -e
echo "exit code $rc"

step "The health plan's administrator approves the registration"
show admin approve "$email"
echo "verification email: $(ls "$data/outbox" | grep verify-email | tail -1)"

step "Verify the email address with the code from the email"
code=$(sh examples/otp-from-outbox.sh "$data" "$email" verify-email)
pp verify-email --email "$email" --code "$code"

step "Log in: password from a file, the emailed one-time passcode fetched by --otp-command"
show pp login --email "$email" --password-file "$password_file" \
  --otp-command "sh examples/otp-from-outbox.sh $data $email"

step "Who am I"
show pp whoami

step "Enrol an authenticator app (TOTP); the secret goes to a 0600 file"
show pp update-profile --enroll-totp --totp-secret-out "$demo/totp.secret"

step "Log out, then log in unattended with the TOTP secret file (as cron would)"
show pp logout
show pp login --email "$email" --password-file "$password_file" --totp-secret-file "$demo/totp.secret"
show pp whoami -o json

step "Check one member's eligibility"
show pp check-eligibility --member-id ACM100234 --first-name James --last-name Whitaker \
  --dob 1958-03-14 --health-plan acme-commercial --provider-npi 1234567893 --service-date 2026-11-16 -o yaml

step "Validate the eligibility batch without sending it (--dry-run; bad rows are named with their line)"
set +e; pp check-eligibility --batch examples/eligibility.csv --dry-run --results "$demo/dry-run.csv"; rc=$?; set -e
echo "exit code $rc (1: some rows are invalid)"

step "Run the eligibility batch: every row gets one result, in order, in $demo/eligibility-results.csv"
set +e
show pp check-eligibility --batch examples/eligibility.csv --concurrency 8 --results "$demo/eligibility-results.csv"
rc=$?
set -e
echo "exit code $rc (1: some rows were rejected or invalid; see the results)"
cut -d, -f1-5,8-12 "$demo/eligibility-results.csv" | column -s, -t

step "The same batch as YAML, results as JSON Lines on stdout"
set +e; pp check-eligibility --batch examples/eligibility.yaml -q | head -3; set -e

step "Submit the prior authorization cases of examples/cases.yaml (attachments go up when documents are needed)"
set +e
show pp submit-case --batch examples/cases.yaml --concurrency 4 --results "$demo/cases-results.csv"
rc=$?
set -e
echo "exit code $rc (1: some cases were rejected or invalid, as the file's comments say)"
"$py" - "$demo/cases-results.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
print(f"{'ref':10} {'outcome':9} {'order':13} {'ACMP':14} {'status':16} {'docs':4}  next step / reason")
for r in rows:
    why = r["next_step"] if r["outcome"] == "ok" else (r["message"] or r["errors"])
    print(f"{r['ref']:10} {r['outcome']:9} {r['order_id']:13} {r['acmp_number']:14} {r['status']:16} {r['documents_uploaded'] or '-':4}  {why[:70]}")
PY

step "Upload the clinical notes that case-0005 still needs (streamed, type checked by content)"
order5=$("$py" -c 'import csv,sys; print(next(r["order_id"] for r in csv.DictReader(open(sys.argv[1])) if r["ref"] == "case-0005"))' "$demo/cases-results.csv")
show pp upload-docs "$order5" examples/documents/clinical-notes.pdf --document-type clinical_notes \
  --description "Sleep history and examination" -o yaml
echo "A text file named .pdf is refused before anything is sent:"
set +e; pp upload-docs "$order5" examples/documents/not-really-a.pdf --document-type other; echo "exit code $?"; set -e

step "The health plan's reviewer decides a pended case (sandbox admin), which writes a letter"
order2=$("$py" -c 'import csv,sys; print(next(r["order_id"] for r in csv.DictReader(open(sys.argv[1])) if r["ref"] == "case-0002"))' "$demo/cases-results.csv")
show admin decide "$order2" partial

step "Search the orders across every health plan and solution"
show pp search-orders -o table

step "Download the determination letters (PDF) and look at one"
show pp search-orders --download-letters "$demo/letters" -o jsonl -q > /dev/null
ls -l "$demo/letters"
pdfinfo "$(ls "$demo"/letters/*.pdf | head -1)"

step "Pull claim status: one claim by number, then a member's claims"
show pp claim-status --claim-number C71000000102 -o table
today=$("$py" -c 'import json,sys; print(json.load(sys.stdin)["now"][:10])' < <(admin clock show))
show pp claim-status --member-id ACM100234 --dob 1958-03-14 --provider-npi 1234567893 \
  --service-from 2026-01-01 --service-to "$today" -o table

step "The nightly job: --since last writes only what changed since the previous pull, whole, to a file"
claims=$demo/outgoing/claims.csv
mkdir -p "$demo/outgoing"
show pp claim-status --since last -O "$claims"
echo "$(($(wc -l < "$claims") - 1)) claims in $claims (the first pull of a query returns every claim)"
echo
echo "The sandbox's clock moves to tomorrow: the payer's nightly adjudication runs."
admin clock advance 1d > /dev/null
pp login --email "$email" --password-file "$password_file" --totp-secret-file "$demo/totp.secret" > /dev/null
echo "A peek at what changed, which leaves the watermark where it is:"
show pp claim-status --since last --no-advance -o table
echo
show pp claim-status --since last -O "$claims"
column -s, -t < <(cut -d, -f1-4,10-12 "$claims")
echo "The watermark: the portal's as_of of the last complete pull (delete the file to start over):"
cat "$XDG_STATE_HOME"/provportal/watermarks/claim-status-*.json

step "Done: the sandbox's outbox"
ls "$data/outbox"
