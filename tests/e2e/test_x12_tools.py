"""`provportal x12 build` and `x12 parse --as 271|277` (issue #14, item 6): the commands' batches
as X12 interchanges, offline, and the payers' answers as the commands' result records.

build reads the same CSV/YAML/JSONL records as check-eligibility and claim-status, validates them
the same way (plus what X12 needs), and writes one interchange with one transaction set per valid
row, its TRN02 the trace of the row's idempotency key: the number the X12 wires send for the row.
parse reads a 271 or 277, whoever wrote it, into the records check-eligibility and claim-status
print, each with the `trace` it answers. The sandbox's CORE endpoint answers what build wrote;
the records are compared with the JSON wire's answers for the same members."""

from __future__ import annotations

import csv
import hashlib
import http.client
import json
import re
import ssl
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import PASSWORD, REPO, expect
from test_x12_core import CLAIM_KEYS, ELIGIBILITY_KEYS, RECEIVER, SENDER, core, core_env, project, results  # noqa: F401

EXAMPLES = REPO / "examples"
ELIGIBILITY = EXAMPLES / "eligibility.csv"
PAYERS = EXAMPLES / "payers.yaml"
MAKE_277 = REPO / "scripts" / "bench" / "make_277.py"

# The claims batch of test_x12_core: by member (the 276 needs the subscriber's name), by claim
# number with the member, and a member the payer does not know.
CLAIMS_CSV = (
    "ref,claim_number,member_id,first_name,last_name,date_of_birth,provider_npi,service_from,service_to,health_plan\n"
    "c1,,ACM100234,James,Whitaker,1958-03-14,1234567893,2026-09-01,2026-11-17,acme-commercial\n"
    "c2,C71000000102,ACM100418,Maria,Gonzalez,1984-07-22,1234567893,2026-09-01,2026-11-17,acme-commercial\n"
    "c3,,ACM999999,Paul,Newman,1970-01-01,1234567893,2026-09-01,2026-11-17,acme-commercial\n")

PARTIES = ["--sender-id", SENDER, "--receiver-id", RECEIVER, "--payers-file", str(PAYERS)]


def trace_of_ref(operation: str, ref: str) -> str:
    """The TRN02 of a row with a ref, computed here from the contract: the row's idempotency key
    is the SHA-256 of `OPERATION\\nref:REF`, its trace the first 24 hex digits (upper case) of the
    SHA-256 of that key."""
    key = hashlib.sha256(f"{operation}\nref:{ref}".encode()).hexdigest()
    return hashlib.sha256(key.encode()).hexdigest()[:24].upper()


def segments(path: Path) -> list[list[str]]:
    """The segments of an interchange, split by the delimiters its ISA declares."""
    text = path.read_text(encoding="latin-1")
    element, terminator = text[3], text[105]
    return [s.strip("\r\n").split(element) for s in text.split(terminator) if s.strip("\r\n")]


def traces(path: Path) -> list[str]:
    return [s[2] for s in segments(path) if s[0] == "TRN"]


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def x12(cli_factory):
    """The CLI with no sandbox: build and parse work offline."""
    return cli_factory(None)


# ---- the CORE endpoint, spoken to directly ----------------------------------------------------

CORE_NS = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"
SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"


def soap_request(payload: str, payload_type: str, username: str, password: str) -> str:
    """A CORE real-time request (SOAP 1.2, WS-Security UsernameToken) carrying `payload`."""
    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    fields = [("PayloadType", payload_type), ("ProcessingMode", "RealTime"), ("PayloadID", str(uuid.uuid4())),
              ("TimeStamp", "2026-11-17T15:00:00Z"), ("SenderID", SENDER), ("ReceiverID", RECEIVER),
              ("CORERuleVersion", "2.2.0"), ("Payload", payload)]
    body = "".join(f"<{k}>{esc(v)}</{k}>" for k, v in fields)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Header>'
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        f'<wsse:UsernameToken><wsse:Username>{esc(username)}</wsse:Username>'
        '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">'
        f'{esc(password)}</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header>'
        f'<soapenv:Body><cor:COREEnvelopeRealTimeRequest xmlns:cor="{CORE_NS}">{body}'
        '</cor:COREEnvelopeRealTimeRequest></soapenv:Body></soapenv:Envelope>')


