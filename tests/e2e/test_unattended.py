"""Unattended operation (issue #5, items 3, 4 and 6): --wait through the maintenance window for
single commands and batches, login --if-needed and two jobs at once, --log-format json with run
IDs, --metrics in the Prometheus text format, and the audit log of submissions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (ELIGIBILITY_FIELDS, PASSWORD, REPO, ROSTER, enroll_totp, expect, iso, make_active_user, unique_email,
                      write_eligibility_rows)

EXAMPLES = REPO / "examples"
FIELDS = ELIGIBILITY_FIELDS


def _future_window_end() -> dt.datetime:
    """18:00 CST on a winter Sunday at least two days ahead of the real clock.

    The CLI judges a cached session's expiry on the machine's clock; with the portal's clock
    ahead of it no command refreshes its session first, so what these tests make wait is the
    request under test (a batch row, whoami), whatever today's date is."""
    day = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=2)
    while not (day.weekday() == 6 and day.month in (12, 1, 2)):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), dt.timezone.utc)


WINDOW_END_AT = _future_window_end()
WINDOW_END = iso(WINDOW_END_AT)


def before_end(seconds: int) -> str:
    return iso(WINDOW_END_AT - dt.timedelta(seconds=seconds))


def write_rows(path: Path, n: int, bad: int = 0) -> Path:
    """n rows from the roster (found and named right), then `bad` rows with an invalid NPI."""
    return write_eligibility_rows(path, n, ref=lambda i: f"r{i:05d}", bad=bad)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def window_on(sandbox, cli, when: str) -> None:
    """Pins the portal's clock at `when` (in a window), logs in afresh there, then opens the window."""
    sandbox.clock_set(when)
    expect(cli.login_email(cli.email), 0)
    sandbox.admin("settings", "--maintenance-window", "on")


def start(cli, *args: str, env: dict | None = None, stdin=subprocess.DEVNULL) -> subprocess.Popen:
    """Starts provportal in the background with the CLI's environment; stderr to a file."""
    err = cli.home / f"stderr-{time.monotonic_ns()}.log"
    proc = subprocess.Popen([str(cli.binary), *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=open(err, "wb"), env=cli.env(env), cwd=cli.home / "work", text=True)
    proc.err_path = err
    return proc


def wait_for_text(proc: subprocess.Popen, needle: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = proc.err_path.read_text(errors="replace")
        if needle in text.lower():
            return text
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no {needle!r} on stderr (exit {proc.poll()}):\n{proc.err_path.read_text(errors='replace')}")


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out, proc.err_path.read_text(errors="replace")


# ---- the Prometheus text exposition format, line by line ------------------------------------

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)"
SAMPLE_RE = re.compile(rf"^({METRIC_NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?,?\}})? ({VALUE})(?: -?\d+)?$")
HELP_RE = re.compile(rf"^# HELP ({METRIC_NAME}) (.*)$")
TYPE_RE = re.compile(rf"^# TYPE ({METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$")


def parse_exposition(text: str) -> dict:
    """Parses the text format strictly; returns {family: {type, help, samples: [(name, labels, value)]}}."""
    assert text.endswith("\n"), "the exposition must end with a line feed"
    families: dict[str, dict] = {}
    current = None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        assert line.strip() == line and line, f"line {n}: stray whitespace or an empty line: {line!r}"
        if m := HELP_RE.match(line):
            assert m.group(1) not in families, f"line {n}: {m.group(1)} described twice"
            families[m.group(1)] = {"help": m.group(2), "type": None, "samples": []}
            current = m.group(1)
            continue
        if m := TYPE_RE.match(line):
            assert m.group(1) == current and families[current]["type"] is None, f"line {n}: TYPE out of place"
            families[current]["type"] = m.group(2)
            continue
        assert not line.startswith("#"), f"line {n}: unknown comment {line!r}"
        m = SAMPLE_RE.match(line)
        assert m, f"line {n}: not a sample line: {line!r}"
        name, labels_text, value = m.group(1), m.group(2) or "", m.group(3)
        fam = families.get(current)
        assert fam and fam["type"], f"line {n}: sample before its HELP/TYPE"
        suffixes = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}.get(fam["type"], ("",))
        assert any(name == current + s for s in suffixes), f"line {n}: {name} does not belong to {current}"
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels_text))
        fam["samples"].append((name, labels, float(value.replace("Inf", "inf"))))
    for name, fam in families.items():
        assert fam["samples"], f"{name} has no sample"
        if fam["type"] == "histogram":
            buckets = [(float(l["le"].replace("Inf", "inf")), v) for n_, l, v in fam["samples"] if n_.endswith("_bucket")]
            assert [b for b, _ in buckets] == sorted(b for b, _ in buckets), f"{name}: buckets out of order"
            assert [v for _, v in buckets] == sorted(v for _, v in buckets), f"{name}: buckets not cumulative"
            count = [v for n_, _, v in fam["samples"] if n_.endswith("_count")]
            assert buckets[-1][0] == float("inf") and buckets[-1][1] == count[0], f"{name}: +Inf != _count"
    return families


