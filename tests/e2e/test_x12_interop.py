"""Outside checkers (issue #14): every interchange provportal writes in the tests (`x12 build` 270
and 276) and every one the sandbox writes (271, 277, and the 999 and TA1 it answers broken
payloads with) is parsed by an independent parser, node-x12 in strict mode (scripts/x12_check.js,
installed into .tools/ by scripts/setup.sh; run as test_x12_cli runs it), and by `provportal x12 validate`; broken copies of
them fail both. The public example 271s and 277s of the guides and of other projects
(tests/data/x12/, see SOURCES.md) read with `x12 parse --as 271|277` without error."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, expect
from test_x12_cli import node_check as node_check_one
from test_x12_core import core, core_env  # noqa: F401
from test_x12_tools import CLAIMS_CSV, ELIGIBILITY, PARTIES, answer_file, core_post, segments

DATA = REPO / "tests" / "data" / "x12"


def node_check(*paths: Path) -> subprocess.CompletedProcess:
    """node-x12 strict on each file, with test_x12_cli's runner (which skips, or fails in CI, when
    scripts/setup.sh did not install it); one result for them all."""
    runs = [node_check_one(p) for p in paths]
    return subprocess.CompletedProcess([], max(r.returncode for r in runs), "".join(r.stdout for r in runs),
                                       "".join(r.stderr for r in runs))


def rewrite(path: Path, out: Path, change) -> Path:
    """A copy of the interchange at `path` with `change` applied to its segments (lists of elements)."""
    text = path.read_text(encoding="latin-1")
    element, terminator = text[3], text[105]
    segs = [s.strip("\r\n").split(element) for s in text.split(terminator) if s.strip("\r\n")]
    segs = change(segs)
    out.write_text("".join(element.join(s) + terminator for s in segs), encoding="latin-1")
    return out


@pytest.fixture
def interchanges(core, tmp_path) -> dict[str, Path]:
    """What provportal writes (x12 build 270 and 276) and what the sandbox answers them and broken
    payloads with (271, 277, TA1, 999), each in a file of its own."""
    files: dict[str, Path] = {}
    env = core_env(core)
    files["270"] = tmp_path / "build.270.x12"
    expect(core.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "-O", str(files["270"]), env=env), 1)
    claims = tmp_path / "claims.csv"
    claims.write_text(CLAIMS_CSV)
    files["276"] = tmp_path / "build.276.x12"
    expect(core.run("x12", "build", "276", "--batch", str(claims), "-O", str(files["276"]), env=env), 0)
    files["271"] = answer_file(core_post(core.sandbox, core.email, files["270"].read_text()), tmp_path / "answer.271.x12")
    files["277"] = answer_file(core_post(core.sandbox, core.email, files["276"].read_text(),
                                         "X12_276_Request_005010X212"), tmp_path / "answer.277.x12")
    # An envelope that does not close (IEA02 is not ISA13): a TA1.
    broken_envelope = rewrite(files["270"], tmp_path / "iea.x12",
                              lambda segs: segs[:-1] + [["IEA", "1", "000000999"]])
    ta1 = core_post(core.sandbox, core.email, broken_envelope.read_text())
    assert "TA1" in ta1.get("PayloadType", ""), ta1
    files["ta1"] = answer_file(ta1, tmp_path / "answer.ta1.x12")
    # A payer without its ID (NM109 is required in 2100A) and a set whose SE01 is wrong: a 999
    # rejecting them.
    def break_sets(segs):
        out, seen = [], 0
        for s in segs:
            if s[0] == "NM1" and s[1] == "PR" and seen == 0:
                s = s[:9]
                seen += 1
            out.append(s)
        se = [i for i, s in enumerate(out) if s[0] == "SE"]
        out[se[1]] = ["SE", "99", out[se[1]][2]]
        return out
    ack = core_post(core.sandbox, core.email, rewrite(files["270"], tmp_path / "bad.x12", break_sets).read_text())
    assert "999" in ack.get("PayloadType", ""), ack
    files["999"] = answer_file(ack, tmp_path / "answer.999.x12")
    return files


def test_every_interchange_of_provportal_and_the_sandbox_passes_node_x12_strict(interchanges):
    p = node_check(*interchanges.values())
    assert p.returncode == 0, p.stdout + p.stderr
    for name in ("270", "276", "271", "277", "999"):
        assert f"set {name} " in p.stdout, (name, p.stdout)
    assert "ta1 " in p.stdout and " R " in p.stdout, p.stdout


def test_every_interchange_of_provportal_and_the_sandbox_passes_x12_validate(core, interchanges):
    for name, path in interchanges.items():
        expect(core.run("x12", "validate", str(path)), 0, "valid")
    # And each reads as what it is.
    for name in ("271", "277", "999", "ta1"):
        r = expect(core.run("x12", "parse", str(interchanges[name]), "-o", "jsonl"), 0)
        assert r.out.strip(), name
    acks = [json.loads(line) for line in expect(core.run("x12", "parse", str(interchanges["999"]), "-o", "jsonl"),
                                                 0).out.splitlines()]
    rejected = [a for a in acks if not a["accepted"]]
    assert [a["control_number"] for a in rejected] == ["0001", "0002"], rejected
    assert [(s["segment_id"], [e["position"] for e in s["elements"]]) for s in rejected[0]["segments"]] == [
        ("NM1", [9])], rejected[0]


@pytest.mark.parametrize("name,change,node_says,validate_says", [
    ("se01", lambda segs: [(["SE", str(int(s[1]) + 1), s[2]] if s[0] == "SE" else s) for s in segs],
     "SE01", "segment_count_mismatch"),
    ("iea02", lambda segs: segs[:-1] + [["IEA", "1", "000000999"]], "IEA02", "interchange_control_mismatch"),
    ("short_isa", lambda segs: [segs[0][:6] + [segs[0][6].strip()] + segs[0][7:]] + segs[1:],
     "ISA segment is not the correct length", "isa_malformed"),
])
def test_broken_copies_of_provportals_interchanges_fail_both_checkers(x12_built, tmp_path, name, change,
                                                                      node_says, validate_says):
    for kind, path in x12_built.items():
        broken = rewrite(path, tmp_path / f"{kind}.{name}.x12", change)
        p = node_check(broken)
        assert p.returncode == 1 and "refused" in p.stdout and node_says in p.stdout, p.stdout + p.stderr
        r = x12_built.cli.run("x12", "validate", str(broken), "-o", "jsonl")
        assert r.rc == 3 and validate_says in r.out, r.describe()


class Built(dict):
    cli = None


@pytest.fixture
def x12_built(cli_factory, tmp_path) -> Built:
    """x12 build's 270 and 276, offline."""
    cli = cli_factory(None)
    built = Built()
    built.cli = cli
    built["270"] = tmp_path / "b270.x12"
    expect(cli.run("x12", "build", "270", "--batch", str(ELIGIBILITY), *PARTIES, "-O", str(built["270"])), 1)
    claims = tmp_path / "claims.csv"
    claims.write_text(CLAIMS_CSV)
    built["276"] = tmp_path / "b276.x12"
    expect(cli.run("x12", "build", "276", "--batch", str(claims), *PARTIES, "-O", str(built["276"])), 0)
    return built


