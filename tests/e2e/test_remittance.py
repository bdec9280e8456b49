"""`provportal remittance`: the 005010X221A1 guide's example 835s (tests/data/x12/) posted as
rows a payment poster loads, every amount exact; --since last writes each check once across
runs; a check one cent off is reported with its check and difference (exit 1, the rest written)
and again on the next --since last run; --level check totals with the PLB items; --reconcile
finds the claims a claims CSV and the remittance disagree on; a file that is not an 835 is named.
The 835s written here are copies of the examples edited as text and checked by node-x12 strict."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, expect
from test_x12_cli import node_check

DATA = REPO / "tests" / "data" / "x12"
EXAMPLE1 = DATA / "835_x221a1_example1.x12"
EXAMPLE2 = DATA / "835_x221a1_example2.x12"
WRITTEN = DATA / "835_provportal_written.x12"


@pytest.fixture
def cli(cli_factory):
    """The CLI with no sandbox: remittance reads files only."""
    return cli_factory(None)


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def amount(cell: str) -> str:
    """A CSV amount, which a payment-posting load reads as a number: a negative one too, never
    behind the formula guard's quote."""
    assert not cell.startswith("'"), f"amount {cell!r} is quoted as if it were a formula"
    return cell


def with_se01(text: str) -> str:
    """Recounts each set's SE01 (ST..SE inclusive) after an edit."""
    segments = text.split("~")
    out, count = [], 0
    for s in segments:
        if s.strip().startswith("ST*"):
            count = 0
        count += 1
        if s.strip().startswith("SE*"):
            parts = s.split("*")
            parts[1] = str(count)
            s = "*".join(parts)
        out.append(s)
    return "~".join(out)


def write_835(path: Path, text: str) -> Path:
    path.write_text(with_se01(text))
    p = node_check(path)
    assert p.returncode == 0, p.stdout + p.stderr
    return path


@pytest.fixture
def inbox(tmp_path):
    d = tmp_path / "inbox"
    d.mkdir()
    for f in (EXAMPLE1, EXAMPLE2, WRITTEN):
        shutil.copy(f, d / f.name)
    (d / "999_0001.x12").write_text(
        "ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*PROVIDERRCVR   *021231*1200*^*00501*"
        "000000009*0*T*:~GS*FA*PAYERSENDER*PROVIDERRCVR*20021231*1200*9*X*005010X231A1~"
        "ST*999*0001*005010X231A1~AK1*HC*1*005010X222A1~AK9*A*1*1*1~SE*4*0001~GE*1*9~IEA*1*000000009~")
    return d


def test_posting_the_examples_as_csv_every_line_exact(cli, inbox):
    r = expect(cli.run("remittance", "--inbox", str(inbox), "-o", "csv"), 0, "3 check(s) written")
    rows = rows_of(r.out)
    service = [row for row in rows if row["row_type"] == "service"]
    plb = [row for row in rows if row["row_type"] == "provider_adjustment"]
    assert [(row["check_number"], row["patient_control_number"], row["procedure_code"], row["charged"],
             row["paid"], row["patient_responsibility"], row["adjustments"]) for row in service
            if row["check_number"] in ("12345", "71700666555")] == [
        ("12345", "666123", "", "211366.97", "138018.4", "0", "CO-45 73348.57"),
        ("12345", "777777", "", "15000", "11980.33", "0", "CO-45 3019.67"),
        ("71700666555", "55545554444", "99211", "800", "500", "300", "PR-1 300"),
        ("71700666555", "8765432112", "93555", "1200", "550", "600", "PR-1 600; CO-45 50"),
    ], r.describe()
    first = next(row for row in service if row["check_number"] == "71700666555")
    assert (first["payer"], first["payee"], first["check_date"], first["payment_method"]) == (
        "RUSHMORE LIFE", "ACME MEDICAL CENTER", "2002-03-16", "ACH"), first
    assert (first["payer_claim_control_number"], first["member_id"], first["service_date"]) == (
        "94060555410000", "33344555510", "2002-03-01"), first
    # The PLB items are rows whose paid is what they do to the deposit.
    assert [(row["check_number"], row["adjustments"], row["paid"]) for row in plb
            if row["check_number"] == "12345"] == [("12345", "PLB-CV -1.27", "1.27")], plb
    # Claim-level adjustments of claims with lines are rows too (paid = -their sum).
    claim_adj = [(row["patient_control_number"], row["adjustments"], amount(row["paid"])) for row in rows
                 if row["row_type"] == "claim_adjustment"]
    assert claim_adj == [("55545554444", "CO-A2 50", "-50"), ("8765432112", "CO-A2 55", "-55")], claim_adj
    # Each check's rows add up to its BPR02, in cents.
    cents: dict[str, int] = {}
    for row in rows:
        cents[row["check_number"]] = cents.get(row["check_number"], 0) + round(float(amount(row["paid"])) * 100)
    assert cents["12345"] == 15000000 and cents["71700666555"] == 94500, cents
    assert "BUDD" not in r.err and "33344555510" not in r.err, r.describe()