def sample(families: dict, name: str, **labels) -> float:
    """The value of the one sample `name` (a family, or one of its _bucket/_sum/_count series)."""
    family = name if name in families else re.sub(r"_(bucket|sum|count)$", "", name)
    found = [v for n, l, v in families[family]["samples"]
             if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]
    assert len(found) == 1, f"{name}{labels}: {families[family]['samples']}"
    return found[0]


def test_exposition_checker_rejects_broken_files():
    """The checker above must be able to fail, or the metrics tests prove nothing."""
    good = "# HELP a_total x\n# TYPE a_total counter\na_total{p=\"1\"} 3\n"
    parse_exposition(good)
    for bad in ["a_total 3\n", "# HELP a_total x\n# TYPE a_total counter\na_total{p=1} 3\n",
                "# HELP a_total x\n# TYPE a_total counter\na_total 3", "# HELP a x\n# TYPE a gauge\nb 1\n",
                "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"]:
        with pytest.raises(AssertionError):
            parse_exposition(bad)


# ---- --wait ----------------------------------------------------------------------------------


def test_single_command_waits_for_the_window_to_end(sandbox, office):
    window_on(sandbox, office, before_end(9))  # 17:59:51 CST: the window ends in a few seconds

    # Without --wait: exit 5 at once, naming when to retry in UTC and local time.
    r = expect(office.run("whoami", "-o", "json"), 5, "18:00 CST", WINDOW_END, "local time", "--wait")
    assert "waiting" not in r.err.lower(), r.describe()

    started = time.monotonic()
    r = expect(office.run("whoami", "-o", "json", "--wait"), 0, "waiting (--wait) until", "local time")
    took = time.monotonic() - started
    assert r.json()["email"] == office.email
    assert 2 <= took <= 30, f"took {took:.1f}s: {r.describe()}"


def test_max_wait_shorter_than_the_window_exits_5_at_once(sandbox, office, tmp_path):
    window_on(sandbox, office, before_end(60))  # a minute to go
    started = time.monotonic()
    r = expect(office.run("whoami", "--wait", "--max-wait", "20s"), 5, "--max-wait", "local time", WINDOW_END)
    assert time.monotonic() - started < 10, "a wait beyond the bound must fail at once, not sleep first"
    assert "waiting (--wait)" not in r.err, r.describe()

    batch = write_rows(tmp_path / "rows.csv", 6)
    results = tmp_path / "results.jsonl"
    started = time.monotonic()
    r = expect(office.run("check-eligibility", "--batch", str(batch), "--results", str(results),
                          "--max-wait", "15s"), 5, "--max-wait", "--resume")
    assert time.monotonic() - started < 15, r.describe()
    assert not results.exists(), "a stopped batch leaves no half results file"


