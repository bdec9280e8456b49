"""Attachments over X12 275 (005010X210, issue #15): a 278 request for examples/cases.yaml's
case-0003 (needs-documents) announces its clinical notes with PWK06; the 275 that carries
examples/documents/clinical-notes.pdf under that control number is checked by `x12 validate`,
read by `x12 parse --as 275` (size, SHA-256, content type, never the bytes) and parsed by
node-x12, then posted to the sandbox's CORE endpoint: a 999 accepts it, and the order the 278
made holds the document and is pended, as search-orders shows. The same 275 again attaches
nothing more; an unknown control number gets a 999 naming TRN02.

Over SOAP a real-time payload is XML text, which holds no NUL and no arbitrary bytes: the PDF
travels as a MIME entity in base64 inside BIN02 (docs/core.md, section 9.2). Raw bytes over
/core/mime are covered by tests/unit/sandbox_core_275_test.cpp. (`submit-case` does not send 275s
over the X12 wires yet.)"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from conftest import REPO, expect
from test_x12_278 import interchange as interchange_278
from test_x12_cli import node_check
from test_x12_core import RECEIVER, SENDER, core  # noqa: F401
from test_x12_tools import answer_file, core_post, records, x12  # noqa: F401

PDF = REPO / "examples" / "documents" / "clinical-notes.pdf"
CONTROL = "E2E275NOTES"
PAYLOAD_278 = "X12_278_Request_005010X217E1_2"
PAYLOAD_275 = "X12_275_Request_005010X210E1_2"

# case-0003 (radiology, no conservative care yet: needs clinical notes), its notes announced.
CASE0003 = [
    "BHT*0007*13*CASE0003*20261117*1500",
    "HL*1**20*1", "NM1*X3*2*ACME HEALTH*****PI*ACMEC",
    "HL*2*1*21*1", "NM1*1P*2*ORDERING PRACTICE*****XX*1234567893",
    "HL*3*2*22*1", "NM1*IL*1*CHEN*ROBERT****MI*ACM100552", "DMG*D8*19711105",
    "HL*4*3*EV*1", "TRN*1*E2E275CASE0003*9PROVPORTL", "UM*HS*I", "DTP*AAH*RD8*20261201-20270228",
    "HI*ABK:M5416*ABF:M5126", f"PWK*77*EL***AC*{CONTROL}*CLINICAL NOTES",
    "MSG*solution=radiology;q1=no;q2=8;q3=no",
    "NM1*SJ*2*SERVICING PROVIDER*****XX*1245319599",
    "HL*5*4*SS*0", "UM*HS*I", "SV1*HC:72148**UN*1",
]


def entity(document: bytes) -> bytes:
    """The document as a MIME entity in base64: what a SOAP payload can carry in BIN02."""
    encoded = base64.encodebytes(document)  # lines of 76 characters
    return b"Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + encoded


def interchange_275(control: str, data: bytes, isa: int = 401) -> bytes:
    """One ISA/GS PI 005010X210 interchange carrying `data` in BIN under TRN02 `control`."""
    body = [
        f"BGN*02*{control}*20261117*1500",
        "NM1*PR*2*ACME HEALTH*****PI*ACMEC",
        "NM1*41*2*ORDERING PRACTICE*****XX*1234567893",
        "NM1*1P*2*ORDERING PRACTICE*****XX*1234567893",
        "NM1*QC*1*CHEN*ROBERT****MI*ACM100552",
        "LX*1", f"TRN*1*{control}", "DTP*368*D8*20261117", "CAT*AE*MB", "EFI*05",
    ]
    head = [f"ISA*00*          *00*          *ZZ*{SENDER:<15}*ZZ*{RECEIVER:<15}*261117*1500*^*00501*"
            f"{isa:09d}*0*T*:",
            f"GS*PI*{SENDER}*{RECEIVER}*20261117*1500*{isa}*X*005010X210",
            "ST*275*0001*005010X210", *body]
    tail = [f"SE*{len(body) + 3}*0001", f"GE*1*{isa}", f"IEA*1*{isa:09d}"]
    return ("~\n".join(head) + "~\n").encode() + b"BIN*%d*" % len(data) + data + b"~\n" + \
        ("~\n".join(tail) + "~\n").encode()


def post(core_cli, payload: bytes, payload_type: str) -> dict:  # noqa: F811
    return core_post(core_cli.sandbox, core_cli.email, payload.decode("ascii"), payload_type)


def test_a_275_attaches_the_notes_to_the_order_its_278_made(core, tmp_path):  # noqa: F811
    # The 278: case-0003 needs documents; its HCR02 is the order.
    reply = core_post(core.sandbox, core.email, interchange_278([CASE0003], control=311), PAYLOAD_278)
    answer = answer_file(reply, tmp_path / "278.x12")
    [review] = records(expect(core.run("x12", "parse", "--as", "278", str(answer), "-o", "jsonl"), 0).out)
    assert review["action"] == "A4" and review["reason"] == "0U", review
    order_id = review["certification_number"]
    [listed] = records(expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out)
    assert listed["status"] == "needs-documents" and listed["documents"] == [], listed

    # The 275: validated, parsed without its bytes, parsed by node-x12 (text-only BIN02 here).
    pdf = PDF.read_bytes()
    request = tmp_path / "275.x12"
    request.write_bytes(interchange_275(CONTROL, entity(pdf)))
    expect(core.run("x12", "validate", str(request)), 0, "valid")
    parsed = records(expect(core.run("x12", "parse", str(request), "-o", "jsonl"), 0).out)
    assert len(parsed) == 1, parsed
    assert parsed[0]["control_number"] == CONTROL and parsed[0]["format"] == "MB", parsed[0]
    assert parsed[0]["size"] == len(entity(pdf)), parsed[0]
    assert parsed[0]["sha256"] == hashlib.sha256(entity(pdf)).hexdigest(), parsed[0]
    p = node_check(request)
    assert p.returncode == 0 and "set 275 0001" in p.stdout, p.stdout + p.stderr

    # Over CORE: a 999 accepts it, and the order holds the PDF and is pended.
    reply = post(core, request.read_bytes(), PAYLOAD_275)
    assert reply["PayloadType"] == "X12_999_Response_005010X231A1", reply
    ack = answer_file(reply, tmp_path / "999.x12")
    sets = [r for r in records(expect(core.run("x12", "parse", "--as", "999", str(ack), "-o", "jsonl"), 0).out)
            if r["record"] == "set"]
    assert [s["status"] for s in sets] == ["A"], sets
    [listed] = records(expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out)
    assert listed["status"] == "pended", listed
    docs = listed["documents"]
    assert [d["document_type"] for d in docs] == ["clinical_notes"], docs
    assert docs[0]["sha256"] == hashlib.sha256(pdf).hexdigest() and docs[0]["size"] == len(pdf), docs
    assert docs[0]["content_type"] == "application/pdf", docs

    # The same 275 again: accepted, nothing attached twice.
    reply = post(core, request.read_bytes(), PAYLOAD_275)
    assert reply["PayloadType"] == "X12_999_Response_005010X231A1", reply
    [listed] = records(expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out)
    assert len(listed["documents"]) == 1, listed


def test_a_275_for_an_unknown_control_number_gets_a_999_naming_trn02(core, tmp_path):  # noqa: F811
    reply = post(core, interchange_275("NOBODY-ANNOUNCED", entity(PDF.read_bytes()), isa=402), PAYLOAD_275)
    ack = answer_file(reply, tmp_path / "999.x12")
    sets = [r for r in records(expect(core.run("x12", "parse", "--as", "999", str(ack), "-o", "jsonl"), 0).out)
            if r["record"] == "set"]
    assert len(sets) == 1 and sets[0]["status"] == "R", sets
    assert sets[0]["segments"][0]["segment_id"] == "TRN", json.dumps(sets[0])
    assert sets[0]["segments"][0]["elements"][0]["position"] == 2, json.dumps(sets[0])


def test_x12_parse_never_prints_a_bins_bytes(x12, tmp_path):  # noqa: F811
    secret = b"%PDF-1.4 PATIENT NOTE*~^:\x00\xff SECRET-CONTENT"
    path = tmp_path / "275.x12"
    path.write_bytes(interchange_275(CONTROL, secret))
    expect(x12.run("x12", "validate", str(path)), 0, "valid")
    for view in ("275", "segments"):
        for fmt in ("jsonl", "csv", "table"):
            out = expect(x12.run("x12", "parse", "--as", view, str(path), "-o", fmt), 0).out
            assert "SECRET-CONTENT" not in out, (view, fmt, out)
    [record] = records(expect(x12.run("x12", "parse", "--as", "275", str(path), "-o", "jsonl"), 0).out)
    assert record["size"] == len(secret) and record["content_type"] == "application/pdf", record
    assert record["sha256"] == hashlib.sha256(secret).hexdigest(), record


def test_x12_parse_save_attachments_writes_each_document(x12, tmp_path):  # noqa: F811
    document = b"%PDF-1.4 notes*~^:\x00\xff"
    path = tmp_path / "275.x12"
    path.write_bytes(interchange_275(CONTROL, document))
    out_dir = tmp_path / "docs"
    out_dir.mkdir()
    [record] = records(expect(x12.run("x12", "parse", "--as", "275", str(path), "--save-attachments",
                                      str(out_dir), "-o", "jsonl"), 0).out)
    saved = Path(record["saved_as"])
    assert saved.parent == out_dir and saved.name == f"1-{CONTROL}.pdf", record
    assert saved.read_bytes() == document
    assert saved.stat().st_mode & 0o077 == 0, oct(saved.stat().st_mode)
    # Not a directory, or not a 275 view: a usage error.
    expect(x12.run("x12", "parse", "--as", "275", str(path), "--save-attachments", str(tmp_path / "nope")), 2)
    expect(x12.run("x12", "parse", "--as", "segments", str(path), "--save-attachments", str(out_dir)), 2)
