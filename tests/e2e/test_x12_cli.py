"""`provportal x12 explain|validate|parse` (SPEC §3, Wires): offline X12 tools, no portal and no
login. explain reads the code tables compiled in from data/x12/; validate names the segment and
element of every finding and exits 3 on any; parse prints segments or typed 999/TA1 records, in
flat memory for a file of any size. The broken samples of tests/data/x12/cli/ are also shown to an
outside parser, node-x12 (scripts/x12_check.js, installed into .tools/ by scripts/setup.sh), which
must refuse the envelope breaks and accept the good interchange."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, expect

DATA = REPO / "tests" / "data" / "x12" / "cli"
GOOD = DATA / "good_270.x12"
NODE_CHECK = REPO / "scripts" / "x12_check.js"
NODE_X12 = REPO / ".tools" / "node_modules" / "node-x12"

# The broken samples: one break each, and where validate must find it (segment, id, element).
BROKEN = {
    "bad_se01.x12": (15, "SE", 1, "segment_count_mismatch", r"SE01 says 12 segments but ST\.\.SE holds 13"),
    "short_isa.x12": (1, "ISA", 6, "isa_malformed", r"ISA06 is 14 characters"),
    "iea02_mismatch.x12": (17, "IEA", 2, "interchange_control_mismatch", r"IEA02 differs from ISA13"),
    "270_in_hb_group.x12": (3, "ST", 1, "transaction_not_supported", r"270 belongs in a GS01 HS group"),
}


@pytest.fixture
def x12(cli_factory):
    """The CLI with no sandbox: every x12 command works offline."""
    return cli_factory(None)


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ---- explain --------------------------------------------------------------------------------


def test_explain_aaa_75_says_what_to_fix_and_in_which_field(x12):
    r = expect(x12.run("x12", "explain", "AAA", "75"), 0)
    assert r.out.startswith("AAA 75: Subscriber/Insured Not Found"), r.describe()
    assert re.search(r"Fix field\s+member_id", r.out), r.describe()
    assert re.search(r"Retry\s+fix: correct the data", r.out), r.describe()
    v = json.loads(expect(x12.run("x12", "explain", "aaa", "75", "-o", "json"), 0).out)
    assert v == {"list": "AAA", "element": "AAA03", "code": "75",
                 "title": "Subscriber/Insured Not Found", "meaning": v["meaning"],
                 "action": v["action"], "field": "member_id", "retry": "fix"}, v
    assert "member ID" in v["action"], v


def test_explain_aaa_42_says_it_is_retried_like_a_503(x12):
    r = expect(x12.run("x12", "explain", "AAA", "42"), 0)
    assert "Unable to Respond at Current Time" in r.out, r.describe()
    assert re.search(r"Retry\s+later: nothing to correct; provportal retries it", r.out), r.describe()
    assert "503" in r.out and "Fix field" not in r.out, r.describe()
    for code in ("42", "80"):
        v = json.loads(expect(x12.run("x12", "explain", "AAA", code, "-o", "json"), 0).out)
        assert v["retry"] == "later" and "retries" in v["action"], v


def test_explain_stc_composite_explains_each_part(x12):
    r = expect(x12.run("x12", "explain", "STC", "A7:21"), 0)
    assert "STC A7: Acknowledgement/Rejected for Invalid Information" in r.out, r.describe()
    assert "STATUS 21: Missing or invalid information." in r.out, r.describe()
    parts = json.loads(expect(x12.run("x12", "explain", "STC", "A7:21:PR", "-o", "json"), 0).out)
    assert [(p["element"], p["code"]) for p in parts] == [("STC01-1", "A7"), ("STC01-2", "21"),
                                                          ("STC01-3", "PR")], parts
    assert parts[2]["title"] == "Payer" and parts[0]["retry"] == "fix", parts
    # A status code alone is read in the status list; each part can be asked again by its list.
    assert json.loads(expect(x12.run("x12", "explain", "STC", "88", "-o", "json"), 0).out)["list"] == "STATUS"
    expect(x12.run("x12", "explain", "STATUS", "21"), 0)


def test_explain_carc_rarc_group_and_follow_up(x12):
    r = expect(x12.run("x12", "explain", "CARC", "45"), 0)
    assert "CARC 45: Charge exceeds fee schedule/maximum allowable" in r.out, r.describe()
    assert "write it off" in r.out, r.describe()
    assert "N130:" in expect(x12.run("x12", "explain", "rarc", "n130"), 0).out
    assert "Contractual Obligations" in expect(x12.run("x12", "explain", "GROUP", "CO"), 0).out
    v = json.loads(expect(x12.run("x12", "explain", "AAA04", "C", "-o", "json"), 0).out)
    assert v["title"] == "Please Correct and Resubmit" and v["retry"] == "fix", v


def test_explain_a_whole_list_in_every_format(x12):
    text = expect(x12.run("x12", "explain", "AAA"), 0).out
    assert text.splitlines()[0].startswith("AAA: AAA03 reject reason codes"), text
    for code in ("15", "42", "72", "75", "80"):
        assert re.search(rf"^  {code}\s+\S", text, re.M), code
    rows = list(csv.DictReader(io.StringIO(expect(x12.run("x12", "explain", "AAA", "-o", "csv"), 0).out)))
    assert list(rows[0]) == ["list", "element", "code", "title", "meaning", "action", "field", "retry"]
    assert {r["code"] for r in rows} >= {"15", "41", "42", "58", "72", "73", "75", "79", "80"}
    lines = records(expect(x12.run("x12", "explain", "CARC", "-o", "jsonl"), 0).out)
    assert len(lines) == len(rows) or len(lines) > 30
    y = expect(x12.run("x12", "explain", "GROUP", "-o", "yaml"), 0).out
    assert "code: CO" in y and "code: PR" in y, y
    kept = records(expect(x12.run("x12", "explain", "AAA", "42", "-o", "jsonl", "--fields", "code,retry"), 0).out)
    assert kept == [{"code": "42", "retry": "later"}], kept


@pytest.mark.parametrize("args,needles", [
    (["AAA", "99"], ["no code 99 in the AAA03 reject reason codes", "provportal x12 explain AAA"]),
    (["STC", "A7:9999"], ["no code 9999 in the claim status codes", "provportal x12 explain STATUS"]),
    (["STC", "A7:21:ZZZ"], ["no code ZZZ in the entity identifier codes"]),
    (["NOPE", "1"], ['no code list named "NOPE"', "AAA, AAA04, STC, STATUS, ENTITY, CARC, GROUP, RARC"]),
], ids=["aaa", "stc-status", "stc-entity", "list"])
def test_explain_an_unknown_code_is_a_usage_error_naming_the_list(x12, args, needles):
    r = expect(x12.run("x12", "explain", *args), 2, *needles)
    assert r.out == "", r.describe()


# ---- validate -------------------------------------------------------------------------------


def test_validate_a_clean_interchange(x12):
    r = expect(x12.run("x12", "validate", str(GOOD)), 0)
    assert r.out == "" and "good_270.x12: valid (1 interchange(s), 1 transaction set(s), 17 segments)" in r.err
    expect(x12.run("x12", "validate", "-", stdin=GOOD.read_text()), 0, "-: valid")
    assert expect(x12.run("x12", "validate", str(GOOD), "-o", "json"), 0).out.strip() == "[]"
    for f in ("999_rejects_270.x12", "ta1_rejects_interchange.x12"):
        expect(x12.run("x12", "validate", str(DATA / f)), 0)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_validate_names_the_segment_and_element_of_each_break(x12, name):
    position, seg, element, code, reason = BROKEN[name]
    r = expect(x12.run("x12", "validate", str(DATA / name)), 3, "1 finding(s) in 1 of 1 file(s)")
    line = r.out.strip()
    assert re.match(rf"^{re.escape(str(DATA / name))}:segment {position} \({seg}\) element {element}: .*{reason}",
                    line), r.describe()
    (f,) = records(expect(x12.run("x12", "validate", str(DATA / name), "-o", "jsonl"), 3).out)
    assert (f["file"], f["segment"], f["segment_id"], f["element"], f["code"]) == (
        str(DATA / name), position, seg, element, code), f
    assert re.match(r"^(TA105|AK905|IK502|IK304|IK403) \w+$", f["ack"]), f


def test_validate_many_files_reports_each_and_keeps_an_output_file(x12, tmp_path):
    files = [str(GOOD)] + [str(DATA / n) for n in sorted(BROKEN)]
    r = expect(x12.run("x12", "validate", *files), 3, "4 finding(s) in 4 of 5 file(s)")
    assert len(r.out.splitlines()) == 4 and "good_270" not in r.out, r.describe()
    out = tmp_path / "findings.csv"
    expect(x12.run("x12", "validate", *files, "-O", str(out)), 3)
    rows = list(csv.DictReader(out.open(newline="")))
    assert [int(row["segment"]) for row in rows] == [3, 15, 17, 1], rows
    assert rows[1]["ack"] == "IK502 4" and rows[1]["value"] == "12", rows


def test_validate_unreadable_file_and_usage_errors(x12):
    r = expect(x12.run("x12", "validate", "no-such.x12"), 3, "1 finding(s) in 1 of 1 file(s)")
    assert r.out == "no-such.x12: cannot open no-such.x12: No such file or directory\n", r.describe()
    expect(x12.run("x12", "parse", "no-such.x12"), 3, "cannot open no-such.x12")
    expect(x12.run("x12", "validate"), 2)
    expect(x12.run("x12", "validate", "-", "-"), 2, "stdin (-) can be read once only")
    expect(x12.run("x12", "validate", "--charset", "ebcdic", str(GOOD)), 2)


# ---- node-x12: an outside parser on the same samples -----------------------------------------


def node_check(path: Path) -> subprocess.CompletedProcess:
    if not NODE_X12.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{NODE_X12} is missing: scripts/setup.sh installs node-x12 in CI", pytrace=False)
        pytest.skip(f"{NODE_X12} is missing: run scripts/setup.sh to install node-x12")
    node = shutil.which("node")
    assert node, "node is missing (scripts/setup.sh installs nodejs)"
    return subprocess.run([node, str(NODE_CHECK), str(path)], capture_output=True, text=True, timeout=60)


def test_node_x12_accepts_the_good_interchange_too(x12):
    p = node_check(GOOD)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "set 270 0001 segments 13" in p.stdout, p.stdout


@pytest.mark.parametrize("name,why", [
    ("bad_se01.x12", "SE01"), ("short_isa.x12", "ISA segment is not the correct length"),
    ("iea02_mismatch.x12", "IEA02"),
])
def test_node_x12_refuses_the_envelope_breaks_too(x12, name, why):
    p = node_check(DATA / name)
    assert p.returncode == 1 and "refused" in p.stdout and why in p.stdout, p.stdout + p.stderr
    expect(x12.run("x12", "validate", str(DATA / name)), 3)


def test_node_x12_knows_no_group_rules_but_provportal_does(x12):
    """node-x12 checks the envelope's syntax only: a 270 in a GS01 HB group (271s' group) parses
    there. X12 puts a 270 in HS, so provportal refuses it; this pins the difference, so a node-x12
    that learns the rule shows up here."""
    p = node_check(DATA / "270_in_hb_group.x12")
    assert p.returncode == 0 and "group HB" in p.stdout, p.stdout + p.stderr
    expect(x12.run("x12", "validate", str(DATA / "270_in_hb_group.x12")), 3)


# ---- parse ----------------------------------------------------------------------------------


def test_parse_a_999_with_its_ik3_and_ik4_in_words(x12):
    path = str(DATA / "999_rejects_270.x12")
    for args in ([], ["--as", "999"]):
        (rec,) = json.loads(expect(x12.run("x12", "parse", *args, path, "-o", "json"), 0).out)
        assert (rec["record"], rec["set_id"], rec["control_number"], rec["status"], rec["accepted"]) == (
            "set", "270", "0001", "R", False), rec
        assert rec["status_text"] == "rejected" and rec["reasons"] == ["5 One or more segments in error"]
        assert (rec["group_control_number"], rec["group_status"]) == ("101", "R"), rec
        (seg,) = rec["segments"]
        assert (seg["segment_id"], seg["position"], seg["loop"], seg["code"], seg["reason"]) == (
            "NM1", 9, "2100", "8", "Segment has data element errors"), seg
        (el,) = seg["elements"]
        assert (el["position"], el["reference"], el["code"], el["reason"]) == (
            9, "67", "1", "Required data element missing"), el
    rows = list(csv.DictReader(io.StringIO(expect(x12.run("x12", "parse", path, "-o", "csv"), 0).out)))
    assert rows[0]["notes"] == ("IK3 NM1 at 9 in 2100: 8 Segment has data element errors; IK4 element 9 "
                                "(67): 1 Required data element missing"), rows
    # The 005010X231 guide's example: one accepted and two rejected 837s, with CTX.
    recs = records(expect(x12.run("x12", "parse", str(REPO / "tests/data/x12/999_x231_ik3_ik4.x12"), "-o", "jsonl"), 0).out)
    assert [r["status"] for r in recs] == ["A", "R", "R"], recs
    assert recs[1]["segments"][0]["context"] == ["CLM01:123456789"], recs[1]


def test_parse_a_ta1(x12):
    path = str(DATA / "ta1_rejects_interchange.x12")
    (rec,) = records(expect(x12.run("x12", "parse", path, "-o", "jsonl"), 0).out)
    assert (rec["record"], rec["control_number"], rec["status"], rec["accepted"], rec["note_code"]) == (
        "ta1", "000000101", "R", False, "022"), rec
    assert rec["reasons"] == ["022 Invalid control structure"], rec
    expect(x12.run("x12", "parse", "--as", "ta1", path), 0)
    # A TA1 inside a 999's interchange comes with the sets.
    recs = records(expect(x12.run("x12", "parse", str(REPO / "tests/data/x12/999_ta1_inside.x12"), "-o", "jsonl"), 0).out)
    assert [r["record"] for r in recs] == ["ta1", "set", "set"], recs
    expect(x12.run("x12", "parse", "--as", "ta1", str(GOOD)), 3, "holds no TA1 segment")


def test_parse_segments_with_composites_and_repeats(x12):
    recs = records(expect(x12.run("x12", "parse", str(GOOD), "-o", "jsonl"), 0).out)
    assert [r["id"] for r in recs][:3] == ["ISA", "GS", "ST"] and len(recs) == 17, recs
    assert recs[10] == {"interchange": 1, "position": 11, "offset": recs[10]["offset"], "id": "NM1",
                        "elements": ["IL", "1", "SMITH", "ROBERT", "", "", "", "MI", "ACM100234"]}
    assert recs[0]["elements"][10] == "^" and recs[0]["elements"][15] == ":"  # ISA is not split
    text = GOOD.read_text().replace("EQ*30~", "EQ*30^1^33:X~")
    (eq,) = [r for r in records(expect(x12.run("x12", "parse", "-", "-o", "jsonl", stdin=text), 0).out)
             if r["id"] == "EQ"]
    assert eq["elements"] == [{"repeats": ["30", "1", ["33", "X"]]}], eq
    rows = list(csv.DictReader(io.StringIO(expect(x12.run("x12", "parse", str(GOOD), "-o", "csv"), 0).out)))
    assert rows[5]["id"] == "NM1" and rows[5]["e03"] == "ACME HEALTH PLAN" and "e32" in rows[5], rows[5]
    assert json.loads(expect(x12.run("x12", "parse", str(GOOD), "-o", "json"), 0).out)[16]["id"] == "IEA"


def test_parse_of_broken_input_prints_what_it_read_then_exits_3(x12):
    r = expect(x12.run("x12", "parse", "-", "-o", "jsonl", stdin="ISA*00*short~"), 3,
               "not well-formed X12", "ISA")
    assert r.out == "", r.describe()
    expect(x12.run("x12", "parse", "--as", "837", str(GOOD)), 2)


def big_interchange(path: Path, sets: int) -> Path:
    """One interchange of `sets` 270s (13 segments each), written as it goes."""
    body = GOOD.read_text().splitlines()
    isa, gs, st_se, iea = body[0], body[1], body[2:15], body[16]
    with path.open("w") as f:
        f.write(isa + "\n" + gs + "\n")
        for i in range(sets):
            ctl = f"{i + 1:04d}"
            for seg in st_se:
                f.write(seg.replace("*0001", "*" + ctl) if seg.startswith(("ST*", "SE*")) else seg)
                f.write("\n")
        f.write(f"GE*{sets}*101~\n{iea}\n")
    return path


def test_parse_and_validate_run_in_flat_memory(x12, tmp_path):
    small = big_interchange(tmp_path / "small.x12", 200)
    big = big_interchange(tmp_path / "big.x12", 60000)  # about 19 MB, 780,000 segments
    assert big.stat().st_size > 15_000_000
    for args in (["x12", "parse", "-o", "json", "-O"], ["x12", "validate", "-o", "json", "-O"]):
        rss_small = x12.peak_rss_kib(*args, str(tmp_path / "small.out"), str(small))
        rss_big = x12.peak_rss_kib(*args, str(tmp_path / "big.out"), str(big))
        # The output of the big parse is ~100 MB: memory may not follow the input or the output.
        assert rss_big < rss_small + 8 * 1024, (args, rss_small, rss_big)
    out = tmp_path / "big.out"
    with out.open() as f:  # validate's output: a clean file, an empty array
        assert json.load(f) == []


# ---- help -----------------------------------------------------------------------------------


def test_x12_help_leads_with_examples_and_says_the_exit_codes(x12):
    top = expect(x12.run("x12", "--help"), 0).out
    for sub in ("explain", "validate", "parse"):
        assert re.search(rf"^\s+{sub}\s+\S", top, re.M), top
        h = expect(x12.run("x12", sub, "--help"), 0).out
        assert "Examples:" in h and f"provportal x12 {sub} " in h, h
    assert "usage error (exit 2)" in expect(x12.run("x12", "explain", "--help"), 0).out
    assert "3 when there are findings" in expect(x12.run("x12", "validate", "--help"), 0).out
    assert re.search(r"^\s+x12\s", expect(x12.run("--help"), 0).out, re.M)
