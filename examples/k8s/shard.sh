#!/usr/bin/env bash
# One pod of the Kubernetes Indexed Job in indexed-job.yaml: sends shard JOB_COMPLETION_INDEX of
# SHARDS of one batch (`--shard K/N`: every row belongs to exactly one shard, so N pods cover the
# batch with no overlap and no gap) and writes its results to RESULTS_DIR/results-K-of-N.jsonl.
#
# Settings (environment): JOB_COMPLETION_INDEX (set by Kubernetes), SHARDS (= the Job's
# completions), BATCH_FILE, RESULTS_DIR (a volume every pod and the merge step can reach),
# SUBCOMMAND (check-eligibility, submit-case, claim-status; default check-eligibility),
# SESSION_FILE (the login shared by the Job, mounted from a Secret: see README.md),
# CONCURRENCY (default 8), PROVPORTAL (the binary, default provportal on PATH), and the usual
# PROVPORTAL_BASE_URL / PROVPORTAL_CA_FILE / PROVPORTAL_PROFILE.
#
# Exit codes, for the Job's podFailurePolicy: 0 the shard is done (rows the portal rejected are
# in its results, and the merge step reports them); 2, 3 and 4 cannot get better by retrying
# (bad flags, an unreadable batch, a session a person must renew): the Job fails; 5 and 130
# (outage, pod evicted): Kubernetes retries the index, and --resume continues from the journal
# kept beside the results, sending no row twice.
set -uo pipefail
: "${JOB_COMPLETION_INDEX:?set by Kubernetes for an Indexed Job}"
: "${SHARDS:?set SHARDS to the completions of the Job}"
: "${BATCH_FILE:?set BATCH_FILE}"
: "${RESULTS_DIR:?set RESULTS_DIR}"
PROVPORTAL=${PROVPORTAL:-provportal}
SUBCOMMAND=${SUBCOMMAND:-check-eligibility}
shard=$JOB_COMPLETION_INDEX-of-$SHARDS

umask 077
mkdir -p "$RESULTS_DIR/journals"
if [[ -n ${SESSION_FILE:-} ]]; then
  # The Secret's copy is read-only; the session cache must be a private, writable file.
  sessions=${XDG_CONFIG_HOME:-$HOME/.config}/provportal/sessions
  mkdir -p "$sessions" && chmod 700 "$sessions"
  cp "$SESSION_FILE" "$sessions/${PROVPORTAL_PROFILE:-default}.json"
fi

"$PROVPORTAL" --no-input --log-format json "$SUBCOMMAND" --batch "$BATCH_FILE" \
  --shard "$JOB_COMPLETION_INDEX/$SHARDS" --concurrency "${CONCURRENCY:-8}" \
  --resume --journal "$RESULTS_DIR/journals/journal-$shard" \
  --results "$RESULTS_DIR/results-$shard.jsonl"
rc=$?
# 1 means "finished, some rows rejected or invalid": the shard is complete, not failed.
if [[ $rc == 1 ]]; then exit 0; fi
exit "$rc"
