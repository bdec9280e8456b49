"""X12 5010 through a clearinghouse's SFTP drop (issue #14, item 5): the `x12-files` wire writes a
batch's 270s/276s into the outbox (one interchange per file, named for an SFTP pickup, written
atomically) and leaves the rows pending; `provportal-sandbox clearinghouse` plays the
clearinghouse (a 999 for every interchange, a 271/277 for the accepted sets); `--resume` reads the
inbox and gives the same records as the portal's JSON API. Nothing is written to the outbox twice
for a row, even after a kill -9; a set the 999 rejects is a rejected row naming its segment and
element. Every file provportal writes, and every answer, is shown to node-x12 as well."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PASSWORD, REPO, expect, write_eligibility_rows

from test_x12_cli import node_check
from test_x12_core import CLAIM_KEYS, ELIGIBILITY_KEYS, core, project, results  # noqa: F401 (fixture)

EXAMPLES = REPO / "examples"
SENDER = "PROVPORTAL01"
RECEIVER = "PROVPORTALSBX"
FILE_NAME = re.compile(r"PROVPORTAL01_\d{9}_\d{14}\.x12")
CLAIMS_CSV = (
    "ref,claim_number,member_id,first_name,last_name,date_of_birth,provider_npi,service_from,service_to,health_plan\n"
    "c1,,ACM100234,James,Whitaker,1958-03-14,1234567893,2026-09-01,2026-11-17,acme-commercial\n"
    "c2,C71000000102,ACM100418,Maria,Gonzalez,1984-07-22,1234567893,2026-09-01,2026-11-17,acme-commercial\n"
    "c3,,ACM999999,Paul,Newman,1970-01-01,1234567893,2026-09-01,2026-11-17,acme-commercial\n")


@pytest.fixture
def drop(core, tmp_path):
    """The office of test_x12_core (logged in for the JSON wire, its password in a file), and a
    drop's two directories."""
    core.outbox = tmp_path / "drop" / "outbox"
    core.inbox = tmp_path / "drop" / "inbox"
    return core


def files_env(cli) -> dict:
    return {"PROVPORTAL_WIRE": "x12-files", "PROVPORTAL_SENDER_ID": SENDER, "PROVPORTAL_RECEIVER_ID": RECEIVER,
            "PROVPORTAL_PAYERS_FILE": str(EXAMPLES / "payers.yaml"),
            "PROVPORTAL_OUTBOX": str(cli.outbox), "PROVPORTAL_INBOX": str(cli.inbox)}


def clearinghouse(sandbox, cli) -> list[dict]:
    """One pass of the sandbox's clearinghouse over the drop; the files it answered."""
    p = subprocess.run([str(sandbox.binary), "clearinghouse", "--data-dir", str(sandbox.data_dir),
                        "--outbox", str(cli.outbox), "--inbox", str(cli.inbox), "--email", cli.email,
                        "--password-file", str(cli.home / "password"), "--once"],
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def outbox_files(cli) -> list[Path]:
    """What the provider wrote: the files still waiting and those the clearinghouse picked up."""
    return sorted([*cli.outbox.glob("*.x12"), *(cli.outbox / ".done").glob("*.x12")], key=lambda p: p.name)


def snapshot(*dirs: Path) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for d in dirs if d.exists()
            for p in d.rglob("*") if p.is_file()}


def traces_in(path: Path) -> list[str]:
    """The TRN02 of every inquiry in a 270/276 interchange written by provportal."""
    return re.findall(r"~TRN\*1\*([0-9A-F]{24})\*", path.read_text())


def kinds(inbox: Path) -> list[str]:
    """What the clearinghouse's answers in the inbox are, by their names (FILE_999.x12,
    FILE_271_GS06.x12, FILE_ta1.x12)."""
    return sorted(re.search(r"_(999|271|277|ta1)(?:_\d+)?\.x12$", p.name).group(1) for p in inbox.iterdir())


def node_ok(path: Path) -> None:
    p = node_check(path)
    assert p.returncode == 0, f"node-x12 refused {path.name}:\n{p.stdout}{p.stderr}"


def repeated_traces(sandbox) -> int:
    with sqlite3.connect(f"file:{sandbox.data_dir / 'portal.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM core_traces WHERE answers > 1").fetchone()[0]


