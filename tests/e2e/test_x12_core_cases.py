"""submit-case over the x12-core wire (issue #15 item 3): each case is a 278 request for review sent
in real time over CAQH CORE, and the 278 response becomes the same case result as the JSON wire's
(order, status, ACMP number, the documents still required, the reasons of a refusal) and its
attachments follow as 275s; the
orders are the portal's own (search-orders lists them); a second run is answered from the same
orders; `x12 build 278` writes what the wire sends, and node-x12 parses it."""

from __future__ import annotations

import csv
import json
import subprocess
import time
from pathlib import Path

from conftest import PASSWORD, REPO, expect, first_order_id, make_active_user
from test_x12_cli import node_check
from test_x12_core import core, core_env  # noqa: F401

EXAMPLES = REPO / "examples"
CASES = EXAMPLES / "cases.yaml"


def rows_of(path: Path) -> dict:
    with path.open(newline="") as f:
        return {row["ref"]: row for row in csv.DictReader(f)}


def json_wire_office(sandbox_factory, cli_factory):
    """An office on a sandbox of its own: the same cases on one portal would be duplicates."""
    other = sandbox_factory()
    office = cli_factory(other)
    email = make_active_user(other, office)
    expect(office.login_email(email), 0)
    return office


def test_the_example_cases_over_core_get_the_json_wires_statuses(core, sandbox_factory, cli_factory,  # noqa: F811
                                                                 tmp_path):
    by_json, by_core = tmp_path / "json.csv", tmp_path / "core.csv"
    office = json_wire_office(sandbox_factory, cli_factory)
    expect(office.run("submit-case", "--batch", str(CASES), "--results", str(by_json)), 1)
    r = expect(core.run("submit-case", "--batch", str(CASES), "--results", str(by_core), env=core_env(core)), 1)
    assert "cases.yaml:130: ordering_npi" in r.err, r.describe()
    j, c = rows_of(by_json), rows_of(by_core)
    assert list(c) == list(j) == [f"case-{i:04d}" for i in range(1, 10)]
    for ref in j:
        assert c[ref]["outcome"] == j[ref]["outcome"], (ref, j[ref], c[ref])
        assert c[ref]["status"] == j[ref]["status"], (ref, j[ref], c[ref])
        assert c[ref]["documents_uploaded"] == j[ref]["documents_uploaded"], (ref, j[ref], c[ref])
        assert bool(c[ref]["acmp_number"]) == bool(j[ref]["acmp_number"]), (ref, j[ref], c[ref])
    assert c["case-0001"]["status"] == "approved" and c["case-0001"]["acmp_number"].startswith("ACMP")
    assert c["case-0005"]["status"] == "needs-documents" and "upload" in c["case-0005"]["next_step"]
    # The refusals name the same reasons.
    assert "solution_not_offered" in c["case-0007"]["message"], c["case-0007"]
    assert "member_not_eligible" in c["case-0008"]["message"], c["case-0008"]
    assert c["case-0009"]["outcome"] == "invalid" and "ordering_npi" in c["case-0009"]["errors"]
    # Attachments: announced in the 278 (PWK*77*EL), each sent as a 275 and attached to the order,
    # which then went from needs-documents to pended, as over the JSON wire.
    assert c["case-0003"]["status"] == "pended" and c["case-0003"]["documents_uploaded"] == "1", c["case-0003"]
    assert c["case-0004"]["status"] == "pended" and c["case-0004"]["documents_uploaded"] == "2", c["case-0004"]
    docs = [json.loads(line) for line in
            expect(core.run("search-orders", "--order-id", c["case-0004"]["order_id"], "-o", "jsonl", "--fields",
                            "documents"), 0).out.splitlines()]
    assert docs and len(docs[0]["documents"]) == 2, docs
    # The orders are the portal's: search-orders lists each with its status.
    for ref in ("case-0001", "case-0002", "case-0005", "case-0006"):
        order_id = c[ref]["order_id"]
        assert order_id.startswith("ORD-"), c[ref]
        listed = [json.loads(line) for line in
                  expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out.splitlines()]
        assert [o["status"] for o in listed] == [c[ref]["status"]], (ref, listed)

    # Again: each 278 carries the row's trace, and the payer answers it from the order it made.
    again = tmp_path / "again.csv"
    expect(core.run("submit-case", "--batch", str(CASES), "--results", str(again),
                    env=core_env(core)), 1)
    a = rows_of(again)
    for ref in ("case-0001", "case-0002", "case-0003", "case-0005", "case-0006"):
        assert a[ref]["order_id"] == c[ref]["order_id"], (ref, c[ref], a[ref])


