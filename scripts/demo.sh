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

step "The same jobs in X12 5010: over CAQH CORE (x12-core), then through a clearinghouse's drop (x12-files)"
cat > "$demo/claims.csv" <<CSV
ref,claim_number,member_id,first_name,last_name,date_of_birth,health_plan,provider_npi,service_from,service_to
clm-1,,ACM100234,James,Whitaker,1958-03-14,acme-commercial,1234567893,2026-01-01,$today
clm-2,C71000000102,ACM100418,Maria,Gonzalez,1984-07-22,acme-commercial,1234567893,2026-01-01,$today
clm-3,,ACM999999,Paul,Newman,1970-01-01,acme-commercial,1234567893,2026-01-01,$today
CSV
pp config set email "$email" > /dev/null
pp config set password_file "$password_file" > /dev/null   # the CORE UsernameToken's password
export PROVPORTAL_SENDER_ID=PROVPORTAL01 PROVPORTAL_RECEIVER_ID=PROVPORTALSBX \
       PROVPORTAL_PAYERS_FILE=$root/examples/payers.yaml
for wire in portal-json x12-core; do
  set +e
  show pp --wire "$wire" check-eligibility --batch examples/eligibility.csv --results "$demo/elig-$wire.jsonl" -q
  show pp --wire "$wire" claim-status --batch "$demo/claims.csv" --results "$demo/claims-$wire.jsonl" -q
  set -e
done
drop=$demo/drop
export PROVPORTAL_OUTBOX=$drop/outbox PROVPORTAL_INBOX=$drop/inbox
set +e  # exit 1: some rows are invalid or rejected, as over every wire
show pp --wire x12-files check-eligibility --batch examples/eligibility.csv --results "$demo/elig-x12-files.jsonl"
show pp --wire x12-files claim-status --batch "$demo/claims.csv" --results "$demo/claims-x12-files.jsonl"
set -e
ls "$drop/outbox"
show "$bin/provportal-sandbox" clearinghouse --data-dir "$data" --outbox "$drop/outbox" \
  --inbox "$drop/inbox" --email "$email" --password-file "$password_file" --once --log-level warn
ls "$drop/inbox"
set +e
show pp --wire x12-files check-eligibility --batch examples/eligibility.csv --results "$demo/elig-x12-files.jsonl" --resume
show pp --wire x12-files claim-status --batch "$demo/claims.csv" --results "$demo/claims-x12-files.jsonl" --resume
set -e
unset PROVPORTAL_OUTBOX PROVPORTAL_INBOX
echo "The results, row by row, are the same records on every wire (names without accents in X12):"
"$py" - "$demo" <<'PY'
import json, sys, unicodedata
demo = sys.argv[1]
fold = lambda s: "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).upper()
def rows(path):
    return {r["ref"]: r for r in map(json.loads, open(path))}
def record(row, keys):
    a = row.get("answer") or {}
    if row["outcome"] == "rejected":
        return row["outcome"], (a.get("reject_reason") or {}).get("code")
    if row["outcome"] != "ok":
        return (row["outcome"],)
    out = {k: a.get(k) for k in keys}
    if isinstance(out.get("member"), dict):
        out["member"] = {k: fold(v) if k.endswith("_name") else v for k, v in out["member"].items()}
    if "claims" in out:
        out["claims"] = [{k: c.get(k) for k in ("claim_number", "status_category", "billed_amount",
                         "paid_amount", "check_number", "paid_date")} for c in out["claims"]]
    return row["outcome"], out
for job, keys in (("elig", ["status", "member", "plan", "coverage", "service_date", "benefits", "reason"]),
                  ("claims", ["claims"])):
    base = rows(f"{demo}/{job}-portal-json.jsonl")
    for wire in ("x12-core", "x12-files"):
        other = rows(f"{demo}/{job}-{wire}.jsonl")
        same = [ref for ref in base if record(base[ref], keys) == record(other[ref], keys)]
        print(f"  {job:6} {wire:9}: {len(same)} of {len(base)} rows the same as over portal-json")
        if len(same) != len(base):
            sys.exit(f"  differ: {sorted(set(base) - set(same))}")
PY

step "Done: the sandbox's outbox"
ls "$data/outbox"