def core_post(sandbox, username: str, payload: str, payload_type: str = "X12_270_Request_005010X279A1",
              password: str = PASSWORD) -> dict:
    """POSTs `payload` to the sandbox's /core/soap over verified TLS; the answer's CORE fields
    (PayloadType, ErrorCode, Payload...) and its HTTP status."""
    ctx = ssl.create_default_context(cafile=str(sandbox.ca))
    host, port = sandbox.address.rsplit(":", 1)
    conn = http.client.HTTPSConnection(host.strip("[]"), int(port), context=ctx, timeout=60)
    try:
        conn.request("POST", "/core/soap", body=soap_request(payload, payload_type, username, password).encode(),
                     headers={"Content-Type": 'application/soap+xml; charset=UTF-8; action="RealTimeTransaction"'})
        resp = conn.getresponse()
        text = resp.read().decode()
    finally:
        conn.close()
    root = ET.fromstring(text)
    answer = root.find(f".//{{{CORE_NS}}}COREEnvelopeRealTimeResponse")
    assert answer is not None, f"HTTP {resp.status}: not a CORE answer: {text[:500]}"
    out = {child.tag.split("}")[-1]: (child.text or "") for child in answer}
    out["http_status"] = resp.status
    return out


def answer_file(answer: dict, path: Path) -> Path:
    assert answer["http_status"] == 200 and answer.get("ErrorCode") == "Success", answer
    path.write_text(answer["Payload"], encoding="latin-1")
    return path


# ---- build ------------------------------------------------------------------------------------


def test_build_270_from_the_eligibility_batch(x12, tmp_path):
    out = tmp_path / "eligibility.x12"
    r = expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), *PARTIES, "-O", str(out)), 1,
               "20 rows: 16 270 transaction sets built, 4 invalid")
    # Each bad row like a batch reports it: the file, the line, the field; never the values.
    for line, field in ((15, "date_of_birth"), (17, "member_id"), (18, "provider_npi"), (19, "last_name")):
        assert re.search(rf"eligibility\.csv:{line}: {field}: ", r.err), r.describe()
    for value in ("2001-06-41", "XYZ-123", "1234567890", "AMD30012957", "Sarah", "Lindqvist"):
        assert value not in r.err, (value, r.describe())
    expect(x12.run("x12", "validate", str(out)), 0, "valid (1 interchange(s), 16 transaction set(s)")
    segs = segments(out)
    isa, gs = segs[0], segs[1]
    assert (isa[6].strip(), isa[8].strip(), isa[15]) == (SENDER, RECEIVER, "T"), isa
    assert (gs[1], gs[2], gs[3], gs[8]) == ("HS", SENDER, RECEIVER, "005010X279A1"), gs
    assert [s[2] for s in segs if s[0] == "ST"] == [f"{i:04d}" for i in range(1, 17)]
    # TRN02 of each set is the trace of its row's key (the ref), in the rows' order; BHT03 too.
    with ELIGIBILITY.open() as f:
        rows = list(csv.DictReader(f))
    good = [row["ref"] for i, row in enumerate(rows, start=2) if i not in (15, 17, 18, 19)]
    assert traces(out) == [trace_of_ref("eligibility", ref) for ref in good]
    assert [s[3] for s in segs if s[0] == "BHT"] == traces(out)
    # Names as X12 carries them: upper case, accents dropped; the payer from the crosswalk.
    subscribers = [s for s in segs if s[0] == "NM1" and s[1] == "IL"]
    assert subscribers[3][3:5] == ["BRONTE-HALL", "ZOE"] and subscribers[3][9] == "ACM100962", subscribers[3]
    assert ["NM1", "PR", "2", "ACME HEALTH MEDICARE ADVANTAGE", "", "", "", "", "PI", "ACMEM"] in segs
    # The control numbers come from the sender's store: the next build gets the next ones.
    again = tmp_path / "again.x12"
    expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), *PARTIES, "-O", str(again), "-q"), 1)
    first, second = segments(again)[0], segs[0]
    assert int(first[13]) > int(second[13]) and segments(again)[1][6] != gs[6], (first, second)
    assert traces(again) == traces(out), "a row's trace is the same in every run"