def test_one_case_from_flags_over_core_prints_the_order(core):  # noqa: F811
    args = ["submit-case", "--health-plan", "acme-commercial", "--solution", "radiology",
            "--member-id", "ACM100234", "--first-name", "James", "--last-name", "Whitaker",
            "--dob", "1958-03-14", "--ordering-npi", "1234567893", "--servicing-npi", "1245319599",
            "--procedure", "70551:1", "--diagnosis", "R51.9", "--service-start", "2026-12-01",
            "--service-end", "2027-02-28", "--answer", "q1=yes", "--answer", "q2=8", "--answer", "q3=no",
            "-o", "json"]
    answer = expect(core.run(*args, env=core_env(core)), 0).json()
    assert answer["status"] == "approved" and answer["order_id"].startswith("ORD-"), answer
    assert answer["x12_action"] == "A1", answer
    # A member the payer does not know: rejected, the AAA in words, the field to fix.
    unknown = list(args)
    unknown[unknown.index("ACM100234")] = "ACM999999"
    r = core.run(*unknown, env=core_env(core))
    assert r.rc != 0 and "AAA 75" in r.err and "member_id" in r.err, r.describe()
    # What X12 cannot carry is refused before anything is sent.
    bad = list(args)
    bad[bad.index("q1=yes")] = "q1=yes;q9=no"
    r = expect(core.run(*bad, env=core_env(core)), 3)
    assert "answers.q1" in r.err and "MSG01" in r.err, r.describe()


def test_x12_build_278_writes_what_the_wire_sends_and_node_x12_parses_it(core, tmp_path):  # noqa: F811
    out = tmp_path / "cases.x12"
    r = expect(core.run("x12", "build", "278", "--batch", str(CASES), "-O", str(out), env=core_env(core)), 1)
    assert "8 278 transaction sets built, 1 invalid" in r.err, r.describe()
    expect(core.run("x12", "validate", str(out)), 0, "valid")
    p = node_check(out)
    assert p.returncode == 0 and "set 278 0008" in p.stdout, p.stdout + p.stderr
    parsed = [json.loads(line) for line in
              expect(core.run("x12", "parse", "--as", "278", str(out), "-o", "jsonl"), 0).out.splitlines()]
    assert len(parsed) == 8 and all(p["record"] == "request" for p in parsed), parsed
    first = parsed[0]
    assert first["member_id"] == "ACM100234" and first["category"] == "HS", first
    # The case's attachments are announced for an electronic 275 to follow.
    text = out.read_text()
    assert "PWK*77*EL***AC*" in text, text[:2000]