def test_since_last_writes_each_check_once(cli, inbox, tmp_path):
    first = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "jsonl"), 0,
                   "3 check(s) written, 0 already posted")
    checks = {json.loads(line)["check_number"] for line in first.out.splitlines()}
    assert len(checks) == 3, first.describe()
    second = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "jsonl"), 0,
                    "0 check(s) written, 3 already posted and skipped")
    assert second.out.strip() == "", second.describe()
    # The same check again in a file of another name is still the same posting.
    shutil.copy(EXAMPLE2, inbox / "835_again.835")
    third = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "csv"), 0,
                   "0 check(s) written, 4 already posted")
    assert rows_of(third.out) == [], third.describe()
    # Without --since everything given is written.
    all_rows = expect(cli.run("remittance", "--inbox", str(inbox), "-o", "jsonl"), 0)
    assert len(all_rows.out.splitlines()) > len(first.out.splitlines()), all_rows.describe()


def test_a_check_one_cent_off_is_reported_and_posted_again_next_run(cli, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLE1, inbox / EXAMPLE1.name)
    text = EXAMPLE2.read_text().replace("BPR*I*945*", "BPR*I*945.01*")
    bad = write_835(inbox / "835_off.x12", text)
    r = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "csv"), 1,
               f"{bad}: check 71700666555: expected 945, found 945.01 (difference 0.01)",
               "not recorded as posted")
    checks = {row["check_number"] for row in rows_of(r.out)}
    assert checks == {"12345", "71700666555"}, r.describe()
    assert "BUDD" not in r.err and "33344555510" not in r.err, r.describe()
    again = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "csv"), 1,
                   "check 71700666555: expected 945, found 945.01 (difference 0.01)",
                   "1 check(s) written, 1 already posted")
    assert {row["check_number"] for row in rows_of(again.out)} == {"71700666555"}, again.describe()


def test_a_reversal_is_a_new_posting_with_negative_lines(cli, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLE2, inbox / EXAMPLE2.name)
    expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "csv"), 0)
    # The payer takes back claim 55545554444 on a new advice (no money: BPR02 -450 as a debit).
    text = EXAMPLE2.read_text()
    text = text.replace("BPR*I*945*C*", "BPR*I*450*D*").replace("TRN*1*71700666555*", "TRN*1*71700666999*")
    start = text.index("CLP*8765432112")
    end = text.index("SE*")
    text = text[:start] + text[end:]
    text = (text.replace("CLP*55545554444*1*800*450*300*", "CLP*55545554444*22*-800*-450*-300*")
            .replace("CAS*CO*A2*50~", "CAS*CO*A2*-50~")
            .replace("SVC*HC:99211*800*500~", "SVC*HC:99211*-800*-500~")
            .replace("CAS*PR*1*300~", "CAS*PR*1*-300~"))
    write_835(inbox / "835_reversal.x12", text)
    r = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "csv"), 0,
               "1 check(s) written, 1 already posted")
    (row,) = [row for row in rows_of(r.out) if row["row_type"] == "service"]
    assert (row["claim_status"], amount(row["charged"]), amount(row["paid"]), amount(row["patient_responsibility"])) == (
        "22", "-800", "-500", "-300"), row
    check = expect(cli.run("remittance", str(inbox / "835_reversal.x12"), "--level", "check", "-o", "jsonl"), 0)
    assert json.loads(check.out)["total_paid"] == "-450", check.describe()


