#!/usr/bin/env bash
# The nightly provportal job of a provider office or clearinghouse, run by cron with nobody at
# the keyboard:
#   1. takes a lock, so a run that starts while the previous one is still going skips cleanly;
#   2. logs in by itself (password file + TOTP secret file, or --otp-command), reusing the
#      cached session while it is valid;
#   3. sends every batch dropped into INBOX (eligibility-*.csv|yaml|jsonl to check-eligibility,
#      cases-*.csv|yaml|jsonl to submit-case), each with --resume and its own journal, so a run
#      that was cut off finishes the batch the next time without sending a row twice;
#   4. pulls what changed in claim status since the last successful pull into OUTBOX;
#   5. writes a log per run under LOG_DIR, deletes logs older than KEEP_LOG_DAYS, and prints to
#      stdout only what needs a person: cron mails stdout, so a quiet night sends no email.
#
# Usage: nightly.sh [ENV_FILE]        (default ENV_FILE: /etc/provportal/nightly.env)
# ENV_FILE is sourced; see nightly.env.example for every setting. Exit codes (the worst of the
# run): 0 all done; 1 some rows were rejected or invalid (see the results named in the mail);
# 3 a batch file could not be read (moved to FAILED_DIR); 4 a person must log in or unlock the
# account; 5 the portal was unavailable (the next run resumes); 7 some rows got no answer after
# every retry, the rest was done (the next run sends only those); 75 skipped: another run holds
# the lock (only with SKIP_EXIT_CODE=75; the default is 0, a skip is not an error).
set -uo pipefail

env_file=${1:-/etc/provportal/nightly.env}
if [[ -n ${1:-} || -f $env_file ]]; then
  # shellcheck source=/dev/null
  source "$env_file" || { echo "nightly: cannot read settings from $env_file" >&2; exit 2; }
fi

: "${NIGHTLY_HOME:?set NIGHTLY_HOME (the working directory of the job) in $env_file}"
: "${LOGIN_EMAIL:?set LOGIN_EMAIL (the account the job logs in as) in $env_file}"
: "${PASSWORD_FILE:?set PASSWORD_FILE (a chmod 600 file holding the password) in $env_file}"
PROVPORTAL=${PROVPORTAL:-provportal}
INBOX=${INBOX:-$NIGHTLY_HOME/inbox}
OUTBOX=${OUTBOX:-$NIGHTLY_HOME/outbox}
DONE_DIR=${DONE_DIR:-$NIGHTLY_HOME/done}
FAILED_DIR=${FAILED_DIR:-$NIGHTLY_HOME/failed}
JOURNAL_DIR=${JOURNAL_DIR:-$NIGHTLY_HOME/journals}
LOG_DIR=${LOG_DIR:-$NIGHTLY_HOME/logs}
LOCK_FILE=${LOCK_FILE:-$NIGHTLY_HOME/nightly.lock}
KEEP_LOG_DAYS=${KEEP_LOG_DAYS:-30}
CONCURRENCY=${CONCURRENCY:-8}
PULL_CLAIMS=${PULL_CLAIMS:-1}
SKIP_EXIT_CODE=${SKIP_EXIT_CODE:-0}

umask 077
mkdir -p "$INBOX" "$OUTBOX" "$DONE_DIR" "$FAILED_DIR" "$JOURNAL_DIR" "$LOG_DIR" || exit 2

# 1. One run at a time. The lock is held by file descriptor 9 until this script exits (however
# it exits, kill -9 included: the kernel releases it), so a stale lock file cannot block a run.
exec 9<>"$LOCK_FILE" || { echo "nightly: cannot open the lock file $LOCK_FILE" >&2; exit 2; }
if ! flock -n 9; then
  echo "$(date -u +%FT%TZ) nightly: another run holds $LOCK_FILE; skipping this one" >>"$LOG_DIR/skipped.log"
  exit "$SKIP_EXIT_CODE"
fi

run_id=$(date -u +%Y%m%dT%H%M%SZ)-$$
log=$LOG_DIR/nightly-$run_id.log
attention=()  # what a person should look at; printed (and so mailed by cron) at the end
worst=0

