"""check-eligibility and the batch engine, end to end: the real CLI against a real sandbox over
TLS, with injected faults, kill -9 and Ctrl-C, shards and results files."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ELIGIBILITY_FIELDS, REPO, ROSTER, expect, make_active_user, write_eligibility_rows

EXAMPLES = REPO / "examples"
FIELDS = ELIGIBILITY_FIELDS


def write_rows(path: Path, n: int, service_date: str = "2026-11-16") -> Path:
    return write_eligibility_rows(path, n, service_date=service_date)


def read_results(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_member_by_flags(office):
    m = ROSTER[0]
    args = ["check-eligibility", "--member-id", m["member_id"], "--first-name", m["first_name"],
            "--last-name", m["last_name"], "--dob", m["date_of_birth"], "--health-plan", m["plan"],
            "--provider-npi", "1234567893", "--service-date", "2026-11-16", "-o", "json"]
    answer = expect(office.run(*args), 0).json()
    assert answer["status"] == "active" and answer["active"] is True, answer
    assert answer["plan"]["id"] == m["plan"]
    assert "benefits" in answer

    wrong_name = list(args)
    wrong_name[wrong_name.index("--first-name") + 1] = "Jimmy"
    r = expect(office.run(*wrong_name), 6, "name")
    assert m["last_name"] not in r.err, "a member's name must not be echoed in errors"

    unknown = list(args)
    unknown[unknown.index("--member-id") + 1] = "ACM999999"
    expect(office.run(*unknown), 6, "not found")


def test_a_bad_single_record_is_refused_before_sending(office):
    r = expect(office.run("check-eligibility", "--member-id", "ACM100234", "--first-name", "James",
                          "--last-name", "Whitaker", "--dob", "1958-02-30", "--health-plan",
                          "acme-commercial", "--provider-npi", "1234567890"), 3)
    assert "provider_npi" in r.err and "date_of_birth" in r.err, r.describe()


def test_example_csv_batch(office, tmp_path):
    results = tmp_path / "results.csv"
    r = office.run("check-eligibility", "--batch", str(EXAMPLES / "eligibility.csv"),
                   "--results", str(results))
    expect(r, 1)
    rows = read_results(results)
    assert [row["line"] for row in rows] == [str(n) for n in range(2, 22)], "one result per row, in order"
    by_ref = {row["ref"]: row for row in rows}
    assert by_ref["elig-0001"]["outcome"] == "ok" and by_ref["elig-0001"]["status"] == "active"
    assert by_ref["elig-0003"]["status"] == "inactive"  # coverage ended 2026-06-30
    assert by_ref["elig-0011"]["status"] == "inactive"  # coverage starts 2027-01-01
    assert by_ref["elig-0012"]["code"] == "subscriber_not_found"
    assert by_ref["elig-0013"]["code"] == "name_mismatch"
    assert by_ref["elig-0015"]["code"] == "invalid_date_of_birth"
    assert by_ref["elig-0016"]["outcome"] == "invalid"  # the member ID's format
    for ref, field in [("elig-0014", "date_of_birth"), ("elig-0017", "provider_npi"), ("elig-0018", "last_name")]:
        assert by_ref[ref]["outcome"] == "invalid", by_ref[ref]
        assert field in by_ref[ref]["errors"], by_ref[ref]
    # Each bad row is reported on stderr with file, line and field.
    assert "eligibility.csv:15: date_of_birth" in r.err, r.describe()
    assert "eligibility.csv:18: provider_npi" in r.err, r.describe()
    assert "eligibility.csv:19: last_name" in r.err, r.describe()
    assert "20 rows" in r.err and "invalid" in r.err, "a one-line summary at the end"


def test_example_yaml_batch_to_stdout(office):
    r = office.run("check-eligibility", "--batch", str(EXAMPLES / "eligibility.yaml"))
    expect(r, 1)
    lines = [json.loads(line) for line in r.out.splitlines()]
    assert len(lines) == 14
    assert lines[12]["outcome"] == "ok" and lines[12]["answer"]["service_date"], "no service_date: today"
    assert lines[13]["outcome"] == "invalid"


def test_dry_run_needs_no_login_and_sends_nothing(cli, sandbox, tmp_path):
    r = cli.run("check-eligibility", "--batch", str(EXAMPLES / "eligibility.csv"), "--dry-run", "-o", "csv")
    expect(r, 1)
    rows = list(csv.DictReader(r.out.splitlines()))
    assert len(rows) == 20
    assert {row["outcome"] for row in rows} == {"ok", "invalid"}


def test_not_logged_in_is_exit_4_before_reading(cli, tmp_path):
    expect(cli.run("check-eligibility", "--batch", str(write_rows(tmp_path / "b.csv", 3))), 4, "log")


def test_unreadable_header_exits_3_with_nothing_sent(office, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("member_id,member_id,first_name\nA,B,C\n")
    expect(office.run("check-eligibility", "--batch", str(bad)), 3, "bad.csv")
    unknown_ext = tmp_path / "rows.txt"
    unknown_ext.write_text("x")
    expect(office.run("check-eligibility", "--batch", str(unknown_ext)), 2, "--batch-format")


def test_stdin_batch(office, tmp_path):
    data = write_rows(tmp_path / "b.csv", 5).read_text()
    r = office.run("check-eligibility", "--batch", "-", "--batch-format", "csv", stdin=data)
    expect(r, 0)
    assert len(r.out.splitlines()) == 5


def test_spreadsheet_safe_results(office, tmp_path):
    src = tmp_path / "b.csv"
    m = ROSTER[0]
    src.write_text(",".join(FIELDS) + "\n" + ",".join(
        ["-cmd", m["member_id"], m["first_name"], m["last_name"], m["date_of_birth"], m["plan"],
         "1234567893", "2026-11-16"]) + "\n")
    out = tmp_path / "r.csv"
    expect(office.run("check-eligibility", "--batch", str(src), "--results", str(out)), 0)
    assert out.read_text().splitlines()[1].split(",")[1] == "'-cmd"


def test_shards_split_a_batch_with_no_overlap_and_no_gap(office, tmp_path):
    src = write_rows(tmp_path / "b.csv", 100)
    seen = []
    for k in range(3):
        out = tmp_path / f"part{k}.jsonl"
        expect(office.run("check-eligibility", "--batch", str(src), "--shard", f"{k}/3",
                          "--results", str(out)), 0)
        seen += [row["line"] for row in read_results(out)]
    assert sorted(seen) == list(range(2, 102))
    expect(office.run("check-eligibility", "--batch", str(src), "--shard", "3/3"), 2)


def test_faults_are_retried_and_every_row_answered(sandbox_factory, cli_factory, tmp_path):
    sandbox = sandbox_factory(extra_args=["--faults", "rate=0.3,kinds=429+503+500+reset+reset-after+truncate,seed=7"])
    cli = cli_factory(sandbox)
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    src = write_rows(tmp_path / "b.csv", 300)
    out = tmp_path / "r.jsonl"
    r = cli.run("check-eligibility", "--batch", str(src), "--results", str(out), "--concurrency", "8",
                "--max-attempts", "10")
    expect(r, 0)
    rows = read_results(out)
    assert [row["line"] for row in rows] == list(range(2, 302))
    assert all(row["outcome"] == "ok" for row in rows)
    assert "retried" in r.err


def _start(cli, *args) -> subprocess.Popen:
    return subprocess.Popen([str(cli.binary), *args], env=cli.env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_lines(path: Path, n: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        journals = list(path.glob("**/*.db"))
        if journals and _journal_rows(journals[0]) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no journal with {n} rows under {path}")


def _journal_rows(db: Path) -> int:
    try:
        out = subprocess.run(["sqlite3", f"file:{db}?mode=ro", "SELECT count(*) FROM rows"],
                             capture_output=True, text=True, timeout=5)
        return int(out.stdout.strip() or 0)
    except (ValueError, subprocess.TimeoutExpired):
        return 0


@pytest.mark.parametrize("how", ["kill", "interrupt"])
def test_a_killed_or_interrupted_batch_resumes_with_nothing_lost(office, tmp_path, how):
    src = write_rows(tmp_path / "b.csv", 2000)
    out = tmp_path / "r.csv"
    args = ["check-eligibility", "--batch", str(src), "--results", str(out), "--rate", "400"]
    proc = _start(office, *args)
    _wait_for_lines(office.home / "state", 300)
    if how == "kill":
        proc.kill()
        proc.wait(timeout=30)
    else:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        assert proc.returncode == 130, proc.stderr.read()
        assert "--resume" in proc.stderr.read()
    assert not out.exists(), "a results file appears only when it is complete"

    expect(office.run(*args), 2, "--resume")  # a journal is not thrown away silently
    r = expect(office.run(*args[:-2], "--resume"), 0)
    assert "from the journal" in r.err, r.describe()
    rows = read_results(out)
    assert [row["line"] for row in rows] == [str(n) for n in range(2, 2002)]
    assert all(row["outcome"] == "ok" for row in rows)


@pytest.mark.parametrize("portal_time, tz", [
    ("2026-11-17T23:30:00Z", "Asia/Tokyo"),    # already the 18th in Tokyo (and nearly so in UTC)
    ("2026-11-18T05:30:00Z", "UTC"),           # the 18th in UTC, still 23:30 on the 17th in Chicago
])
def test_the_default_date_of_service_is_the_portals_today_in_chicago(sandbox, cli, tmp_path, portal_time, tz):
    # Issue #13, item 3: neither this machine's time zone nor its clock decides "today": the
    # portal's clock (moved here) in America/Chicago does.
    email = make_active_user(sandbox, cli)
    sandbox.clock_set(portal_time)
    expect(cli.login_email(email), 0)
    env = {"TZ": tz}
    one = expect(cli.run("check-eligibility", "--member-id", "ACM100234", "--first-name", "James",
                         "--last-name", "Whitaker", "--dob", "1958-03-14", "--health-plan", "acme-commercial",
                         "--provider-npi", "1234567893", "-o", "json", env=env), 0).json()
    assert one["service_date"] == "2026-11-17", one
    batch = tmp_path / "b.csv"
    batch.write_text("ref,member_id,first_name,last_name,date_of_birth,health_plan,provider_npi\n"
                     "r1,ACM100234,James,Whitaker,1958-03-14,acme-commercial,1234567893\n")
    results = tmp_path / "r.jsonl"
    expect(cli.run("check-eligibility", "--batch", str(batch), "--results", str(results), env=env), 0)
    row = json.loads(results.read_text().splitlines()[0])
    assert row["answer"]["service_date"] == "2026-11-17", row


def test_a_row_with_invalid_utf8_keeps_its_ref(cli, sandbox, tmp_path):
    """A row refused for one unreadable cell still carries its ref (and only the readable cells)
    into the results, so a script matching results to its input by ref finds every row
    (issue #13, item 18). A row cut short by a quote never closed does not."""
    batch = tmp_path / "mixed.csv"
    batch.write_bytes(
        b"ref,member_id,first_name,last_name,date_of_birth,health_plan,provider_npi,service_date\n"
        b"ok-1,ACM100234,James,Whitaker,1958-03-14,acme-commercial,1234567893,2026-11-16\n"
        b"latin1-2,ACM100418,Mar\xeda,Gonz\xe1lez,1984-07-22,acme-commercial,1234567893,2026-11-16\n"
        b"nul-3,ACM100418,Maria,Go\x00nzalez,1984-07-22,acme-commercial,1234567893,2026-11-16\n"
        b"extra-4,ACM100234,James,Whitaker,1958-03-14,acme-commercial,1234567893,2026-11-16,x\n"
        b"\xff\xfe-5,ACM100234,James,Whitaker,1958-03-14,acme-commercial,1234567893,2026-11-16\n")
    results = tmp_path / "results.jsonl"
    r = cli.run("check-eligibility", "--batch", str(batch), "--dry-run", "--results", str(results))
    assert r.rc == 1, r.describe()
    rows = {row["line"]: row for row in map(json.loads, results.read_text().splitlines())}
    assert rows[2]["outcome"] == "ok" and rows[2]["ref"] == "ok-1", rows[2]
    assert rows[3]["outcome"] == "invalid" and rows[3]["ref"] == "latin1-2", rows[3]
    assert "not valid UTF-8" in rows[3]["message"] and "first_name" in rows[3]["message"], rows[3]
    assert rows[4]["outcome"] == "invalid" and rows[4]["ref"] == "nul-3", rows[4]
    assert rows[5]["outcome"] == "invalid" and rows[5]["ref"] == "extra-4", rows[5]
    # The ref itself is what cannot be read: there is none to give.
    assert rows[6]["outcome"] == "invalid" and rows[6]["ref"] is None, rows[6]
    # No cell's text reaches a message (PHI), readable or not.
    assert "Gonz" not in results.read_text() and "Whitaker" not in results.read_text()