def test_level_check_totals_with_plb(cli):
    r = expect(cli.run("remittance", str(EXAMPLE1), str(WRITTEN), "--level", "check", "-o", "json"), 0)
    checks = {c["check_number"]: c for c in json.loads(r.out)}
    c = checks["12345"]
    assert (c["total_paid"], c["claims"], c["lines"], c["charged"], c["claims_paid"]) == (
        "150000", 2, 0, "226366.97", "149998.73"), c
    assert c["provider_adjustments"] == "-1.27" and c["balanced"] is True, c
    assert c["plb"] == [{"reason": "CV", "reference": "CP", "fiscal_date": "2002-12-31", "amount": "-1.27"}], c
    (other,) = [v for k, v in checks.items() if k != "12345"]
    assert [p["reason"] for p in other["plb"]] == ["WO", "72"], other
    t = expect(cli.run("remittance", str(EXAMPLE1), "--level", "check", "-o", "csv"), 0)
    (row,) = rows_of(t.out)
    assert row["plb"] == "CV:CP -1.27" and row["total_paid"] == "150000", row


def test_level_claim_one_row_per_clp(cli):
    r = expect(cli.run("remittance", str(EXAMPLE2), "--level", "claim", "-o", "csv"), 0)
    rows = rows_of(r.out)
    assert [(row["patient_control_number"], row["charged"], row["paid"], row["adjustments"], row["lines"])
            for row in rows] == [("55545554444", "800", "450", "CO-A2 50; PR-1 300", "1"),
                                 ("8765432112", "1200", "495", "CO-A2 55; PR-1 600; CO-45 50", "1")], r.describe()


def test_reconcile_finds_unmatched_claims(cli, tmp_path):
    claims = tmp_path / "claim-results.csv"
    claims.write_text(
        "ref,claim_number,claim_count,claim_numbers,status_categories,statuses\n"
        "r1,94060555410000,1,94060555410000,F1,paid\n"
        "r2,CLM-404,1,CLM-404,F1,paid\n"
        "r3,CLM-405,1,CLM-405,A1,received\n")
    out = tmp_path / "unmatched.csv"
    r = expect(cli.run("remittance", str(EXAMPLE2), "--reconcile", str(claims), "--reconcile-output", str(out),
                       "-o", "csv"), 0,
               "reconcile: paid_without_remittance claim CLM-404",
               "reconcile: unknown_claim claim 9407779923000 check 71700666555 paid 495",
               "1 paid claim(s) without a remittance line, 1 remittance claim(s) not in")
    assert "CLM-405" not in r.err, r.describe()
    found = rows_of(out.read_text())
    assert [(f["kind"], f["claim_number"]) for f in found] == [
        ("paid_without_remittance", "CLM-404"), ("unknown_claim", "9407779923000")], found


def test_a_file_that_is_not_an_835_is_named(cli, inbox, tmp_path):
    broken = tmp_path / "835_bad.x12"
    broken.write_text(EXAMPLE2.read_text().replace("CLP*8765432112*1*1200*495*", "CLP*8765432112*1*12,00*495*"))
    r = expect(cli.run("remittance", str(broken), str(EXAMPLE1), "-o", "csv"), 1,
               f"{broken}:segment 20", "not a well-formed 835")
    assert {row["check_number"] for row in rows_of(r.out)} == {"12345"}, r.describe()
    expect(cli.run("remittance", str(broken), "-o", "csv"), 3, "segment 20", "no 835 could be read")
    expect(cli.run("remittance", str(inbox / "999_0001.x12"), "-o", "csv"), 3,
           f"{inbox / '999_0001.x12'} holds no 835")