def test_batch_pauses_until_another_process_moves_the_clock_out_of_the_window(sandbox, office, tmp_path):
    batch = write_rows(tmp_path / "rows.csv", 40)
    control = tmp_path / "control.jsonl"
    expect(office.run("check-eligibility", "--batch", str(batch), "--results", str(control),
                      "--journal", str(tmp_path / "control.db")), 0)

    window_on(sandbox, office, before_end(90))  # 17:58:30 CST
    results = tmp_path / "results.jsonl"
    metrics = tmp_path / "job.prom"
    proc = start(office, "--log-format", "json", "--metrics", str(metrics), "check-eligibility",
                 "--batch", str(batch), "--results", str(results), "--wait", "--concurrency", "4",
                 env={"PROVPORTAL_WAIT_POLL": "1s"})
    text = wait_for_text(proc, "waiting (--wait) until")
    assert "18:00 CST" in text and WINDOW_END in text, text
    time.sleep(1.5)
    assert proc.poll() is None, "the batch must still be waiting"
    sandbox.clock_set(iso(WINDOW_END_AT + dt.timedelta(seconds=2)))  # a second process ends the window
    rc, out, err = finish(proc)
    assert rc == 0, err
    assert "the portal is back" in err, err
    got = [(r["ref"], r["outcome"], r["answer"]["status"]) for r in read_jsonl(results)]
    want = [(r["ref"], r["outcome"], r["answer"]["status"]) for r in read_jsonl(control)]
    assert got == want, "the rows come out as if there had been no window"
    fams = parse_exposition(metrics.read_text())
    assert sample(fams, "provportal_wait_seconds_total") >= 1.5
    assert sample(fams, "provportal_rows_total", outcome="ok") == 40
    assert sample(fams, "provportal_last_run_exit_code") == 0


def test_ctrl_c_during_a_wait_exits_130_and_resume_finishes(sandbox, office, tmp_path):
    batch = write_rows(tmp_path / "rows.csv", 12)
    expect(office.run("check-eligibility", "--batch", str(batch), "--results", str(tmp_path / "first.jsonl"),
                      "--journal", str(tmp_path / "first.db"), "--concurrency", "1"), 0)
    window_on(sandbox, office, before_end(90))
    journal = tmp_path / "job.db"
    results = tmp_path / "results.jsonl"
    metrics = tmp_path / "job.prom"
    proc = start(office, "--metrics", str(metrics), "check-eligibility", "--batch", str(batch),
                 "--results", str(results), "--journal", str(journal), "--wait")
    wait_for_text(proc, "waiting (--wait) until")
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rc, _, err = finish(proc, timeout=30)
    assert rc == 130, err
    assert time.monotonic() - started < 5, "Ctrl-C must end the wait at once"
    assert "--resume" in err and journal.exists(), err
    assert not results.exists()
    fams = parse_exposition(metrics.read_text())
    assert sample(fams, "provportal_last_run_exit_code") == 130, "metrics are written on interrupt too"

    sandbox.clock_set(iso(WINDOW_END_AT + dt.timedelta(seconds=2)))
    expect(office.run("check-eligibility", "--batch", str(batch), "--results", str(results),
                      "--journal", str(journal), "--resume"), 0)
    assert [r["ref"] for r in read_jsonl(results)] == [f"r{i:05d}" for i in range(12)]


def test_ctrl_c_during_a_single_command_wait_writes_the_metrics(sandbox, office, tmp_path):
    window_on(sandbox, office, before_end(90))
    metrics = tmp_path / "m.prom"
    proc = start(office, "--log-format", "json", "--metrics", str(metrics), "whoami", "--wait")
    wait_for_text(proc, "waiting (--wait) until")
    proc.send_signal(signal.SIGINT)
    rc, _, err = finish(proc, timeout=20)
    assert rc == 130, err
    for line in err.splitlines():
        assert json.loads(line)["run_id"], line  # the interrupt is logged in JSON too
    fams = parse_exposition(metrics.read_text())
    assert sample(fams, "provportal_last_run_exit_code", command="whoami") == 130
    assert sample(fams, "provportal_requests_total", code="5xx") >= 1


def _profile_secrets(sandbox, office, tmp_path, second_factor: str) -> None:
    """Gives the profile what an unattended login needs: the password in a file and a second
    factor that needs no one (the TOTP secret in a file, or a command that prints the emailed
    code)."""
    if second_factor == "totp_secret_file":
        secret_file, _ = enroll_totp(sandbox, office)
        keys = {"totp_secret_file": str(secret_file)}
    else:
        keys = {"otp_command": sandbox.otp_command(office.email)}
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n")
    password.chmod(0o600)
    keys.update({"password_file": str(password), "email": office.email})
    for key, value in keys.items():
        expect(office.run("config", "set", key, value), 0)