def test_build_276_from_a_claims_batch(x12, tmp_path):
    batch = tmp_path / "claims.csv"
    batch.write_text(CLAIMS_CSV)
    out = tmp_path / "claims.x12"
    expect(x12.run("x12", "build", "276", "--batch", str(batch), *PARTIES, "--usage", "P", "-O", str(out)), 0,
           "3 rows: 3 276 transaction sets built, 0 invalid")
    expect(x12.run("x12", "validate", str(out)), 0, "3 transaction set(s)")
    segs = segments(out)
    assert segs[0][15] == "P" and segs[1][1] == "HR" and segs[1][8] == "005010X212", segs[:2]
    assert traces(out) == [trace_of_ref("claim-status", ref) for ref in ("c1", "c2", "c3")]
    assert ["REF", "1K", "C71000000102"] in segs
    assert ["DTP", "472", "RD8", "20260901-20261117"] in segs


def test_build_reads_every_batch_format_and_stdin_and_writes_stdout(x12, tmp_path):
    with ELIGIBILITY.open() as f:
        rows = [row for row in csv.DictReader(f)][:5]
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    yaml_file = tmp_path / "rows.yaml"
    yaml_file.write_text("".join(
        "- " + "\n  ".join(f"{k}: \"{v}\"" for k, v in r.items()) + "\n" for r in rows))
    want = [trace_of_ref("eligibility", r["ref"]) for r in rows]
    for path in (jsonl, yaml_file):
        out = tmp_path / (path.name + ".x12")
        expect(x12.run("x12", "build", "270", "--batch", str(path), *PARTIES, "-O", str(out)), 0)
        assert traces(out) == want, path
    # stdin needs its format; without -O (or with -O -) the interchange goes to stdout.
    expect(x12.run("x12", "build", "270", "--batch", "-", *PARTIES, stdin=jsonl.read_text()), 2,
           "--batch-format")
    for extra in ([], ["-O", "-"]):
        r = expect(x12.run("x12", "build", "270", "--batch", "-", "--batch-format", "jsonl", *PARTIES, *extra,
                           stdin=jsonl.read_text()), 0)
        piped = tmp_path / "piped.x12"
        piped.write_text(r.out, encoding="latin-1")
        assert r.out.startswith("ISA*") and traces(piped) == want, r.describe()
    assert not (x12.home / "work" / "-").exists()