def test_an_eligibility_batch_through_the_drop_gives_the_json_wires_records(drop, sandbox, tmp_path):
    batch = str(EXAMPLES / "eligibility.csv")
    by_json, by_files = tmp_path / "json.jsonl", tmp_path / "files.jsonl"
    env = files_env(drop)
    expect(drop.run("check-eligibility", "--batch", batch, "--results", str(by_json)), 1)

    # First half: the inquiries go into the outbox, the rows are pending.
    first = expect(drop.run("check-eligibility", "--batch", batch, "--results", str(by_files), env=env), 1,
                   "pending", "--resume")
    written = outbox_files(drop)
    assert len(written) == 1 and FILE_NAME.fullmatch(written[0].name), written
    assert not [p for p in drop.outbox.iterdir() if p.name.endswith(".part")]
    node_ok(written[0])
    j, pending = results(by_json), results(by_files)
    sent = {ref for ref, row in pending.items() if row["outcome"] == "pending"}
    assert sent and all(pending[ref]["outcome"] == "invalid" for ref in set(pending) - sent), first.describe()
    assert sorted(traces_in(written[0])) == sorted(pending[ref]["answer"]["x12_trn02"] for ref in sent)
    assert re.search(rf"{len(sent)} pending", first.err), first.describe()

    # The clearinghouse answers: a 999 and a 271 in the inbox, the file moved aside.
    answered = clearinghouse(sandbox, drop)
    assert [a["file"] for a in answered] == [written[0].name] and answered[0]["accepted"] == len(sent)
    assert kinds(drop.inbox) == ["271", "999"], list(drop.inbox.iterdir())
    for p in drop.inbox.iterdir():
        node_ok(p)

    # Second half: the answers become the same records as over the JSON wire.
    expect(drop.run("check-eligibility", "--batch", batch, "--results", str(by_files), "--resume", env=env), 1)
    f = results(by_files)
    assert set(f) == set(j) and len(j) == 20
    for ref, row in j.items():
        assert f[ref]["outcome"] == row["outcome"], (ref, row, f[ref])
        if row["outcome"] == "ok":
            assert project(f[ref]["answer"], ELIGIBILITY_KEYS) == project(row["answer"], ELIGIBILITY_KEYS), ref
        elif row["outcome"] == "rejected":
            assert f[ref]["answer"]["reject_reason"]["code"] == row["answer"]["reject_reason"]["code"], ref

    # Once more: nothing to do, nothing written anywhere in the drop.
    before = snapshot(drop.outbox, drop.inbox)
    again = tmp_path / "again.jsonl"
    r = expect(drop.run("check-eligibility", "--batch", batch, "--results", str(again), "--resume", env=env), 1)
    assert "from the journal" in r.err and "pending" not in r.err, r.describe()
    assert snapshot(drop.outbox, drop.inbox) == before
    assert results(again) == f
    assert repeated_traces(sandbox) == 0


def test_pending_rows_alone_exit_0_and_a_run_without_resume_is_told_to_resume(drop, sandbox, tmp_path):
    batch = write_eligibility_rows(tmp_path / "b.csv", 3)
    env = files_env(drop)
    expect(drop.run("check-eligibility", "--batch", str(batch), "--dry-run", env=env), 0)
    assert not drop.outbox.exists(), "a dry run leaves the drop alone"
    r = expect(drop.run("check-eligibility", "--batch", str(batch), env=env), 0, "3 pending",
               "run the same command with --resume once the answers are in the inbox")
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert [row["outcome"] for row in rows] == ["pending"] * 3
    assert all(re.fullmatch(r"[0-9A-F]{24}", row["answer"]["x12_trn02"]) for row in rows)
    expect(drop.run("check-eligibility", "--batch", str(batch), env=env), 2, "3 rows pending", "--resume")
    # Before the clearinghouse answers, --resume leaves them pending and writes nothing.
    before = snapshot(drop.outbox)
    expect(drop.run("check-eligibility", "--batch", str(batch), "--resume", env=env), 0, "3 pending")
    assert snapshot(drop.outbox) == before


def test_one_check_through_the_drop_is_pending_then_answered_with_no_server_configured(drop, sandbox):
    """A single command over the file exchange needs no portal: with no base URL or CA file it
    hands the inquiry over (exit 0, "pending" on stderr, nothing on stdout), the same command
    says it is still waiting, and once the clearinghouse answered it prints the answer."""
    env = files_env(drop)
    no_server = ("PROVPORTAL_BASE_URL", "PROVPORTAL_CA_FILE")
    args = ["check-eligibility", "--member-id", "ACM100234", "--first-name", "James", "--last-name", "Whitaker",
            "--dob", "1958-03-14", "--health-plan", "acme-commercial", "--provider-npi", "1234567893",
            "--service-date", "2026-11-16", "-o", "json"]
    r = expect(drop.run(*args, env=env, remove_env=no_server), 0, "pending: handed over in")
    assert r.out == "" and len(outbox_files(drop)) == 1, r.describe()
    expect(drop.run(*args, env=env, remove_env=no_server), 0, "pending: sent in", "not in the inbox yet")
    assert len(outbox_files(drop)) == 1, "asked again, nothing is sent twice"
    clearinghouse(sandbox, drop)
    answer = expect(drop.run(*args, env=env, remove_env=no_server), 0).json()
    over_json = expect(drop.run(*args), 0).json()
    assert project(answer, ELIGIBILITY_KEYS) == project(over_json, ELIGIBILITY_KEYS)
    assert len(outbox_files(drop)) == 1