log() { printf '%s %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log"; }
need() { attention+=("$*"); log "ATTENTION: $*"; }
severity() { case $1 in 0) echo 0 ;; 1) echo 1 ;; 3) echo 2 ;; 7) echo 3 ;; 4) echo 5 ;; *) echo 4 ;; esac; }
worse() {  # keeps the most serious exit code of the run: 4 > 5 > 3 > 1 > 0
  if (($(severity "$1") > $(severity "$worst"))); then worst=$1; fi
}
pp() {  # runs provportal with its stderr in the run's log; returns its exit code
  log "\$ provportal $*"
  "$PROVPORTAL" --no-input --log-format json "$@" 2>>"$log"
}
finish() {
  find "$LOG_DIR" -name 'nightly-*.log' -mtime +"$KEEP_LOG_DAYS" -delete 2>/dev/null
  log "finished with exit code $worst"
  if ((${#attention[@]})); then
    printf 'provportal nightly run %s on %s needs attention:\n' "$run_id" "$(hostname)"
    printf '  - %s\n' "${attention[@]}"
    printf 'log: %s\n' "$log"
  fi
  exit "$worst"
}
log "run $run_id started (pid $$)"

# 2. Log in, unless the cached session is still good.
login_args=(--email "$LOGIN_EMAIL" --password-file "$PASSWORD_FILE")
if [[ -n ${TOTP_SECRET_FILE:-} ]]; then
  login_args+=(--mfa totp --totp-secret-file "$TOTP_SECRET_FILE")
elif [[ -n ${OTP_COMMAND:-} ]]; then
  login_args+=(--mfa email --otp-command "$OTP_COMMAND")
fi
pp login --if-needed "${login_args[@]}" >>"$log"
rc=$?
case $rc in
  0) ;;
  4)
    worse 4
    need "the job could not log in as $LOGIN_EMAIL: a person must act (see the log for why: locked, password expired, disabled...)"
    finish ;;
  *)
    worse 5
    need "login failed with exit code $rc; the next run tries again"
    finish ;;
esac

# 3. The batches in the inbox, oldest first.
forget_journal() {  # a finished batch's journal (with its lock and SQLite side files) is not needed
  rm -f -- "$1" "$1-wal" "$1-shm" "$1.lock"
}
send_batch() {  # send_batch FILE SUBCOMMAND
  local file=$1 cmd=$2 name results journal rc
  name=$(basename "$file")
  results=$OUTBOX/${name%.*}.results.csv
  journal=$JOURNAL_DIR/$name.journal
  log "batch $name: $cmd"
  pp "$cmd" --batch "$file" --resume --journal "$journal" --concurrency "$CONCURRENCY" \
    --results "$results" >>"$log"
  rc=$?
  case $rc in
    0) mv -f "$file" "$DONE_DIR/" && forget_journal "$journal" ;;
    1)
      mv -f "$file" "$DONE_DIR/" && forget_journal "$journal"
      worse 1
      need "$name: some rows were rejected or invalid; see $results (outcome column)" ;;
    2|3)
      mv -f "$file" "$FAILED_DIR/"
      worse 3
      need "$name cannot be sent as it is (exit $rc); moved to $FAILED_DIR, see the log" ;;
    4)
      worse 4
      need "$name: the session was refused; a person must log in (the batch resumes next run)"
      return 1 ;;
    7)
      worse 7
      need "$name: some rows got no answer after every retry (outcome failed in $results); the next run sends only those from $journal" ;;
    130)
      worse 5
      log "$name: interrupted; the journal is kept and the next run resumes it"
      return 1 ;;
    *)
      worse 5
      need "$name: the portal was unavailable (exit $rc); the next run resumes it from $journal"
      return 1 ;;
  esac
}

shopt -s nullglob
batches=("$INBOX"/eligibility-*.{csv,yaml,yml,jsonl} "$INBOX"/cases-*.{csv,yaml,yml,jsonl})
shopt -u nullglob
while IFS= read -r file; do
  [[ -n $file ]] || continue
  case $(basename "$file") in
    eligibility-*) send_batch "$file" check-eligibility || finish ;;
    cases-*) send_batch "$file" submit-case || finish ;;
  esac
done < <(if ((${#batches[@]})); then ls -1tr -- "${batches[@]}"; fi)

# 4. What changed in claim status since the last successful pull. The output file appears only
# when complete, and the watermark moves only then: a pull cut off is simply repeated.
if [[ $PULL_CLAIMS == 1 ]]; then
  pull=$OUTBOX/claims-$run_id.jsonl
  pp claim-status --since last -o jsonl --output-file "$pull" >>"$log"
  rc=$?
  case $rc in
    0) log "claim status changes: $(wc -l <"$pull") claims in $pull" ;;
    4) worse 4; need "claim status pull: the session was refused; a person must log in" ;;
    *) worse 5; need "claim status pull failed (exit $rc); the next run pulls from the same point" ;;
  esac
fi

finish