def test_cancel_case_over_core_is_a_278_cancellation(core, tmp_path):  # noqa: F811
    env = core_env(core)
    submit = ["submit-case", "--health-plan", "acme-commercial", "--solution", "cardiology",
              "--member-id", "ACM100418", "--first-name", "Maria", "--last-name", "Gonzalez",
              "--dob", "1984-07-22", "--ordering-npi", "1234567893", "--servicing-npi", "1245319599",
              "--procedure", "93306:1", "--diagnosis", "R07.9", "--service-start", "2026-12-01",
              "--service-end", "2026-12-31", "--answer", "q1=yes", "--answer", "q2=low", "--answer", "q3=no",
              "-o", "json"]
    pended = expect(core.run(*submit, env=env), 0).json()
    assert pended["status"] == "pended", pended
    order_id = pended["order_id"]
    member = ["--health-plan", "acme-commercial", "--member-id", "ACM100418", "--first-name", "Maria",
              "--last-name", "Gonzalez", "--dob", "1984-07-22", "--ordering-npi", "1234567893"]
    # The 278 names the member: without it nothing is sent, and the missing field is named.
    r = expect(core.run("cancel-case", order_id, "--reason", "no longer needed", env=env), 3)
    assert "member_id" in r.err and "2010" in r.err, r.describe()
    # Another member's order is refused: AAA 72 in the subscriber's loop, the field to fix named.
    other = list(member)
    other[other.index("ACM100418")] = "ACM100234"
    r = core.run("cancel-case", order_id, "--reason", "no longer needed", *other, env=env)
    assert r.rc == 6 and "member_id: AAA 72" in r.err, r.describe()
    cancelled = expect(core.run("cancel-case", order_id, "--reason", "no longer needed", *member,
                                "-o", "json", env=env), 0).json()
    assert cancelled["status"] == "cancelled" and cancelled["order_id"] == order_id, cancelled
    listed = [json.loads(line) for line in
              expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out.splitlines()]
    assert [o["status"] for o in listed] == ["cancelled"], listed
    assert listed[0]["cancel_reason"] == "no longer needed", listed[0]
    # A decided order cannot be cancelled: the payer's refusal is a rejected row.
    approved = expect(core.run(
        "submit-case", "--health-plan", "acme-commercial", "--solution", "radiology", "--member-id", "ACM100234",
        "--first-name", "James", "--last-name", "Whitaker", "--dob", "1958-03-14", "--ordering-npi", "1234567893",
        "--servicing-npi", "1245319599", "--procedure", "70551:1", "--diagnosis", "R51.9", "--service-start",
        "2026-12-01", "--service-end", "2027-02-28", "--answer", "q1=yes", "--answer", "q2=8", "--answer", "q3=no",
        "-o", "json", env=env), 0).json()
    assert approved["status"] == "approved", approved
    r = core.run("cancel-case", approved["order_id"], "--reason", "no longer needed", "--health-plan",
                 "acme-commercial", "--member-id", "ACM100234", "--first-name", "James", "--last-name",
                 "Whitaker", "--dob", "1958-03-14", "--ordering-npi", "1234567893", env=env)
    assert r.rc == 6 and "invalid_state" in r.err, r.describe()


def test_an_attachment_no_275_can_carry_is_refused_before_the_278(core, tmp_path):  # noqa: F811
    big = tmp_path / "scan.pdf"
    with big.open("wb") as f:
        f.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        f.truncate(49 << 20)  # sparse: 49 MiB, more than a 275's BIN holds in base64
    args = ["submit-case", "--health-plan", "acme-commercial", "--solution", "radiology",
            "--member-id", "ACM100552", "--first-name", "Robert", "--last-name", "Chen",
            "--dob", "1971-11-05", "--ordering-npi", "1234567893", "--servicing-npi", "1245319599",
            "--procedure", "72148:1", "--diagnosis", "M54.16", "--service-start", "2026-12-01",
            "--service-end", "2027-02-28", "--answer", "q1=no", "--answer", "q2=8", "--answer", "q3=no",
            "--attach", str(big)]
    r = expect(core.run(*args, env=core_env(core)), 3)
    assert "attachments[0]" in r.err and "48 MiB" in r.err, r.describe()
    listed = expect(core.run("search-orders", "--member-id", "ACM100552", "--dob", "1971-11-05", "-o", "jsonl"), 0)
    assert listed.out.strip() == "", listed.out  # no order was made