@pytest.mark.parametrize("second_factor", ["totp_secret_file", "otp_command"])
def test_a_wait_longer_than_the_idle_timeout_logs_in_again_from_the_profile(sandbox, office, tmp_path,
                                                                           second_factor):
    _profile_secrets(sandbox, office, tmp_path, second_factor)
    batch = write_rows(tmp_path / "rows.csv", 12)
    window_on(sandbox, office, before_end(90))
    results = tmp_path / "results.jsonl"
    proc = start(office, "check-eligibility", "--batch", str(batch), "--results", str(results),
                 "--journal", str(tmp_path / "job.db"), "--wait", env={"PROVPORTAL_WAIT_POLL": "1s"})
    wait_for_text(proc, "waiting (--wait) until")
    # The window ends 31 minutes after the session was last used: the portal has ended it.
    sandbox.clock_set(iso(WINDOW_END_AT + dt.timedelta(minutes=31)))
    rc, _, err = finish(proc)
    assert rc == 0, err
    assert "logging in again as" in err and "logged in again" in err, err
    assert PASSWORD not in err
    assert [(r["ref"], r["outcome"]) for r in read_jsonl(results)] == [(f"r{i:05d}", "ok") for i in range(12)]

    # A single command too: whoami waits out the window, then logs in again and answers.
    sandbox.admin("settings", "--maintenance-window", "off")
    window_on(sandbox, office, before_end(90))
    proc = start(office, "-o", "json", "whoami", "--wait", env={"PROVPORTAL_WAIT_POLL": "1s"})
    wait_for_text(proc, "waiting (--wait) until")
    sandbox.clock_set(iso(WINDOW_END_AT + dt.timedelta(minutes=31)))
    rc, out, err = finish(proc)
    assert rc == 0, err
    assert json.loads(out)["email"] == office.email and "logged in again" in err, err


def test_a_wait_longer_than_the_idle_timeout_without_secrets_exits_4_naming_login_if_needed(sandbox, office,
                                                                                           tmp_path):
    batch = write_rows(tmp_path / "rows.csv", 12)
    window_on(sandbox, office, before_end(90))
    results = tmp_path / "results.jsonl"
    journal = tmp_path / "job.db"
    proc = start(office, "check-eligibility", "--batch", str(batch), "--results", str(results),
                 "--journal", str(journal), "--wait", env={"PROVPORTAL_WAIT_POLL": "1s"})
    wait_for_text(proc, "waiting (--wait) until")
    sandbox.clock_set(iso(WINDOW_END_AT + dt.timedelta(minutes=31)))
    rc, _, err = finish(proc)
    assert rc == 4, err
    assert "login --if-needed" in err and "password_file" in err and "--resume" in err, err
    assert not results.exists()

    expect(office.login_email(office.email), 0)
    expect(office.run("check-eligibility", "--batch", str(batch), "--results", str(results),
                      "--journal", str(journal), "--resume"), 0)
    assert [r["ref"] for r in read_jsonl(results)] == [f"r{i:05d}" for i in range(12)]


def test_wait_from_the_environment_and_bad_values(sandbox, office):
    window_on(sandbox, office, before_end(10))
    expect(office.run("whoami", env={"PROVPORTAL_MAX_WAIT": "2m", "PROVPORTAL_WAIT": "false"}), 5, "--wait")
    expect(office.run("whoami", "--max-wait", "soon"), 2, "--max-wait", "6h")
    expect(office.run("whoami", env={"PROVPORTAL_WAIT": "maybe"}), 2, "PROVPORTAL_WAIT")
    # A bound alone means waiting.
    expect(office.run("whoami", "-o", "json", env={"PROVPORTAL_MAX_WAIT": "2m"}), 0, "waiting (--wait)")
    sandbox.admin("settings", "--maintenance-window", "off")
    window_on(sandbox, office, before_end(6))
    expect(office.run("whoami", "-o", "json", env={"PROVPORTAL_WAIT": "true", "PROVPORTAL_MAX_WAIT": "5m"}), 0,
           "waiting (--wait)")


# ---- login --if-needed -------------------------------------------------------------------------


def login_if_needed(cli, sandbox, email: str, *extra: str, env=None):
    pw = cli.home / "password"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    return cli.run("login", "--if-needed", "--email", email, "--password-file", str(pw),
                   "--otp-command", sandbox.otp_command(email), *extra, env=env)


