"""`provportal x12 parse --as 835`: the 005010X221A1 guide's examples (tests/data/x12/, see
SOURCES.md) read as one record per service line and balance; a copy one cent off is reported on
stderr with its check and difference (exit 1, every record still written); the 835 the codec's
writer produces (tests/data/x12/835_provportal_written.x12, compared byte for byte by the unit
test x12_835_test) and the examples pass node-x12 in strict mode and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, expect
from test_x12_cli import node_check

DATA = REPO / "tests" / "data" / "x12"
EXAMPLE1 = DATA / "835_x221a1_example1.x12"
EXAMPLE2 = DATA / "835_x221a1_example2.x12"
WRITTEN = DATA / "835_provportal_written.x12"


@pytest.fixture
def x12(cli_factory):
    """The CLI with no sandbox: x12 parse works offline."""
    return cli_factory(None)


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_example2_reads_one_record_per_service_line(x12):
    r = expect(x12.run("x12", "parse", "--as", "835", str(EXAMPLE2), "-o", "jsonl"), 0)
    assert r.err == "", r.describe()
    rows = records(r.out)
    assert len(rows) == 2, r.describe()
    first = rows[0]
    assert first["payer"] == "RUSHMORE LIFE" and first["payee"] == "ACME MEDICAL CENTER", first
    assert first["check_number"] == "71700666555" and first["check_date"] == "2002-03-16", first
    assert first["payment_method"] == "ACH", first
    assert first["patient_control_number"] == "55545554444", first
    assert first["payer_claim_control_number"] == "94060555410000", first
    assert first["member_id"] == "33344555510", first
    assert first["service_date"] == "2002-03-01", first
    assert first["procedure_code"] == "99211" and first["modifiers"] == [], first
    assert (first["charged"], first["paid"], first["patient_responsibility"]) == ("800", "500", "300"), first
    assert first["allowed"] is None, first
    assert first["adjustments"] == [{"group": "PR", "carc": "1", "amount": "300"}], first
    assert rows[1]["adjustments"] == [{"group": "PR", "carc": "1", "amount": "600"},
                                      {"group": "CO", "carc": "45", "amount": "50"}], rows[1]


def test_auto_detects_an_835_and_claims_without_lines_are_records(x12):
    r = expect(x12.run("x12", "parse", str(EXAMPLE1), "-o", "jsonl"), 0)
    rows = records(r.out)
    assert [row["patient_control_number"] for row in rows] == ["666123", "777777"], r.describe()
    assert rows[0]["procedure_code"] == "" and rows[0]["service_date"] == "2002-08-16", rows[0]
    assert rows[0]["paid"] == "138018.4" and rows[1]["remarks"] == ["MA02"], rows
    assert rows[0]["adjustments"] == [{"group": "CO", "carc": "45", "amount": "73348.57"}], rows[0]


def test_a_check_one_cent_off_is_reported_and_the_records_still_written(x12, tmp_path):
    text = EXAMPLE2.read_text().replace("BPR*I*945*", "BPR*I*945.01*")
    bad = tmp_path / "835_off.x12"
    bad.write_text(text)
    r = expect(x12.run("x12", "parse", "--as", "835", str(bad), "-o", "jsonl"), 1,
               f"{bad}: check 71700666555: expected 945, found 945.01 (difference 0.01)",
               "does not balance")
    assert len(records(r.out)) == 2, r.describe()
    # Names control numbers only: no patient in the message.
    assert "BUDD" not in r.err and "33344555510" not in r.err, r.describe()


def test_a_line_imbalance_names_claim_and_line(x12, tmp_path):
    text = EXAMPLE2.read_text().replace("SVC*HC:93555*1200*550", "SVC*HC:93555*1200*549")
    bad = tmp_path / "835_line.x12"
    bad.write_text(text)
    expect(x12.run("x12", "parse", "--as", "835", str(bad), "-o", "jsonl"), 1,
           "check 71700666555 claim 8765432112 line 1: expected 550, found 549 (difference -1)")


def test_a_broken_835_says_where(x12, tmp_path):
    text = EXAMPLE2.read_text().replace("CLP*8765432112*1*1200*495*", "CLP*8765432112*1*12,00*495*")
    bad = tmp_path / "835_bad.x12"
    bad.write_text(text)
    expect(x12.run("x12", "parse", "--as", "835", str(bad), "-o", "jsonl"), 3,
           "segment 20", "CLP03 is not a decimal amount")


def test_the_written_835_and_the_examples_pass_node_x12_strict_and_read_back(x12):
    for path in (WRITTEN, EXAMPLE1, EXAMPLE2):
        p = node_check(path)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "set 835" in p.stdout, p.stdout
    r = expect(x12.run("x12", "parse", "--as", "835", str(WRITTEN), "-o", "jsonl"), 0)
    rows = records(r.out)
    assert len(rows) == 1 and rows[0]["procedure_code"] == "99213", r.describe()
    assert rows[0]["modifiers"] == ["25", "GT"] and rows[0]["allowed"] == "220", rows[0]
    expect(x12.run("x12", "validate", str(WRITTEN)), 0)


def test_a_broken_copy_of_the_written_835_fails_node_x12_and_validate(x12, tmp_path):
    text = WRITTEN.read_text()
    broken = tmp_path / "835_se01.x12"
    broken.write_text(text.replace("SE*25*0001~", "SE*26*0001~"))
    p = node_check(broken)
    assert p.returncode == 1 and "refused" in p.stdout and "SE01" in p.stdout, p.stdout + p.stderr
    r = expect(x12.run("x12", "validate", str(broken), "-o", "jsonl"), 3)
    assert "segment_count_mismatch" in r.out, r.describe()


def test_validate_checks_an_835_against_the_guide_tables(x12, tmp_path):
    bad = tmp_path / "835_clp02.x12"
    bad.write_text(WRITTEN.read_text().replace("CLP*PCN-1*1*", "CLP*PCN-1*99*"))
    r = expect(x12.run("x12", "validate", str(bad), "-o", "jsonl"), 3)
    (finding,) = records(r.out)
    assert (finding["segment_id"], finding["element"], finding["code"]) == ("CLP", 2, "invalid_code"), finding
    assert finding["segment"] == 13 and finding["loop"] == "2100", finding


def test_csv_shows_adjustments_as_posting_screens_write_them(x12):
    import csv
    import io
    r = expect(x12.run("x12", "parse", "--as", "835", str(EXAMPLE2), "-o", "csv"), 0)
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [row["adjustments"] for row in rows] == ["PR-1 300", "PR-1 600; CO-45 50"], r.describe()
    assert rows[0]["paid"] == "500" and rows[0]["allowed"] == "", rows[0]
    r = expect(x12.run("x12", "parse", "--as", "835", str(WRITTEN), "-o", "csv"), 0)
    (row,) = list(csv.DictReader(io.StringIO(r.out)))
    assert (row["modifiers"], row["remarks"]) == ("25 GT", "MA01 N130 M15"), row
