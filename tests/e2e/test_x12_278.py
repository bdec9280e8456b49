"""Prior authorization over X12 278 (005010X217, issue #15 item 3): the guide's examples and the
278s the sandbox writes are read by `x12 validate` and `x12 parse --as 278` and parsed strictly by
node-x12; the sandbox's CORE endpoint answers a 278 request from the same adjudication as its
JSON API (the order it makes is the one `search-orders` lists), and a 278 that breaks the guide
gets a 999 naming the segment and element. (`submit-case` over the X12 wires is not built yet.)"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, expect
from test_x12_cli import node_check
from test_x12_core import RECEIVER, SENDER, core  # noqa: F401
from test_x12_tools import answer_file, core_post, records, x12  # noqa: F401

GUIDE = REPO / "tests" / "data" / "x12" / "guide"
REQUEST_1A = GUIDE / "x217_278_example1a_request.x12"
RESPONSE_1B = GUIDE / "x217_278_example1b_response.x12"
PAYLOAD_TYPE = "X12_278_Request_005010X217E1_2"

# examples/cases.yaml's case-0001 (radiology, approved at once with an ACMP number) and case-0002
# (cardiology, pended), as the segments of one 278 request each (docs/core.md, section 9).
CASES = {
    "CASE0001": [
        "BHT*0007*13*CASE0001*20261117*1500",
        "HL*1**20*1", "NM1*X3*2*ACME HEALTH*****PI*ACMEC",
        "HL*2*1*21*1", "NM1*1P*2*ORDERING PRACTICE*****XX*1234567893",
        "HL*3*2*22*1", "NM1*IL*1*WHITAKER*JAMES****MI*ACM100234", "DMG*D8*19580314",
        "HL*4*3*EV*1", "TRN*1*E2E278CASE0001*9PROVPORTL", "UM*HS*I", "DTP*AAH*RD8*20261201-20270228",
        "HI*ABK:R519*ABF:G44209", "MSG*solution=radiology;q1=yes;q2=8;q3=no",
        "NM1*SJ*2*SERVICING PROVIDER*****XX*1245319599",
        "HL*5*4*SS*0", "UM*HS*I", "SV1*HC:70551**UN*1",
        "MSG*Daily headaches for two months despite medication and physical therapy.",
    ],
    "CASE0002": [
        "BHT*0007*13*CASE0002*20261117*1500",
        "HL*1**20*1", "NM1*X3*2*ACME HEALTH*****PI*ACMEC",
        "HL*2*1*21*1", "NM1*1P*2*ORDERING PRACTICE*****XX*1234567893",
        "HL*3*2*22*1", "NM1*IL*1*GONZALEZ*MARIA****MI*ACM100418", "DMG*D8*19840722",
        "HL*4*3*EV*1", "TRN*1*E2E278CASE0002*9PROVPORTL", "UM*HS*I", "DTP*AAH*RD8*20261201-20261231",
        "HI*ABK:R079", "MSG*solution=cardiology;q1=yes;q2=low;q3=no",
        "NM1*SJ*2*SERVICING PROVIDER*****XX*1245319599",
        "HL*5*4*SS*0", "UM*HS*I", "SV1*HC:93306**UN*1",
    ],
}


def interchange(sets: list[list[str]], control: int = 301) -> str:
    """One ISA/GS HI 005010X217 interchange holding `sets` (each the segments between ST and SE)."""
    out = [f"ISA*00*          *00*          *ZZ*{SENDER:<15}*ZZ*{RECEIVER:<15}*261117*1500*^*00501*"
           f"{control:09d}*0*T*:",
           f"GS*HI*{SENDER}*{RECEIVER}*20261117*1500*{control}*X*005010X217"]
    for i, body in enumerate(sets, start=1):
        out.append(f"ST*278*{i:04d}*005010X217")
        out.extend(body)
        out.append(f"SE*{len(body) + 2}*{i:04d}")
    out += [f"GE*{len(sets)}*{control}", f"IEA*1*{control:09d}"]
    return "~\n".join(out) + "~\n"


def test_the_x217_examples_validate_parse_and_pass_node_x12(x12):  # noqa: F811
    for path in (REQUEST_1A, RESPONSE_1B):
        expect(x12.run("x12", "validate", str(path)), 0, "valid")
        p = node_check(path)
        assert p.returncode == 0 and "set 278 0001" in p.stdout, p.stdout + p.stderr
    request = records(expect(x12.run("x12", "parse", str(REQUEST_1A), "-o", "jsonl"), 0).out)
    assert len(request) == 1, request
    assert request[0]["record"] == "request" and request[0]["trace"] == "111099", request[0]
    assert request[0]["category"] == "SC" and request[0]["member_id"] == "12345678901", request[0]
    response = records(expect(x12.run("x12", "parse", "--as", "278", str(RESPONSE_1B), "-o", "jsonl",
                                      "--fields", "trace,action,action_text,certification_number"), 0).out)
    assert response == [{"trace": "111099", "action": "A1", "action_text": "certified in total",
                         "certification_number": "AUTH0001"}], response


def test_a_278_that_breaks_the_guide_is_a_finding_naming_the_segment_and_element(x12, tmp_path):  # noqa: F811
    bad = tmp_path / "bad.x12"
    bad.write_text(REQUEST_1A.read_text().replace("UM*SC*I*", "UM*SC*Z*"))
    out = expect(x12.run("x12", "validate", str(bad)), 3).out
    assert "(UM, loop 2000E) element 2" in out, out
    # An HCR belongs to a response: in a request (BHT02 13) it is named too.
    mixed = tmp_path / "mixed.x12"
    mixed.write_text(RESPONSE_1B.read_text().replace("BHT*0007*11*A12345*20050502*1102*18",
                                                     "BHT*0007*13*A12345*20050502*1102"))
    out = expect(x12.run("x12", "validate", str(mixed)), 3).out
    assert "HCR" in out, out


def test_the_sandbox_answers_a_278_from_the_json_apis_adjudication(core, tmp_path):  # noqa: F811
    request = tmp_path / "request.x12"
    request.write_text(interchange(list(CASES.values())))
    expect(core.run("x12", "validate", str(request)), 0)
    answer = answer_file(core_post(core.sandbox, core.email, request.read_text(), PAYLOAD_TYPE),
                         tmp_path / "answer.x12")
    expect(core.run("x12", "validate", str(answer)), 0)
    for path in (request, answer):
        p = node_check(path)
        assert p.returncode == 0 and "set 278 0002" in p.stdout, p.stdout + p.stderr
    parsed = {r["trace"]: r for r in records(expect(core.run("x12", "parse", str(answer), "-o", "jsonl"), 0).out)}
    approved, pended = parsed["E2E278CASE0001"], parsed["E2E278CASE0002"]
    assert approved["record"] == "response" and approved["action"] == "A1", approved
    assert pended["action"] == "A4", pended
    # The orders are the JSON API's, as search-orders lists them.
    for answered, status in ((approved, "approved"), (pended, "pended")):
        order_id = answered["certification_number"]
        listed = records(expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out)
        assert [o["status"] for o in listed] == [status], (order_id, listed)
        if status == "approved":
            assert listed[0]["acmp_number"], listed[0]
    # The same request again is answered from the same orders.
    again = answer_file(core_post(core.sandbox, core.email, request.read_text(), PAYLOAD_TYPE),
                        tmp_path / "again.x12")
    repeated = {r["trace"]: r["certification_number"]
                for r in records(expect(core.run("x12", "parse", str(again), "-o", "jsonl"), 0).out)}
    assert repeated == {t: r["certification_number"] for t, r in parsed.items()}, repeated


def test_a_278_that_breaks_the_guide_gets_a_999_naming_the_segment(core, tmp_path):  # noqa: F811
    body = [s.replace("UM*HS*I", "UM*HS*Z") if s.startswith("UM*HS*I") and i == 10 else s
            for i, s in enumerate(CASES["CASE0001"])]
    reply = core_post(core.sandbox, core.email, interchange([body], control=302), PAYLOAD_TYPE)
    assert reply["PayloadType"] == "X12_999_Response_005010X231A1", reply
    ack = answer_file(reply, tmp_path / "999.x12")
    sets = [r for r in records(expect(core.run("x12", "parse", "--as", "999", str(ack), "-o", "jsonl"), 0).out)
            if r["record"] == "set"]
    assert len(sets) == 1 and sets[0]["status"] == "R", sets
    assert sets[0]["segments"][0]["segment_id"] == "UM", json.dumps(sets[0])
    assert sets[0]["segments"][0]["elements"][0]["position"] == 2, json.dumps(sets[0])
    listed = records(expect(core.run("search-orders", "--member-id", "ACM100234", "--dob", "1958-03-14",
                                     "-o", "jsonl"), 0).out)
    assert listed == [], listed