def passcodes(sandbox, email: str) -> int:
    return len(sandbox.emails(to=email, purpose="login-passcode"))


def test_login_if_needed_reuses_a_valid_session_and_logs_in_otherwise(sandbox, office):
    email = office.email
    sent = passcodes(sandbox, email)
    r = expect(login_if_needed(office, sandbox, email, "-o", "json"), 0)
    assert r.json()["status"] == "session_valid", r.describe()
    assert passcodes(sandbox, email) == sent, "no one-time code may be spent on a valid session"

    # The portal ended the session (30 idle minutes): a full login, unattended.
    sandbox.clock_advance("31m")
    r = expect(login_if_needed(office, sandbox, email, "-o", "json"), 0)
    assert r.json()["status"] == "logged_in", r.describe()
    assert passcodes(sandbox, email) == sent + 1
    expect(office.run("whoami"), 0)

    # No session at all.
    expect(office.run("logout"), 0)
    r = expect(login_if_needed(office, sandbox, email, "-o", "json"), 0)
    assert r.json()["status"] == "logged_in"

    # A session of another account is not this one's.
    other = make_active_user(sandbox, office)
    r = expect(login_if_needed(office, sandbox, other, "-o", "json"), 0)
    assert r.json()["status"] == "logged_in" and r.json()["email"] == other


PERSON_MUST_ACT = [
    ("pending", "pending review"),
    ("unverified", "not verified"),
    ("locked", "locked until"),
    ("inactive", "inactive"),
    ("disabled", "disabled"),
    ("expired", "expired"),
    ("mfa", "one-time passcode was wrong"),
]


@pytest.mark.parametrize("state,needle", PERSON_MUST_ACT, ids=[s for s, _ in PERSON_MUST_ACT])
def test_states_a_person_must_fix_exit_4_without_prompting(sandbox, cli, state, needle):
    email = unique_email()
    env = None
    expect(cli.register(email), 0)
    if state != "pending":
        sandbox.admin("approve", email)
    if state not in ("pending", "unverified"):
        code = sandbox.latest_code(email, "verify-email")
        expect(cli.run("verify-email", "--email", email, "--code", code), 0)
    if state == "locked":
        for _ in range(5):
            cli.run("login", "--email", email, "--password-stdin", "--otp-code", "000000", stdin="wrong password here\n")
    elif state == "inactive":
        expect(cli.login_email(email), 0)
        expect(cli.run("logout"), 0)
        sandbox.clock_advance("46d")
    elif state == "disabled":
        sandbox.admin("disable", email)
    elif state == "expired":
        sandbox.admin("settings", "--password-max-age-days", "1")
        sandbox.clock_advance("2d")
    r = login_if_needed(cli, sandbox, email) if state != "mfa" else cli.run(
        "login", "--if-needed", "--email", email, "--password-stdin", "--otp-command", "echo 000000",
        stdin=PASSWORD + "\n")
    expect(r, 4, needle)
    assert "hint:" in r.err or state in ("locked", "inactive", "disabled"), r.describe()
    assert not cli.session_file().exists()


def test_two_jobs_at_once_share_one_login_and_one_session_cache(sandbox, cli, tmp_path):
    """Two cron jobs of one profile start together: login --if-needed, then a batch each."""
    email = make_active_user(sandbox, cli)
    pw = cli.home / "password"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    batch = write_rows(tmp_path / "rows.csv", 30)
    sent = passcodes(sandbox, email)
    jobs = []
    for n in (1, 2):
        q = shlex.quote
        script = (
            f"{q(str(cli.binary))} login --if-needed --email {q(email)} --password-file {q(str(pw))} "
            f"--otp-command {q(sandbox.otp_command(email))} -o jsonl && "
            f"{q(str(cli.binary))} check-eligibility --batch {q(str(batch))} --results {q(str(tmp_path / f'r{n}.jsonl'))} "
            f"--journal {q(str(tmp_path / f'j{n}.db'))} --concurrency 4"
        )
        jobs.append(subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=cli.env(), cwd=cli.home / "work", text=True))
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in jobs]
    for rc, out, err in outcomes:
        assert rc == 0, f"exit {rc}\n{out}\n{err}"
        assert "corrupt" not in err.lower() and "unreadable" not in err.lower(), err
    statuses = sorted(json.loads(out.splitlines()[0])["status"] for _, out, _ in outcomes)
    assert statuses == ["logged_in", "session_valid"], statuses
    assert passcodes(sandbox, email) == sent + 1, "one login, one one-time code"
    cache = json.loads(cli.session_file().read_text())
    assert cache["email"] == email and cache["token"], cache
    for n in (1, 2):
        assert len(read_jsonl(tmp_path / f"r{n}.jsonl")) == 30
    # Both jobs appended to one audit log: every line whole.
    audit = [e for e in read_jsonl(cli.home / "state" / "provportal" / "audit.jsonl")
             if e["command"] == "check-eligibility"]
    assert len(audit) == 60 and len({e["run_id"] for e in audit}) == 2