def test_build_takes_its_parties_from_the_profile_and_says_what_is_missing(x12, tmp_path):
    out = tmp_path / "e.x12"
    env = {"PROVPORTAL_SENDER_ID": SENDER, "PROVPORTAL_RECEIVER_ID": RECEIVER,
           "PROVPORTAL_PAYERS_FILE": str(PAYERS)}
    expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "-O", str(out), "-q", env=env), 1)
    assert segments(out)[0][6].strip() == SENDER
    expect(x12.run("config", "set", "usage_indicator", "P"), 0)
    expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "-O", str(out), "-q", env=env), 1)
    assert segments(out)[0][15] == "P"
    # Usage errors (exit 2) name the flag and the profile key; nothing is written.
    missing = tmp_path / "missing.x12"
    expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "-O", str(missing), env=env,
                   remove_env=("PROVPORTAL_SENDER_ID",)), 2, "--sender-id", "sender_id")
    expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "-O", str(missing), env=env,
                   remove_env=("PROVPORTAL_PAYERS_FILE",)), 2, "--payers-file")
    expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "--receiver-id", "R" * 16, "-O",
                   str(missing), env=env), 2, "receiver")
    expect(x12.run("x12", "build", "271", "--batch", str(ELIGIBILITY), env=env), 2)
    expect(x12.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "--usage", "X", env=env), 2)
    assert not missing.exists() and not Path(str(missing) + ".part").exists()
    # A batch that cannot be read at all is an input error (exit 3), and no file is left.
    expect(x12.run("x12", "build", "270", "--batch", str(tmp_path / "nope.csv"), "-O", str(missing), env=env),
           3, "cannot open the batch file")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- ref: a\n  member_id: [unclosed\n")
    expect(x12.run("x12", "build", "270", "--batch", str(broken), "-O", str(missing), env=env), 3)
    assert not missing.exists()


def test_rows_x12_cannot_carry_are_invalid_naming_the_field(x12, tmp_path):
    """What passes the schema but not X12: a first name over NM104's 35 characters, a name with no
    letter X12 has, a health plan the payers file lacks, a payer reached through another receiver."""
    payers = tmp_path / "payers.yaml"
    payers.write_text("payers:\n  acme-commercial: {payer_id: ACMEC, name: ACME HEALTH}\n"
                      "  lakeshore-hmo: {payer_id: LKHMO, name: LAKESHORE HMO, receiver_id: LKHMO}\n")
    long_first = "Maximiliana" * 4  # 44 characters: the schema allows 50
    batch = tmp_path / "odd.csv"
    batch.write_text(
        "ref,member_id,first_name,last_name,date_of_birth,health_plan,provider_npi,service_date\n"
        "o1,ACM100234,James,Whitaker,1958-03-14,acme-commercial,1234567893,2026-11-16\n"
        f"o2,ACM100418,{long_first},Gonzalez,1984-07-22,acme-commercial,1234567893,2026-11-16\n"
        "o3,ACM100733,Michael,王,1966-09-30,acme-commercial,1234567893,2026-11-16\n"
        "o4,AMD30011842,Jasmine,Carter,1998-03-03,acme-medicaid,1234567893,2026-11-18\n"
        "o5,LKH400112,Grace,Okafor,1990-01-01,lakeshore-hmo,1234567893,2026-11-18\n"
        "o6,ACM100845,Emily,Nakamura,1995-12-03,acme-commercial,1234567893,2026-11-19\n")
    out = tmp_path / "odd.x12"
    r = expect(x12.run("x12", "build", "270", "--batch", str(batch), "--sender-id", SENDER, "--receiver-id",
                       RECEIVER, "--payers-file", str(payers), "-O", str(out), "--verify-templates"), 1,
               "6 rows: 2 270 transaction sets built, 4 invalid")
    assert re.search(r"odd\.csv:3: first_name: the X12 270 cannot carry it: NM104 \(loop 2100C\)", r.err), r.describe()
    assert "odd.csv:4: last_name: has no letter X12 can carry" in r.err, r.describe()
    assert re.search(r"odd\.csv:5: health_plan: no payer ID for health plan \"acme-medicaid\"", r.err), r.describe()
    assert "odd.csv:6: health_plan: its payer's interchanges go to receiver LKHMO" in r.err, r.describe()
    assert long_first not in r.err and "Jasmine" not in r.err
    assert traces(out) == [trace_of_ref("eligibility", "o1"), trace_of_ref("eligibility", "o6")]
    expect(x12.run("x12", "validate", str(out)), 0)


def test_sets_from_templates_are_the_writers_own(x12, tmp_path):
    """build fills most sets in from templates the codec's writer wrote; --verify-templates has
    the writer write each again and fails on any difference, and --no-templates writes them all
    with the writer: the files are the same but for their control numbers."""
    batch = tmp_path / "varied.csv"
    with ELIGIBILITY.open() as f:
        rows = list(csv.DictReader(f))
    with batch.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) )
        w.writeheader()
        for i in range(400):
            row = dict(rows[i % len(rows)])
            row["ref"] = f"v{i:04d}"
            if i % 7 == 0:
                row["first_name"] = ""  # no NM104
            if i % 11 == 0:
                row["service_date"] = ""  # the default date of service: today
            if i % 13 == 0:
                row["last_name"] = "O'Brien-Smith Jr."
            w.writerow(row)
    claims = tmp_path / "claims.csv"
    claims.write_text(CLAIMS_CSV + "c4,,ACM100234,,Whitaker,,1234567893,2026-09-01,2026-09-01,acme-commercial\n")
    for kind, path in (("270", batch), ("276", claims)):
        fast, slow = tmp_path / f"fast{kind}.x12", tmp_path / f"slow{kind}.x12"
        a = x12.run("x12", "build", kind, "--batch", str(path), *PARTIES, "--newlines", "--verify-templates",
                    "-O", str(fast))
        b = x12.run("x12", "build", kind, "--batch", str(path), *PARTIES, "--newlines", "--no-templates",
                    "-O", str(slow))
        assert a.rc == b.rc and a.rc in (0, 1), a.describe() + b.describe()
        drop = re.compile(r"^(ISA.*|GS.*|GE.*|IEA.*)$", re.M)
        assert drop.sub("", fast.read_text()) == drop.sub("", slow.read_text()), kind