def test_a_270_in_a_271s_group_passes_node_x12_but_not_provportal(x12_built, tmp_path):
    """node-x12 checks the envelope's syntax only; X12 puts a 270 in GS01 HS, and provportal's
    validate holds a build's 270 moved to HB to it (as test_x12_cli pins for its sample)."""
    moved = rewrite(x12_built["270"], tmp_path / "hb.x12",
                    lambda segs: [(["GS", "HB"] + s[2:] if s[0] == "GS" else s) for s in segs])
    p = node_check(moved)
    assert p.returncode == 0 and "group HB" in p.stdout, p.stdout + p.stderr
    expect(x12_built.cli.run("x12", "validate", str(moved)), 3, "270 belongs in a GS01 HS group", stream="out")


EXAMPLES_271 = sorted([*DATA.glob("271*.x12"), *DATA.glob("guide/*271*.x12")])
EXAMPLES_277 = sorted([*DATA.glob("277*.x12"), *DATA.glob("guide/*277*.x12")])


@pytest.mark.parametrize("path,kind", [(p, "271") for p in EXAMPLES_271] + [(p, "277") for p in EXAMPLES_277],
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_the_public_example_answers_parse_as_the_commands_records(x12_built, path, kind):
    cli = x12_built.cli
    r = expect(cli.run("x12", "parse", "--as", kind, str(path), "-o", "jsonl"), 0)
    recs = [json.loads(line) for line in r.out.splitlines()]
    assert recs and all(rec["outcome"] in ("ok", "rejected") and "trace" in rec for rec in recs), recs
    assert r.err == "", r.describe()
    # --as auto finds the same view by ST01, and CSV reads it too (as_of is the time of reading).
    def records(text: str) -> list:
        out = [json.loads(line) for line in text.splitlines()]
        for rec in out:
            (rec.get("answer") or {}).pop("as_of", None)
            rec.pop("as_of", None)
        return out
    assert records(expect(cli.run("x12", "parse", str(path), "-o", "jsonl"), 0).out) == records(r.out)
    expect(cli.run("x12", "parse", "--as", kind, str(path), "-o", "csv"), 0)
    # The outside parser reads them as well.
    p = node_check(path)
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_sandboxs_answers_match_their_requests_by_trace(core, interchanges):
    """Each 271 and 277 answer carries the TRN02 of the set it answers, as the build wrote it."""
    for request, answer, kind in (("270", "271", "2"), ("276", "277", "2")):
        asked = [s[2] for s in segments(interchanges[request]) if s[0] == "TRN"]
        answered = [s[2] for s in segments(interchanges[answer]) if s[0] == "TRN" and s[1] == kind]
        assert set(answered) == set(asked), (request, asked, answered)