def test_a_second_run_of_the_same_journal_is_refused(sandbox, office, tmp_path):
    batch = write_rows(tmp_path / "rows.csv", 20)
    journal = tmp_path / "j.db"
    first = start(office, "check-eligibility", "--batch", str(batch), "--journal", str(journal),
                  "--results", str(tmp_path / "first.jsonl"), "--rate", "5")
    deadline = time.monotonic() + 20
    while not journal.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert first.poll() is None, "the first run must still be running"
    second = office.run("check-eligibility", "--batch", str(batch), "--journal", str(journal),
                        "--results", str(tmp_path / "second.jsonl"))
    expect(second, 2, "another provportal process is running this batch", "its own --journal")
    assert not (tmp_path / "second.jsonl").exists()
    rc, _, err = finish(first)
    assert rc == 0, err
    assert len(read_jsonl(tmp_path / "first.jsonl")) == 20


# ---- --log-format json, run IDs, metrics, audit log ------------------------------------------------


def test_json_logs_carry_one_run_id_and_end_with_a_summary(sandbox, office, tmp_path):
    batch = write_rows(tmp_path / "rows.csv", 5, bad=2)
    metrics = tmp_path / "m.prom"
    r = office.run("-v", "--log-format", "json", "--metrics", str(metrics), "check-eligibility", "--batch",
                   str(batch), "--results", str(tmp_path / "res.jsonl"))
    expect(r, 1)
    lines = [json.loads(line) for line in r.err.splitlines()]  # every line is JSON
    assert len(lines) >= 3, r.describe()
    ids = {line["run_id"] for line in lines}
    assert len(ids) == 1 and re.fullmatch(r"[0-9a-f]{16}", ids.pop()), lines
    for line in lines:
        assert {"ts", "level", "msg"} <= set(line), line
    assert any("provider_npi" in line["msg"] and line["level"] == "warning" for line in lines), "bad rows are logged"
    last = lines[-1]
    assert last["summary"] == {**last["summary"], "total": 7, "ok": 5, "rejected": 0, "invalid": 2, "failed": 0}
    assert last["exit_code"] == 1 and "elapsed_seconds" in last["summary"] and "retried" in last["summary"]
    run_id = lines[0]["run_id"]
    fams = parse_exposition(metrics.read_text())
    assert sample(fams, "provportal_run_info", run_id=run_id) == 1
    audit = [e for e in read_jsonl(office.home / "state" / "provportal" / "audit.jsonl")
             if e["command"] == "check-eligibility"]
    assert len(audit) == 5 and {e["run_id"] for e in audit} == {run_id}

    # Another run, another ID; errors are JSON with the run ID as well.
    r2 = expect(office.run("--log-format", "json", "whoami", "--no-such-flag"), 2)
    err = json.loads(r2.err.splitlines()[-1])
    assert err["level"] == "error" and err["run_id"] != run_id
    # Text logs name the run once, at -v.
    r3 = expect(office.run("-v", "whoami"), 0)
    assert len(re.findall(r"\brun [0-9a-f]{16}\b", r3.err)) == 1, r3.describe()
    assert "run " not in office.run("whoami").err