def test_build_splits_groups_and_streams_a_big_batch(x12, tmp_path):
    big = tmp_path / "big.csv"
    subprocess.run([sys.executable, str(REPO / "scripts" / "bench" / "make_rows.py"), "30000", "big", str(big)],
                   check=True)
    out = tmp_path / "big.x12"
    expect(x12.run("x12", "build", "270", "--batch", str(big), *PARTIES, "--sets-per-group", "10000", "-O",
                   str(out), timeout=300), 0, "30000 rows: 30000 270 transaction sets built, 0 invalid; 3 group(s)")
    expect(x12.run("x12", "validate", str(out), timeout=300), 0, "30000 transaction set(s)")
    gs = [s for s in segments(out) if s[0] in ("GS", "GE", "IEA")]
    assert [s[0] for s in gs] == ["GS", "GE", "GS", "GE", "GS", "GE", "IEA"] and gs[-1][1] == "3", gs
    assert [g[1] for g in gs if g[0] == "GE"] == ["10000", "10000", "10000"]


# ---- parse: the payers' answers as the commands' records --------------------------------------


def test_parse_271_from_the_sandbox_gives_the_json_wires_records(core, tmp_path):
    """The 270 build wrote, sent to the sandbox's CORE endpoint as it is: the 271 it answers,
    parsed, gives for each row the record check-eligibility gives over the JSON API, matched by
    the trace of the row."""
    request = tmp_path / "eligibility.x12"
    expect(core.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "-O", str(request), env=core_env(core)), 1)
    answer = answer_file(core_post(core.sandbox, core.email, request.read_text()), tmp_path / "answer.x12")
    assert answer.read_text().startswith("ISA")
    expect(core.run("x12", "validate", str(answer)), 0)
    parsed = records(expect(core.run("x12", "parse", str(answer), "-o", "jsonl", "--payers-file", str(PAYERS)),
                            0).out)
    by_trace = {r["trace"]: r for r in parsed}
    assert len(parsed) == 16 and set(by_trace) == set(traces(request)), parsed
    by_json = tmp_path / "json.jsonl"
    expect(core.run("check-eligibility", "--batch", str(ELIGIBILITY), "--results", str(by_json)), 1)
    compared = 0
    for ref, row in results(by_json).items():
        if row["outcome"] == "invalid":
            continue
        got = by_trace[trace_of_ref("eligibility", ref)]
        assert got["outcome"] == row["outcome"], (ref, row, got)
        if row["outcome"] == "ok":
            assert project(got, ELIGIBILITY_KEYS) == project(row["answer"], ELIGIBILITY_KEYS), ref
        else:
            for k in ("code", "x12_aaa"):
                assert got["reject_reason"][k] == row["answer"]["reject_reason"][k], (ref, got)
        compared += 1
    assert compared == 16
    # The same records as CSV and a table, --fields as elsewhere; --as 271 reads it too.
    rows = list(csv.DictReader(expect(core.run("x12", "parse", "--as", "271", str(answer), "-o", "csv",
                                               "--payers-file", str(PAYERS)), 0).out.splitlines()))
    assert rows[0]["trace"] == parsed[0]["trace"] and rows[0]["plan.id"] == "acme-commercial", rows[0]
    chosen = records(expect(core.run("x12", "parse", str(answer), "-o", "jsonl", "--fields",
                                     "trace,status,member.member_id"), 0).out)
    assert chosen[0] == {"trace": parsed[0]["trace"], "status": parsed[0]["status"],
                         "member": {"member_id": parsed[0]["member"]["member_id"]}}, chosen[0]
    table = expect(core.run("x12", "parse", str(answer), "-o", "table"), 0).out
    assert "TRACE" in table and "MEMBER.MEMBER ID" in table
    expect(core.run("x12", "parse", str(answer), "--fields", "nope"), 2, "trace")


