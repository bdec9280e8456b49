"""The deployment examples run as shipped, against a real sandbox: the nightly cron job
(examples/cron/), the CI batch script behind the GitHub Actions and GitLab CI files (examples/ci/)
and the Kubernetes Indexed Job, simulated as N local processes (examples/k8s/)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import PASSWORD, REPO, enroll_totp, expect, make_active_user, write_eligibility_rows

EXAMPLES = REPO / "examples"
CRON = EXAMPLES / "cron" / "nightly.sh"
BATCH_CI = EXAMPLES / "ci" / "batch-ci.sh"
K8S = EXAMPLES / "k8s"
SCRIPT_TIMEOUT = 120


def write_rows(path: Path, n: int, prefix: str = "r") -> Path:
    """n well-formed eligibility rows cycling through the sandbox's roster."""
    return write_eligibility_rows(path, n, ref=lambda i: f"{prefix}{i:06d}")


def idempotency_keys(sandbox) -> int:
    out = subprocess.run(["sqlite3", f"file:{sandbox.data_dir / 'portal.db'}?mode=ro",
                          "SELECT count(*) FROM idempotency_keys"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


def wait_for_keys(sandbox, expected: int, timeout: float = 10) -> int:
    """The sandbox stores eligibility answers by a background writer; give it a moment."""
    deadline = time.monotonic() + timeout
    while True:
        n = idempotency_keys(sandbox)
        if n >= expected or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


@pytest.fixture
def job_user(sandbox, cli):
    """An office account set up for unattended jobs: password file and TOTP secret file."""
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    secret_file, _ = enroll_totp(sandbox, cli)
    password_file = cli.home / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    expect(cli.run("logout"), 0)
    return {"email": email, "password_file": password_file, "totp_secret_file": secret_file}


# ---- the nightly cron job ----------------------------------------------------------------------


class Nightly:
    def __init__(self, cli, user, tmp_path: Path):
        self.cli = cli
        self.home = tmp_path / "nightly"
        self.inbox = self.home / "inbox"
        self.outbox = self.home / "outbox"
        self.inbox.mkdir(parents=True)
        self.env_file = tmp_path / "nightly.env"
        self.env_file.write_text(
            f"NIGHTLY_HOME={self.home}\n"
            f"LOGIN_EMAIL={user['email']}\n"
            f"PASSWORD_FILE={user['password_file']}\n"
            f"TOTP_SECRET_FILE={user['totp_secret_file']}\n"
            f"PROVPORTAL=${{PROVPORTAL:-{cli.binary}}}\n"
        )

    def env(self, extra=None) -> dict:
        return self.cli.env(extra)

    def start(self, extra_env=None) -> subprocess.Popen:
        return subprocess.Popen(["bash", str(CRON), str(self.env_file)], env=self.env(extra_env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, extra_env=None) -> tuple[int, str, str]:
        p = self.start(extra_env)
        out, err = p.communicate(timeout=SCRIPT_TIMEOUT)
        return p.returncode, out, err

    def logs(self) -> list[Path]:
        return sorted((self.home / "logs").glob("nightly-*.log"))


def slow_provportal(tmp_path: Path, real: Path, seconds: float) -> Path:
    """A provportal that takes its time: a night when the portal is slow."""
    wrapper = tmp_path / "slow-provportal"
    wrapper.write_text(f"#!/bin/sh\nsleep {seconds}\nexec {real} \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper


def test_cron_job_started_twice_runs_once_and_skips_the_other(sandbox, cli, job_user, tmp_path):
    job = Nightly(cli, job_user, tmp_path)
    shutil.copy(EXAMPLES / "eligibility.csv", job.inbox / "eligibility-2026-11-16.csv")
    rows = len((EXAMPLES / "eligibility.csv").read_text(encoding="utf-8").splitlines()) - 1

    first = job.start({"PROVPORTAL": str(slow_provportal(tmp_path, cli.binary, 1.5))})
    deadline = time.monotonic() + 20
    while not job.logs() and time.monotonic() < deadline:  # its log exists once it holds the lock
        time.sleep(0.02)
    assert job.logs(), "the first run never started"
    rc2, out2, err2 = job.run()
    assert (rc2, out2) == (0, ""), f"the second run should skip quietly: rc={rc2} out={out2!r} err={err2!r}"
    assert "skipping" in (job.home / "logs" / "skipped.log").read_text()
    assert len(job.logs()) == 1, "the skipped run must not have started a run of its own"

    out1, err1 = first.communicate(timeout=SCRIPT_TIMEOUT)
    log = job.logs()[0].read_text()
    # examples/eligibility.csv has deliberately bad rows: exit 1, and the mail names the results.
    assert first.returncode == 1, f"rc={first.returncode}\nstdout={out1}\nstderr={err1}\nlog={log}"
    assert "needs attention" in out1 and "eligibility-2026-11-16.results.csv" in out1, out1
    results = list(csv.DictReader((job.outbox / "eligibility-2026-11-16.results.csv").open(encoding="utf-8")))
    assert len(results) == rows
    assert {r["outcome"] for r in results} <= {"ok", "rejected", "invalid"}
    assert (job.home / "done" / "eligibility-2026-11-16.csv").exists()
    assert not list(job.inbox.iterdir()), "the batch stays in the inbox after it was sent"
    assert not list((job.home / "journals").iterdir()), "a finished batch leaves no journal"
    # Secrets and PHI stay out of the log.
    assert PASSWORD not in log and job_user["totp_secret_file"].read_text().strip() not in log
    assert "Whitaker" not in log and "1958-03-14" not in log


def test_cron_job_quiet_night_unreadable_batch_and_a_person_needed(sandbox, cli, job_user, tmp_path):
    job = Nightly(cli, job_user, tmp_path)
    write_rows(job.inbox / "eligibility-good.csv", 30)
    rc, out, err = job.run()
    assert (rc, out) == (0, ""), f"a night with nothing wrong mails nothing: rc={rc} out={out!r} err={err!r}"
    session = cli.session_file()
    assert session.exists() and stat.S_IMODE(session.stat().st_mode) == 0o600
    logins = len(sandbox.emails(job_user["email"]))

    # The next night reuses the cached session: no new login (no email, no TOTP code spent).
    (job.inbox / "eligibility-bad.csv").write_text("member_id,member_id,first_name\nA,B,C\n")
    rc, out, err = job.run()
    assert rc == 3 and "eligibility-bad.csv" in out and "failed" in out, (rc, out, err)
    assert (job.home / "failed" / "eligibility-bad.csv").exists()
    assert len(sandbox.emails(job_user["email"])) == logins

    # The account is disabled: the job cannot go on and says a person must act (exit 4).
    sandbox.admin("disable", job_user["email"])
    write_rows(job.inbox / "eligibility-later.csv", 5)
    rc, out, err = job.run()
    assert rc == 4 and "a person must act" in out, (rc, out, err)
    assert (job.inbox / "eligibility-later.csv").exists(), "an unsent batch stays for the next run"


# ---- CI: validate on every change, submit on main ----------------------------------------------


def test_ci_files_validate_everywhere_and_submit_only_on_main():
    gh = yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text())
    steps = {name: [s.get("run", "") for s in job["steps"]] for name, job in gh["jobs"].items()}
    assert any("batch-ci.sh validate" in r for r in steps["validate"])
    assert any("batch-ci.sh submit" in r for r in steps["submit"])
    assert "refs/heads/main" in gh["jobs"]["submit"]["if"] and gh["jobs"]["submit"]["needs"] == "validate"
    assert "secrets.PROVPORTAL_PASSWORD" in json.dumps(gh["jobs"]["submit"]), "secrets come from the CI's store"

    gl = yaml.safe_load((EXAMPLES / "ci" / "gitlab-ci.yml").read_text())
    assert any("batch-ci.sh validate" in s for s in gl["validate-batches"]["script"])
    assert any("batch-ci.sh submit" in s for s in gl["submit-batches"]["script"])
    assert "CI_DEFAULT_BRANCH" in gl["submit-batches"]["rules"][0]["if"]


def test_ci_script_validates_without_login_then_submits_once(sandbox, cli, job_user, tmp_path):
    repo = tmp_path / "repo"
    (repo / "batches" / "eligibility").mkdir(parents=True)
    (repo / "batches" / "cases").mkdir(parents=True)
    shutil.copy(EXAMPLES / "eligibility.csv", repo / "batches" / "eligibility" / "nightly.csv")
    write_rows(repo / "batches" / "eligibility" / "clean.csv", 20, prefix="ci")
    env = cli.env({"PROVPORTAL": str(cli.binary)})

    def ci(mode: str, extra=None) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(BATCH_CI), mode, "batches"], cwd=repo, env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=SCRIPT_TIMEOUT)

    # On a branch: a dry run, no credentials at all, nothing sent; the bad rows fail the job.
    keys = idempotency_keys(sandbox)
    v = ci("validate")
    assert v.returncode == 1, v
    dry = list(csv.DictReader((repo / "results" / "eligibility-nightly.results.csv").open(encoding="utf-8")))
    assert any(r["outcome"] == "invalid" for r in dry) and idempotency_keys(sandbox) == keys
    os.remove(repo / "batches" / "eligibility" / "nightly.csv")
    assert ci("validate").returncode == 0

    # On main: an unattended login from the CI's masked variables, then the batches are sent.
    secrets = {"PROVPORTAL_LOGIN_EMAIL": job_user["email"], "PROVPORTAL_PASSWORD": PASSWORD,
               "PROVPORTAL_TOTP_SECRET": job_user["totp_secret_file"].read_text().strip()}
    assert ci("submit").returncode != 0, "no credentials: the submit job must fail"
    s = ci("submit", secrets)
    assert s.returncode == 0, s
    results = list(csv.DictReader((repo / "results" / "eligibility-clean.results.csv").open(encoding="utf-8")))
    assert len(results) == 20 and {r["outcome"] for r in results} == {"ok"}
    assert wait_for_keys(sandbox, keys + 20) == keys + 20
    assert PASSWORD not in s.stdout + s.stderr

    # A re-run of the pipeline (the cache lost) sends nothing twice: the portal replays.
    shutil.rmtree(repo / ".provportal-state")
    again = ci("submit", secrets)
    assert again.returncode == 0, again
    time.sleep(0.3)
    assert idempotency_keys(sandbox) == keys + 20


# ---- the Kubernetes Indexed Job, as N local processes ------------------------------------------


def test_indexed_job_with_four_shards_answers_every_row_exactly_once(sandbox, cli, job_user, tmp_path):
    expect(cli.run("login", "--email", job_user["email"], "--password-file", str(job_user["password_file"]),
                   "--mfa", "totp", "--totp-secret-file", str(job_user["totp_secret_file"])), 0)
    batch = write_rows(tmp_path / "eligibility.csv", 400, prefix="k8s")
    keys = idempotency_keys(sandbox)
    out = tmp_path / "job"
    p = subprocess.run([str(K8S / "simulate.sh"), "4", str(batch), str(out)],
                       env=cli.env({"PROVPORTAL": str(cli.binary)}), capture_output=True, text=True,
                       timeout=SCRIPT_TIMEOUT)
    logs = "\n".join(f.read_text() for f in sorted(out.glob("shard-*.log")))
    assert p.returncode == 0, f"{p.stderr}\n{logs}"
    assert "400 rows from 4 shards: 400 ok" in p.stderr, p.stderr

    merged = [json.loads(line) for line in (out / "merged.jsonl").read_text().splitlines()]
    assert [r["line"] for r in merged] == list(range(2, 402)), "every row once, in input order"
    assert [r["ref"] for r in merged] == [f"k8s{i:06d}" for i in range(400)]
    per_shard = [len((out / "results" / f"results-{k}-of-4.jsonl").read_text().splitlines()) for k in range(4)]
    assert sum(per_shard) == 400 and all(n > 0 for n in per_shard), per_shard
    assert wait_for_keys(sandbox, keys + 400) == keys + 400, "the portal applied each row once"

    # A pod retried by Kubernetes resumes its shard and sends nothing again.
    shard = subprocess.run([str(K8S / "shard.sh")], env=cli.env({
        "PROVPORTAL": str(cli.binary), "JOB_COMPLETION_INDEX": "2", "SHARDS": "4", "BATCH_FILE": str(batch),
        "RESULTS_DIR": str(out / "results")}), capture_output=True, text=True, timeout=SCRIPT_TIMEOUT)
    assert shard.returncode == 0, shard.stderr
    time.sleep(0.3)
    assert idempotency_keys(sandbox) == keys + 400

    # The merge refuses a missing shard and a row answered by two shards.
    os.rename(out / "results" / "results-3-of-4.jsonl", tmp_path / "r3.jsonl")
    m = subprocess.run([str(K8S / "merge-results.sh"), str(out / "results"), "4", str(tmp_path / "m.jsonl")],
                       capture_output=True, text=True, timeout=30)
    assert m.returncode == 3 and "shard 3/4" in m.stderr and not (tmp_path / "m.jsonl").exists()
    shutil.copy(out / "results" / "results-0-of-4.jsonl", out / "results" / "results-3-of-4.jsonl")
    m = subprocess.run([str(K8S / "merge-results.sh"), str(out / "results"), "4", str(tmp_path / "m.jsonl")],
                       capture_output=True, text=True, timeout=30)
    assert m.returncode == 3 and "appears in two shards" in m.stderr and not (tmp_path / "m.jsonl").exists()


def test_deployment_scripts_pass_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is missing: scripts/setup.sh installs it")
    scripts = [CRON, BATCH_CI, *sorted(K8S.glob("*.sh"))]
    p = subprocess.run(["shellcheck", "-x", *map(str, scripts)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    k8s = yaml.safe_load((K8S / "indexed-job.yaml").read_text())
    spec = k8s["spec"]
    assert spec["completionMode"] == "Indexed"
    env = {e["name"]: e["value"] for e in spec["template"]["spec"]["containers"][0]["env"]}
    assert env["SHARDS"] == str(spec["completions"]), "SHARDS must equal the Job's completions"