def test_metrics_file_follows_the_exposition_format_and_keeps_the_last_success(sandbox, office, tmp_path):
    batch = write_rows(tmp_path / "rows.csv", 8, bad=1)
    metrics = tmp_path / "textfile" / "provportal.prom"
    metrics.parent.mkdir()
    expect(office.run("--metrics", str(metrics), "check-eligibility", "--batch", str(batch),
                      "--results", str(tmp_path / "r.jsonl"), "--max-attempts", "3"), 1)
    text = metrics.read_text()
    fams = parse_exposition(text)
    assert oct(metrics.stat().st_mode & 0o777) == "0o644" and not Path(str(metrics) + ".part").exists()
    labels = {"profile": "default", "command": "check-eligibility"}
    assert sample(fams, "provportal_rows_total", outcome="ok", **labels) == 8
    assert sample(fams, "provportal_rows_total", outcome="invalid", **labels) == 1
    # 8 rows, and a session refresh first when the session looks old on this machine's clock.
    ok = sample(fams, "provportal_requests_total", code="2xx", **labels)
    assert ok in (8, 9), ok
    assert sample(fams, "provportal_request_duration_seconds_count", **labels) == ok
    q = {l["quantile"]: v for n, l, v in fams["provportal_request_latency_seconds"]["samples"] if "quantile" in l}
    assert set(q) == {"0.5", "0.9", "0.99"} and 0 < q["0.5"] <= q["0.9"] <= q["0.99"] < 30, q
    assert fams["provportal_request_duration_seconds"]["type"] == "histogram"
    assert fams["provportal_request_latency_seconds"]["type"] == "summary"
    assert sample(fams, "provportal_last_run_exit_code") == 1
    success = sample(fams, "provportal_last_success_timestamp_seconds")
    assert abs(success - time.time()) < 60
    for fam in fams.values():
        for _, l, _ in fam["samples"]:
            assert l["profile"] == "default" and l["command"] == "check-eligibility"
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr

    # A failed run (logged out: exit 4) keeps the last success of the file it replaces.
    time.sleep(1.1)
    expect(office.run("logout"), 0)
    expect(office.run("--metrics", str(metrics), "check-eligibility", "--batch", str(batch)), 4)
    fams = parse_exposition(metrics.read_text())
    assert sample(fams, "provportal_last_run_exit_code") == 4
    assert sample(fams, "provportal_last_success_timestamp_seconds") == success
    assert sample(fams, "provportal_last_run_timestamp_seconds") > success

    # Another command writes its own labels; a directory that does not exist is said at once.
    expect(office.run("--metrics", str(metrics), "whoami"), 4)
    fams = parse_exposition(metrics.read_text())
    assert sample(fams, "provportal_last_run_exit_code", command="whoami") == 4
    assert sample(fams, "provportal_last_success_timestamp_seconds", command="whoami") == 0
    expect(office.run("--metrics", str(tmp_path / "missing" / "x.prom"), "whoami"), 2, "does not exist")


def test_metrics_count_retries_under_faults(sandbox_factory, cli_factory, tmp_path):
    sb = sandbox_factory(extra_args=["--faults", "rate=0.3,kinds=503+429,seed=7,paths=/v1/eligibility"])
    cli = cli_factory(sb)
    email = make_active_user(sb, cli)
    expect(cli.login_email(email), 0)
    batch = write_rows(tmp_path / "rows.csv", 30)
    metrics = tmp_path / "m.prom"
    expect(cli.run("--metrics", str(metrics), "check-eligibility", "--batch", str(batch), "--results",
                   str(tmp_path / "r.jsonl"), "--max-attempts", "10"), 0)
    fams = parse_exposition(metrics.read_text())
    errors = sample(fams, "provportal_requests_total", code="5xx") + sample(fams, "provportal_requests_total", code="4xx")
    assert errors > 0
    assert sample(fams, "provportal_retries_total") == errors
    assert sample(fams, "provportal_requests_total", code="2xx") in (30, 31)  # + a session refresh