def test_parse_277_from_the_sandbox_gives_the_json_wires_claims(core, tmp_path):
    batch = tmp_path / "claims.csv"
    batch.write_text(CLAIMS_CSV)
    request = tmp_path / "claims.x12"
    expect(core.run("x12", "build", "276", "--batch", str(batch), "-O", str(request), env=core_env(core)), 0)
    answer = answer_file(core_post(core.sandbox, core.email, request.read_text(), "X12_276_Request_005010X212"),
                         tmp_path / "answer.x12")
    expect(core.run("x12", "validate", str(answer)), 0)
    env = {"PROVPORTAL_PAYERS_FILE": str(PAYERS)}  # the profile's payers file names the plans
    parsed = records(expect(core.run("x12", "parse", str(answer), "-o", "jsonl", env=env), 0).out)
    by_trace = {r["trace"]: r for r in parsed}
    by_json = tmp_path / "json.jsonl"
    r = core.run("claim-status", "--batch", str(batch), "--results", str(by_json))
    assert r.rc in (0, 1), r.describe()
    for ref, row in results(by_json).items():
        got = by_trace[trace_of_ref("claim-status", ref)]
        assert got["outcome"] == row["outcome"], (ref, row, got)
        if row["outcome"] == "ok":
            want = [project(c, CLAIM_KEYS) for c in row["answer"]["claims"]]
            assert [project(c, CLAIM_KEYS) for c in got["claims"]] == want, ref
        else:
            assert got["reject_reason"]["code"] == row["answer"]["reject_reason"]["code"], (ref, got)
    assert by_trace[trace_of_ref("claim-status", "c1")]["claims"], "the member has claims"
    rows = list(csv.DictReader(expect(core.run("x12", "parse", "--as", "277", str(answer), "-o", "csv", env=env),
                                      0).out.splitlines()))
    c2 = [r for r in rows if r["trace"] == trace_of_ref("claim-status", "c2")][0]
    assert c2["claim_count"] == "1" and c2["claim_numbers"] == "C71000000102", c2


def test_a_built_files_traces_are_those_the_x12_core_wire_sends(core, tmp_path):
    """The same batch over x12-core: the TRN02s its audit log records are the build's."""
    built = tmp_path / "eligibility.x12"
    expect(core.run("x12", "build", "270", "--batch", str(ELIGIBILITY), "-O", str(built), env=core_env(core)), 1)
    audit = tmp_path / "audit.jsonl"
    expect(core.run("check-eligibility", "--batch", str(ELIGIBILITY), "--results", str(tmp_path / "r.jsonl"),
                    env=core_env(core, PROVPORTAL_AUDIT_LOG=str(audit))), 1)
    sent = sorted(json.loads(line)["x12_trn02"] for line in audit.read_text().splitlines())
    assert sent == sorted(traces(built)) and len(sent) == 16, (sent, traces(built))