def test_claim_status_through_the_drop_gives_the_json_wires_claims(drop, sandbox, tmp_path):
    batch = tmp_path / "claims.csv"
    batch.write_text(CLAIMS_CSV)
    by_json, by_files = tmp_path / "json.jsonl", tmp_path / "files.jsonl"
    env = files_env(drop)
    r1 = drop.run("claim-status", "--batch", str(batch), "--results", str(by_json))
    assert r1.rc in (0, 1), r1.describe()
    expect(drop.run("claim-status", "--batch", str(batch), "--results", str(by_files), env=env), 0, "3 pending")
    written = outbox_files(drop)
    assert len(written) == 1 and "ST*276*" in written[0].read_text()
    node_ok(written[0])
    clearinghouse(sandbox, drop)
    assert kinds(drop.inbox) == ["277", "999"]
    for p in drop.inbox.iterdir():
        node_ok(p)
    r2 = drop.run("claim-status", "--batch", str(batch), "--results", str(by_files), "--resume", env=env)
    assert r2.rc == r1.rc, r2.describe()
    j, f = results(by_json), results(by_files)
    for ref in ("c1", "c2", "c3"):
        assert f[ref]["outcome"] == j[ref]["outcome"], (ref, j[ref], f[ref])
        if j[ref]["outcome"] == "ok":
            assert [project(x, CLAIM_KEYS) for x in f[ref]["answer"]["claims"]] == \
                [project(x, CLAIM_KEYS) for x in j[ref]["answer"]["claims"]], ref
    assert j["c1"]["answer"]["claims"], "the member has claims"
    assert f["c3"]["answer"]["reject_reason"]["code"] == "subscriber_not_found"
    before = snapshot(drop.outbox, drop.inbox)
    expect(drop.run("claim-status", "--batch", str(batch), "--results", str(by_files), "--resume", env=env), r1.rc)
    assert snapshot(drop.outbox, drop.inbox) == before


def _journal_rows(state: Path) -> int:
    for db in state.glob("provportal/journals/*.db"):
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as c:
                return c.execute("SELECT count(*) FROM rows").fetchone()[0]
        except sqlite3.Error:
            return 0
    return 0


# Killed before the first outbox file (the journal holds pending rows no file has), and after it.
@pytest.mark.parametrize("journaled", [1_000, 5_500])
def test_a_kill_9_in_the_first_half_writes_no_row_twice(drop, sandbox, tmp_path, journaled):
    n = 12_000  # more than two outbox files' worth (5,000 sets each)
    batch = write_eligibility_rows(tmp_path / "big.csv", n)
    env = files_env(drop)
    args = ["check-eligibility", "--batch", str(batch), "--results", str(tmp_path / "r.jsonl")]
    proc = subprocess.Popen([str(drop.binary), *args], env=drop.env(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=drop.home / "work")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and _journal_rows(drop.home / "state") < journaled:
        time.sleep(0.005)
    proc.kill()
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before the kill: {proc.stderr.read()}"
    # Finish the first half, then the second.
    expect(drop.run(*args, "--resume", env=env, timeout=300), 0, "pending")
    clearinghouse(sandbox, drop)
    r = expect(drop.run(*args, "--resume", env=env, timeout=300), 0)
    assert "pending" not in r.err, r.describe()
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert len(rows) == n and all(row["outcome"] == "ok" for row in rows)
    traces = [t for p in outbox_files(drop) for t in traces_in(p)]
    assert len(traces) == n and len(set(traces)) == n, "a row went to the outbox twice (or never)"
    assert all(FILE_NAME.fullmatch(p.name) for p in outbox_files(drop))
    assert not [p for p in drop.outbox.rglob("*") if p.name.endswith(".part")]
    assert repeated_traces(sandbox) == 0


def test_a_set_the_999_rejects_is_a_rejected_row_naming_the_segment_and_element(drop, sandbox, tmp_path):
    batch = write_eligibility_rows(tmp_path / "b.csv", 3)
    results_file = tmp_path / "r.jsonl"
    env = files_env(drop)
    expect(drop.run("check-eligibility", "--batch", str(batch), "--results", str(results_file), env=env), 0)
    [sent] = outbox_files(drop)
    first = results(results_file)
    # The second row's birth date becomes a day no month has (an outside edit: provportal's own
    # writer would refuse it); the segment counts stay right, so only that set breaks.
    text = sent.read_text()
    victim = first["r0000001"]["answer"]["x12_trn02"]
    sets = text.split("~ST*")
    [i] = [k for k, s in enumerate(sets) if victim in s]
    sets[i] = re.sub(r"DMG\*D8\*\d{8}", "DMG*D8*19841341", sets[i])
    sent.write_text("~ST*".join(sets))
    clearinghouse(sandbox, drop)
    [ack] = [p for p in drop.inbox.iterdir() if p.name.endswith("_999.x12")]
    node_ok(ack)
    assert "IK5*R" in ack.read_text() and "IK4*2*" in ack.read_text(), ack.read_text()
    expect(drop.run("check-eligibility", "--batch", str(batch), "--results", str(results_file), "--resume",
                    env=env), 1)
    got = results(results_file)
    assert got["r0000000"]["outcome"] == "ok" and got["r0000002"]["outcome"] == "ok", got
    bad = got["r0000001"]
    assert bad["outcome"] == "rejected" and bad["code"] == "x12_rejected", bad
    assert "999" in bad["message"] and "DMG" in bad["message"], bad
    assert [e["field"] for e in bad["errors"]] == ["DMG02"], bad
    assert bad["answer"]["x12_trn02"] == victim