def test_output_file_is_written_atomically(cli, tmp_path):
    target = tmp_path / "remittance.csv"
    expect(cli.run("remittance", str(EXAMPLE2), "-O", str(target)), 0)
    assert len(rows_of(target.read_text())) == 4  # 2 service lines, 2 claim adjustments
    assert not list(tmp_path.glob("*.part"))


def test_two_since_last_runs_at_once_are_refused(cli, tmp_path):
    import fcntl
    lock = cli.home / "state" / "provportal" / "remittance" / "posting.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = expect(cli.run("remittance", str(EXAMPLE2), "--since", "last", "-o", "csv"), 2,
                   "another `provportal remittance --since last` is running")
        assert r.out == "", r.describe()
    expect(cli.run("remittance", str(EXAMPLE2), "--since", "last", "-o", "csv"), 0, "1 check(s) written")


def _ledger(cli) -> Path:
    return cli.home / "state" / "provportal" / "remittance" / "posted.sqlite"


def test_a_run_killed_around_the_output_rename_posts_each_check_exactly_once(cli, tmp_path):
    """With -O FILE the ledger is written tentative (tied to FILE.part's inode) before the
    rename and final after it; there is no hook to kill the CLI between the steps, so the
    ledger a kill leaves at each point is made here by hand and the next run is checked."""
    import sqlite3
    target = tmp_path / "posting.csv"
    expect(cli.run("remittance", str(EXAMPLE2), "--since", "last", "-O", str(target)), 0,
           "1 check(s) written, 0 already posted")
    with sqlite3.connect(_ledger(cli)) as db:
        assert db.execute("SELECT count(*) FROM tentative").fetchone() == (0,)
        posted = db.execute("SELECT payer, check_number, content_hash, file FROM posted").fetchall()
    assert len(posted) == 1, posted

    def killed_after_tentative(output: Path, inode: int):
        with sqlite3.connect(_ledger(cli)) as db:
            db.execute("DELETE FROM posted")
            db.executemany(
                "INSERT INTO tentative (payer, check_number, content_hash, file, output, output_dev, "
                "output_ino) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*row, str(output), output.stat().st_dev if output.exists() else 0, inode)
                 for row in posted])

    # Killed after the rename, before the rows were made final: FILE is the renamed FILE.part
    # (same inode), so the check is posted and skipped now.
    killed_after_tentative(target, target.stat().st_ino)
    r = expect(cli.run("remittance", str(EXAMPLE2), "--since", "last", "-o", "csv"), 0,
               "0 check(s) written, 1 already posted")
    assert rows_of(r.out) == [], r.describe()
    # Killed before the rename: FILE is still an older file (another inode), so the output that
    # carried the check was lost and the check is written again, then posted.
    killed_after_tentative(target, target.stat().st_ino + 1)
    again = tmp_path / "again.csv"
    expect(cli.run("remittance", str(EXAMPLE2), "--since", "last", "-O", str(again)), 0,
           "1 check(s) written, 0 already posted")
    assert len(rows_of(again.read_text())) == 4
    with sqlite3.connect(_ledger(cli)) as db:
        assert db.execute("SELECT count(*) FROM tentative").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM posted").fetchone() == (1,)
    # Killed before the rename of a first output: no FILE at all.
    killed_after_tentative(tmp_path / "never.csv", 1)
    expect(cli.run("remittance", str(EXAMPLE2), "--since", "last", "-o", "csv"), 0,
           "1 check(s) written, 0 already posted")
    expect(cli.run("remittance", str(EXAMPLE2), "--since", "last", "-o", "csv"), 0,
           "0 check(s) written, 1 already posted")