def test_update_case_over_core_is_a_278_revision(core):  # noqa: F811
    env = core_env(core)
    pended = expect(core.run(
        "submit-case", "--health-plan", "acme-commercial", "--solution", "cardiology", "--member-id", "ACM100418",
        "--first-name", "Maria", "--last-name", "Gonzalez", "--dob", "1984-07-22", "--ordering-npi", "1234567893",
        "--servicing-npi", "1245319599", "--procedure", "93306:1", "--diagnosis", "R07.9", "--service-start",
        "2026-12-01", "--service-end", "2026-12-31", "--answer", "q1=yes", "--answer", "q2=low", "--answer", "q3=no",
        "-o", "json", env=env), 0).json()
    assert pended["status"] == "pended", pended
    order_id = pended["order_id"]
    member = ["--health-plan", "acme-commercial", "--member-id", "ACM100418", "--first-name", "Maria",
              "--last-name", "Gonzalez", "--dob", "1984-07-22", "--ordering-npi", "1234567893"]
    update = ["update-case", order_id, "--units", "93306:2", "--end-date", "2027-01-31", "--diagnosis", "R07.89"]
    r = expect(core.run(*update, env=env), 3)
    assert "member_id" in r.err and "revision" in r.err, r.describe()
    revised = expect(core.run(*update, *member, "-o", "json", env=env), 0).json()
    assert revised["order_id"] == order_id and revised["status"] == "pended", revised
    listed = [json.loads(line) for line in
              expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out.splitlines()]
    order = listed[0]
    assert order["revision"] == 1 and order["service_end"] == "2027-01-31", order
    assert [(p["code"], p["units"]) for p in order["procedures"]] == [("93306", 3)], order
    assert "R07.89" in order["diagnoses"], order
    # The same revision again is answered from the order: nothing is added twice.
    expect(core.run(*update, *member, env=env), 0)
    again = json.loads(expect(core.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0).out.splitlines()[0])
    assert again["revision"] == 1 and again["procedures"][0]["units"] == 3, again


CARDIOLOGY = ["submit-case", "--health-plan", "acme-commercial", "--solution", "cardiology",
              "--member-id", "ACM100418", "--first-name", "Maria", "--last-name", "Gonzalez",
              "--dob", "1984-07-22", "--ordering-npi", "1234567893", "--servicing-npi", "1245319599",
              "--procedure", "93306:1", "--diagnosis", "R07.9", "--service-start", "2026-12-01",
              "--service-end", "2026-12-31", "--answer", "q1=yes", "--answer", "q2=low", "--answer", "q3=no",
              "--wait-decision", "-o", "json"]


def orders_of(cli) -> list[dict]:
    return [json.loads(line) for line in expect(cli.run("search-orders", "-o", "jsonl"), 0).out.splitlines()]


def test_wait_decision_over_core_asks_with_the_same_278_until_decided(core, sandbox):  # noqa: F811
    """--wait-decision over x12-core: the case's own 278 sent again (same trace) is answered with the
    order as it stands, until the payer decides; nothing is submitted twice."""
    proc = subprocess.Popen([str(core.binary), *CARDIOLOGY, "--max-wait", "60s"],
                            env=core.env(core_env(core)), cwd=core.home / "work", stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        order_id = first_order_id(core)
        assert order_id, "the case was never submitted"
        time.sleep(1.5)
        assert proc.poll() is None, "returned before the decision"
        sandbox.admin("decide", order_id, "approve")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    decided = json.loads(out)
    assert decided["order_id"] == order_id and decided["status"] == "approved", decided
    assert decided["x12_action"] == "A1", decided
    assert [o["order_id"] for o in orders_of(core)] == [order_id]


def test_wait_decision_over_core_times_out_with_7_then_resumes_on_the_same_order(core, sandbox):  # noqa: F811
    env = core_env(core)
    r = expect(core.run(*CARDIOLOGY, "--max-wait", "2s", env=env), 7, "still pended", "run the same command")
    pended = r.json()
    assert pended["status"] == "pended" and pended["order_id"].startswith("ORD-"), pended
    sandbox.admin("decide", pended["order_id"], "deny")
    done = expect(core.run(*CARDIOLOGY, "--max-wait", "60s", env=env), 0).json()
    assert done["order_id"] == pended["order_id"] and done["status"] == "denied", done
    assert [o["order_id"] for o in orders_of(core)] == [pended["order_id"]]