def test_audit_log_records_submissions_without_phi(sandbox, office, tmp_path):
    # A case whose attachment is named after the patient, a batch of eligibility checks, a profile
    # change; reads (whoami, search) are not audited.
    docs = tmp_path / "docs"
    docs.mkdir()
    named = docs / "Nunez-Jose-1976-08-19-notes.pdf"
    shutil.copy(EXAMPLES / "documents" / "clinical-notes.pdf", named)
    r = expect(office.run(
        "submit-case", "--ref", "sleep-1", "--health-plan", "acme-commercial", "--solution", "sleep",
        "--member-id", "ACM101296", "--first-name", "José Ángel", "--last-name", "Núñez", "--dob", "1976-08-19",
        "--ordering-npi", "1234567893", "--servicing-npi", "1245319599", "--procedure", "95810:1",
        "--diagnosis", "G47.33", "--service-start", "2026-12-01", "--service-end", "2026-12-31",
        "--answer", "q1=14", "--answer", "q2=no", "--attach", str(named), "-o", "json"), 0)
    order_id = r.json()["order_id"]
    batch = write_rows(tmp_path / "rows.csv", 3)
    expect(office.run("check-eligibility", "--batch", str(batch), "--results", str(tmp_path / "r.jsonl")), 0)
    expect(office.run("update-profile", "--phone", "312-555-0199"), 0)
    expect(office.run("whoami"), 0)
    expect(office.run("search-orders", "--order-id", order_id), 0)

    path = office.home / "state" / "provportal" / "audit.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = read_jsonl(path)
    # The office's own registration and email verification come first (the fixture made them).
    assert [(e["command"], e["path"]) for e in entries[:2]] == [
        ("register", "/v1/registrations"), ("verify-email", "/v1/email-verifications")], entries[:2]
    assert entries[0]["registration_id"] and entries[0]["account"] is None, entries[0]
    entries = entries[2:]
    kinds = [(e["command"], e["kind"], e["method"], e["path"]) for e in entries]
    assert kinds == [
        ("submit-case", "submission", "POST", "/v1/cases"),
        ("submit-case", "submission", "POST", f"/v1/cases/{order_id}/documents"),
        ("check-eligibility", "inquiry", "POST", "/v1/eligibility"),
        ("check-eligibility", "inquiry", "POST", "/v1/eligibility"),
        ("check-eligibility", "inquiry", "POST", "/v1/eligibility"),
        ("update-profile", "submission", "PATCH", "/v1/profile"),
    ], kinds
    case, doc = entries[0], entries[1]
    assert case["ref"] == "sleep-1" and case["order_id"] == order_id and case["http_status"] == 201
    assert case["outcome"] == "ok" and case["account"] == office.email and case["profile"] == "default"
    assert re.fullmatch(r"[0-9a-f]{64}", case["request_sha256"]) and case["idempotency_key"]
    assert "input" not in case, "a case from flags names no input file"
    assert doc["document_id"] and doc["order_id"] == order_id
    assert doc["request_sha256"] == hashlib.sha256(named.read_bytes()).hexdigest()
    assert doc["file_name_sha256"] == hashlib.sha256(named.name.encode()).hexdigest()
    rows = sorted(entries[2:5], key=lambda e: e["line"])  # sent by parallel connections
    assert [(e["input"], e["line"], e["ref"], e["outcome"]) for e in rows] == [
        (str(batch), 2, "r00000", "ok"), (str(batch), 3, "r00001", "ok"), (str(batch), 4, "r00002", "ok")]
    for e in entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["ts"]), e
    text = path.read_text()
    for phi in ["Núñez", "Nunez", "José", "1976-08-19", "ACM101296", named.name, "notes.pdf"] + \
            [m[k] for m in ROSTER[:3] for k in ("member_id", "first_name", "last_name", "date_of_birth")]:
        assert phi not in text, f"{phi!r} in the audit log"

    # --audit-log moves it; an unwritable one stops the command before anything is sent.
    moved = tmp_path / "audit" / "moved.jsonl"
    expect(office.run("--audit-log", str(moved), "update-profile", "--phone", "312-555-0142"), 0)
    assert len(read_jsonl(moved)) == 1 and len(read_jsonl(path)) == len(entries) + 2
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("x")
    before = expect(office.run("whoami", "-o", "json"), 0).out
    r = expect(office.run("--audit-log", str(not_a_dir / "a.jsonl"), "update-profile", "--phone", "312-555-0143"),
               3, "audit log", "nothing was sent")
    assert expect(office.run("whoami", "-o", "json"), 0).out == before, r.describe()