def test_parse_an_answer_to_rows_of_another_kind_is_an_input_error(x12, tmp_path):
    r = expect(x12.run("x12", "parse", "--as", "271", str(REPO / "tests/data/x12/277_x212_claim_response.x12")), 3,
               "holds no 271 transaction set", "transaction set 277 is not a 271; skipped")
    assert "not well-formed" not in r.err, r.describe()
    expect(x12.run("x12", "parse", "--as", "277", str(REPO / "tests/data/x12/271_x279a1_example1b.x12"),
                   "--payers-file", str(tmp_path / "none.yaml")), 2, "payers file")


def test_parse_277_json_lines_are_the_records_json_prints_byte_for_byte(x12, tmp_path):
    """JSON Lines of a 277's answers are written as text straight from the answers read, -o json
    builds each record as a JSON value and serializes it: every record comes out the same bytes
    (its as_of, the time of reading, aside), for each 277 of the test data, a generated one of
    many sets, and one whose values need escaping (quotes, backslashes, control characters, bytes
    beyond ASCII)."""
    data = REPO / "tests" / "data" / "x12"
    inputs = [p for p in sorted(data.rglob("*.x12")) if b"ST*277*" in p.read_bytes()]
    assert len(inputs) >= 4, inputs
    made, odd = tmp_path / "made.x12", tmp_path / "odd.x12"
    subprocess.run([sys.executable, str(MAKE_277), str(made), "1", "--patients", "4"], check=True,
                   capture_output=True)
    odd.write_bytes(made.read_bytes().replace(b"REF*EJ*ACCT", b'REF*EJ*A"C\\C\x01\t\x7f\xc3\xa9\xff/')
                    .replace(b"*MI*ACM", b'*MI*A\\"'))
    as_of = re.compile(rb'"as_of":"[^"]*"')
    for path in [*inputs, made, odd]:
        lines, array = tmp_path / "out.jsonl", tmp_path / "out.json"
        a = x12.run("x12", "parse", "--as", "277", str(path), "-o", "jsonl", "-O", str(lines))
        b = x12.run("x12", "parse", "--as", "277", str(path), "-o", "json", "-O", str(array))
        assert a.rc == b.rc, (path, a.describe(), b.describe())
        got = as_of.sub(b'"as_of":""', lines.read_bytes()).splitlines()
        body = as_of.sub(b'"as_of":""', array.read_bytes())
        assert body.startswith(b"[\n") and body.endswith(b"\n]\n"), (path, body[:200])
        want = body[2:-3].split(b",\n")
        assert got == want and len(got) > 0, path
    assert b'\\"C\\\\C\\u0001\\t\x7f\xc3\xa9\xff/' in lines.read_bytes()


def test_parse_of_a_big_277_streams_in_flat_memory(x12, tmp_path):
    small, big = tmp_path / "small.x12", tmp_path / "big.x12"
    subprocess.run([sys.executable, str(MAKE_277), str(small), "1"], check=True, capture_output=True)
    made = subprocess.run([sys.executable, str(MAKE_277), str(big), "40"], check=True, capture_output=True,
                          text=True).stdout
    subscribers = int(re.search(r"(\d+) subscribers", made).group(1))
    expect(x12.run("x12", "validate", str(big), timeout=300), 0)
    def rss(path: Path, out: Path) -> int:
        return x12.peak_rss_kib("x12", "parse", str(path), "-o", "jsonl", "-O", str(out))

    rss_small, rss_big = rss(small, tmp_path / "small.jsonl"), rss(big, tmp_path / "big.jsonl")
    assert rss_big < rss_small + 8 * 1024, (rss_small, rss_big)
    with (tmp_path / "big.jsonl").open() as f:
        first = json.loads(f.readline())
        n = 1 + sum(1 for _ in f)
    # One record per subscriber: its three claims answer one inquiry (one trace).
    assert n == subscribers and first["outcome"] == "ok" and len(first["claims"]) == 3, (n, first)
    assert first["claims"][0]["claim_number"].startswith("C7"), first
