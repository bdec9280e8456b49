"""Prior authorization from the client's side, end to end: submit-case (flags, files, batches),
documents uploaded in the same run, upload-docs refusals, search-orders with pagination and
letters, organisations kept apart, and a killed batch resumed with no case lost or doubled."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


from conftest import PASSWORD, REPO, api, expect, unique_email

EXAMPLES = REPO / "examples"
DOCS = EXAMPLES / "documents"
OTHER_ORG_NPI = "1245319599"  # a second organisation (not the office's)

CASE_FLAGS = [
    "--health-plan", "acme-commercial", "--solution", "radiology", "--member-id", "ACM100234",
    "--first-name", "James", "--last-name", "Whitaker", "--dob", "1958-03-14",
    "--ordering-npi", "1234567893", "--servicing-npi", "1245319599", "--procedure", "70551:1",
    "--diagnosis", "R51.9", "--service-start", "2026-12-01", "--service-end", "2027-02-28",
]


def case_flags(**changes: str) -> list[str]:
    """CASE_FLAGS with some values changed: case_flags(solution="dmepos")."""
    out = list(CASE_FLAGS)
    for name, value in changes.items():
        out[out.index("--" + name.replace("_", "-")) + 1] = value
    return out


def read_results(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    return [json.loads(line) for line in path.read_text().splitlines()]


def token_of(cli) -> str:
    return json.loads(cli.session_file().read_text())["token"]


def order(cli, order_id: str) -> dict:
    r = expect(cli.run("search-orders", "--order-id", order_id, "-o", "jsonl"), 0)
    lines = r.out.splitlines()
    assert len(lines) == 1, r.describe()
    return json.loads(lines[0])


def needs_documents_case(cli, *extra: str) -> dict:
    """A sleep case the sandbox answers needs-documents (clinical notes) for."""
    args = ["submit-case", "--health-plan", "acme-commercial", "--solution", "sleep",
            "--member-id", "ACM101296", "--first-name", "José Ángel", "--last-name", "Núñez",
            "--dob", "1976-08-19", "--ordering-npi", "1234567893", "--servicing-npi", "1245319599",
            "--procedure", "95810:1", "--diagnosis", "G47.33", "--service-start", "2026-12-01",
            "--service-end", "2026-12-31", "--answer", "q1=14", "--answer", "q2=no", "-o", "json", *extra]
    return expect(cli.run(*args), 0).json()


def write_cases(path: Path, n: int, prefix: str = "bulk") -> Path:
    """n radiology cases the sandbox approves at once (so none is a duplicate of an open one).

    They repeat one member, codes and dates, which the portal refuses after the first approval
    (duplicate_order), so each says it is new (not_duplicate, with a reason)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ref", "health_plan", "solution", "member_id", "first_name", "last_name", "date_of_birth",
                    "ordering_npi", "servicing_npi", "procedures", "diagnoses", "service_start", "service_end",
                    "answers.q1", "answers.q2", "answers.q3", "not_duplicate", "additional_info"])
        for i in range(n):
            w.writerow([f"{prefix}-{i:05d}", "acme-commercial", "radiology", "ACM100234", "James", "Whitaker",
                        "1958-03-14", "1234567893", "1245319599", "70551:1;70553:1", "R51.9;G44.209",
                        "2026-12-01", "2027-02-28", "yes", str(6 + i % 5), "no", "true",
                        f"test case {prefix}-{i:05d}, not a resubmission"])
    return path


# ---- submit-case ------------------------------------------------------------------------------


def test_example_batch_gives_every_status_and_uploads_attachments(office, tmp_path):
    results = tmp_path / "results.csv"
    r = office.run("submit-case", "--batch", str(EXAMPLES / "cases.yaml"), "--results", str(results))
    expect(r, 1)  # two rows are rejected and one is invalid
    rows = {row["ref"]: row for row in read_results(results)}
    assert list(rows) == [f"case-{i:04d}" for i in range(1, 10)], "one result per row, in order"
    assert rows["case-0001"]["status"] == "approved" and rows["case-0001"]["acmp_number"].startswith("ACMP")
    assert rows["case-0002"]["status"] == "pended"
    # needs-documents with attachments: uploaded in the same run, then pended.
    assert rows["case-0003"]["status"] == "pended" and rows["case-0003"]["documents_uploaded"] == "1", rows["case-0003"]
    assert rows["case-0004"]["status"] == "pended" and rows["case-0004"]["documents_uploaded"] == "2", rows["case-0004"]
    assert rows["case-0005"]["status"] == "needs-documents" and rows["case-0005"]["documents_uploaded"] == "0"
    assert "upload" in rows["case-0005"]["next_step"]
    assert rows["case-0006"]["status"] == "approved"
    assert rows["case-0007"]["outcome"] == "rejected" and "solution_not_offered" in rows["case-0007"]["message"]
    assert rows["case-0008"]["outcome"] == "rejected" and "member_not_eligible" in rows["case-0008"]["message"]
    assert rows["case-0009"]["outcome"] == "invalid" and "ordering_npi" in rows["case-0009"]["errors"]
    assert "cases.yaml:130: ordering_npi" in r.err, r.describe()
    for ref in ("case-0001", "case-0002", "case-0003"):
        assert rows[ref]["order_id"].startswith("ORD-")
    docs = order(office, rows["case-0003"]["order_id"])["documents"]
    assert [d["document_type"] for d in docs] == ["clinical_notes"] and docs[0]["filename"] == "clinical-notes.pdf"

    # Run again: every created case is replayed by the portal, not submitted twice.
    again = tmp_path / "again.csv"
    expect(office.run("submit-case", "--batch", str(EXAMPLES / "cases.yaml"), "--results", str(again)), 1)
    rows2 = {row["ref"]: row for row in read_results(again)}
    for ref in ("case-0001", "case-0002", "case-0003", "case-0004", "case-0005", "case-0006"):
        assert rows2[ref]["order_id"] == rows[ref]["order_id"], ref


def test_csv_cases_with_nested_columns(office, tmp_path):
    batch = tmp_path / "cases.csv"
    shutil.copy(EXAMPLES / "cases.csv", batch)
    (tmp_path / "documents").mkdir()
    shutil.copy(DOCS / "imaging-report.pdf", tmp_path / "documents" / "imaging-report.pdf")
    results = tmp_path / "results.jsonl"
    r = expect(office.run("submit-case", "--batch", str(batch), "--results", str(results)), 1)
    rows = read_results(results)
    assert rows[0]["outcome"] == "ok" and rows[0]["answer"]["status"] == "approved"
    assert [(p["code"], p["units"]) for p in rows[0]["answer"]["procedures"]] == [("70553", 1)]
    assert rows[1]["outcome"] == "ok" and rows[1]["answer"]["status"] == "pended", rows[1]
    assert rows[1]["answer"]["documents_uploaded"] == 1
    assert rows[2]["outcome"] == "invalid" and "service_end" in json.dumps(rows[2]["errors"])
    assert "cases.csv:4: service_end" in r.err


def test_one_case_from_flags_each_outcome(office, sandbox, tmp_path):
    approved = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--answer", "q2=8",
                                 "--answer", "q3=no", "-o", "json"), 0).json()
    assert approved["status"] == "approved" and approved["order_id"].startswith("ORD-")
    assert approved["acmp_number"].startswith("ACMP")

    # (Other dates: with the approved order's dates it would be a duplicate_order.)
    pended = expect(office.run("submit-case", *case_flags(service_start="2027-03-01", service_end="2027-05-31"),
                               "--answer", "q1=yes", "--answer", "q2=3",
                               "--answer", "q3=no", "--ref", "pend-1", "-o", "json"), 0).json()
    assert pended["status"] == "pended"

    # The same open case again is a duplicate the portal refuses, naming the open order.
    dup = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--answer", "q2=4",
                            "--answer", "q3=no"), 6, "duplicate_case")
    assert pended["order_id"] in dup.err

    # A case the portal rejects: exit 6, each reason named.
    r = expect(office.run("submit-case", *case_flags(solution="dmepos"), "--answer", "q1=yes", "--answer", "q2=yes"), 6, "solution_not_offered")
    assert "rejected" in r.err

    # needs-documents with --attach: uploaded in the same run, then pended.
    attached = needs_documents_case(office, "--attach", str(DOCS / "clinical-notes.pdf"))
    assert attached["status"] == "pended" and attached["documents_uploaded"] == 1

    # From a case file, with its attachment relative to the file.
    case_file = tmp_path / "case.json"
    (tmp_path / "notes.pdf").write_bytes((DOCS / "clinical-notes.pdf").read_bytes())
    case_file.write_text(json.dumps({
        "health_plan": "acme-commercial", "solution": "musculoskeletal",
        "member_id": "ACM100552", "first_name": "Robert", "last_name": "Chen", "date_of_birth": "1971-11-05",
        "ordering_npi": "1234567893", "servicing_npi": "1245319599",
        "procedures": [{"code": "63030", "units": 1}], "diagnoses": ["M51.26"],
        "service_start": "2026-12-01", "service_end": "2027-03-31",
        "answers": {"q1": True, "q2": False, "q3": 8}, "attachments": ["notes.pdf"]}))
    from_file = expect(office.run("submit-case", "--case-file", str(case_file), "-o", "json"), 0).json()
    assert from_file["status"] == "pended" and from_file["documents_uploaded"] == 1


def test_a_repeated_case_after_approval_is_a_duplicate_order(office, sandbox, tmp_path):
    # Issue #13, item 9: the same member, procedure codes and dates as an approved order.
    answers = ["--answer", "q1=yes", "--answer", "q2=8", "--answer", "q3=no"]
    first = expect(office.run("submit-case", *CASE_FLAGS, *answers, "--ref", "first", "-o", "json"), 0).json()
    assert first["status"] == "approved"

    # Another ref (so not an idempotent replay), other answers: still the same service.
    r = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--answer", "q2=9", "--answer", "q3=no",
                          "--ref", "again"), 6, "duplicate", first["order_id"], "--not-duplicate")
    assert r.out == "", r.describe()
    member = ["search-orders", "--member-id", "ACM100234", "--dob", "1958-03-14", "-o", "json"]
    assert [o["order_id"] for o in expect(office.run(*member), 0).json()] == [first["order_id"]]

    # The portal's answer: 409 duplicate_order naming the order.
    token = token_of(office)
    body = {"health_plan": "acme-commercial", "solution": "radiology", "member_id": "acm100234",
            "first_name": "James", "last_name": "Whitaker", "date_of_birth": "1958-03-14",
            "ordering_npi": "1234567893", "servicing_npi": "1245319599",
            "procedures": [{"code": "70551", "units": 2}], "diagnoses": ["R51.9"],
            "service_start": "2026-12-01", "service_end": "2027-02-28",
            "answers": {"q1": True, "q2": 8, "q3": False}}
    a = api(sandbox, "POST", "/v1/cases", body, token=token)
    assert a.status == 409 and a.body["error"]["code"] == "duplicate_order", a
    assert a.body["error"]["existing_order_id"] == first["order_id"], a

    # In a batch: the row is rejected with the existing order's ID in its result.
    batch = tmp_path / "cases.csv"
    batch.write_text(
        "ref,health_plan,solution,member_id,first_name,last_name,date_of_birth,ordering_npi,servicing_npi,"
        "procedures,diagnoses,service_start,service_end,answers.q1,answers.q2,answers.q3\n"
        "dup-1,acme-commercial,radiology,ACM100234,James,Whitaker,1958-03-14,1234567893,1245319599,"
        "70551:1,R51.9,2026-12-01,2027-02-28,yes,8,no\n"
        "new-1,acme-commercial,radiology,ACM100234,James,Whitaker,1958-03-14,1234567893,1245319599,"
        "70551:1,R51.9,2027-06-01,2027-08-31,yes,8,no\n")
    results = tmp_path / "results.csv"
    expect(office.run("submit-case", "--batch", str(batch), "--results", str(results)), 1)
    rows = {row["ref"]: row for row in read_results(results)}
    assert rows["dup-1"]["outcome"] == "rejected" and rows["dup-1"]["code"] == "duplicate_order", rows["dup-1"]
    assert rows["dup-1"]["existing_order_id"] == first["order_id"], rows["dup-1"]
    assert rows["new-1"]["outcome"] == "ok" and rows["new-1"]["status"] == "approved", rows["new-1"]

    # A case that really is new says so, with its reason; without one nothing is sent.
    expect(office.run("submit-case", *CASE_FLAGS, *answers, "--ref", "again-2", "--not-duplicate"), 3,
           "additional_info")
    second = expect(office.run("submit-case", *CASE_FLAGS, *answers, "--ref", "again-3", "--not-duplicate",
                               "--additional-info", "Repeat MRI ordered after a new head injury on 2026-11-20.",
                               "-o", "json"), 0).json()
    assert second["status"] == "approved" and second["order_id"] != first["order_id"]
    assert len(expect(office.run(*member), 0).json()) == 3


def test_a_bad_case_is_refused_before_sending(office, tmp_path):
    info = tmp_path / "info.txt"
    info.write_text("x" * 2001)
    r = expect(office.run("submit-case", *case_flags(ordering_npi="1234567890", diagnosis="m54"),
                          "--answer", "q1=yes", "--additional-info-file", str(info),
                          "--attach", str(DOCS / "not-really-a.pdf")), 3, "nothing was sent")
    for needle in ("ordering_npi", "diagnoses[0]"):
        assert needle in r.err, r.describe()
    # The limit is the solution's, as the portal announced it: checked once the schema's pass.
    r = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--additional-info-file", str(info)),
               3, "nothing was sent")
    for needle in ("additional_info", "at most 2000 for the radiology solution"):
        assert needle in r.err, r.describe()
    r = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes",
                          "--attach", str(DOCS / "not-really-a.pdf")), 3, "attachments[0]", "text/plain")
    assert expect(office.run("search-orders", "-o", "jsonl"), 0).out == "", "nothing reached the portal"


# ---- upload-docs ------------------------------------------------------------------------------


def test_upload_docs_streams_files_and_refuses_bad_ones_before_sending(office, tmp_path):
    order_id = needs_documents_case(office)["order_id"]

    fake = expect(office.run("upload-docs", order_id, str(DOCS / "not-really-a.pdf"), "--document-type",
                             "clinical_notes"), 3, "text/plain", "not-really-a.pdf")
    assert "nothing was sent" in fake.err

    link = tmp_path / "link.pdf"
    link.symlink_to(DOCS / "clinical-notes.pdf")
    expect(office.run("upload-docs", order_id, str(link), "--document-type", "clinical_notes"), 3, "symbolic link")

    huge = tmp_path / "huge.pdf"  # sparse: 1 byte over the portal's limit, a PDF by its first bytes
    with huge.open("wb") as f:
        f.write(b"%PDF-1.4\n")
        f.truncate(256 * 1024 * 1024 + 1)
    expect(office.run("upload-docs", order_id, str(huge), "--document-type", "clinical_notes"), 3, "too large", "268435456")
    assert order(office, order_id)["documents"] == [], "nothing was uploaded"

    # A path with ../ in it: only the file's own name reaches the portal.
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    shutil.copy(DOCS / "clinical-notes.pdf", tmp_path / "a" / "visit-notes.pdf")
    up = expect(office.run("upload-docs", order_id, str(nested / ".." / "visit-notes.pdf"), "--document-type",
                           "clinical_notes", "-o", "json"), 0).json()
    assert up["order_status"] == "pended" and up["sha256"] and up["content_type"] == "application/pdf"
    after = order(office, order_id)
    assert after["status"] == "pended"
    assert [d["filename"] for d in after["documents"]] == ["visit-notes.pdf"]

    # The same content again is not stored twice; PNG and TIFF are accepted.
    expect(office.run("upload-docs", order_id, str(tmp_path / "a" / "visit-notes.pdf"), "--document-type",
                      "clinical_notes"), 0)
    both = expect(office.run("upload-docs", order_id, str(DOCS / "wound-photo.png"), str(DOCS / "lab-result.tiff"),
                             "--document-type", "other", "-o", "json"), 0).json()
    assert [d["content_type"] for d in both] == ["image/png", "image/tiff"]
    assert len(order(office, order_id)["documents"]) == 3

    expect(office.run("upload-docs", "ORD-00000000", str(DOCS / "clinical-notes.pdf"), "--document-type", "other"),
           6, "no order")


def test_upload_docs_manifest_batch(office, tmp_path):
    order_id = needs_documents_case(office)["order_id"]
    shutil.copy(DOCS / "clinical-notes.pdf", tmp_path / "notes.pdf")
    (tmp_path / "fake.pdf").write_text("text\n")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("ref,order_id,file,document_type,description\n"
                        f"d1,{order_id},notes.pdf,clinical_notes,Office visit notes\n"
                        f"d2,{order_id},fake.pdf,other,\n"
                        f"d3,ORD-00000000,notes.pdf,other,\n")
    results = tmp_path / "up.csv"
    r = expect(office.run("upload-docs", "--batch", str(manifest), "--results", str(results)), 1)
    rows = read_results(results)
    assert [row["outcome"] for row in rows] == ["ok", "invalid", "rejected"], rows
    assert rows[0]["order_status"] == "pended"
    assert "manifest.csv:3: file" in r.err
    assert rows[2]["code"] == "not_found"


# ---- search-orders and letters ----------------------------------------------------------------


def test_search_by_order_acmp_member_and_letters(office, sandbox, tmp_path):
    a = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--answer", "q2=8",
                          "--answer", "q3=no", "-o", "json"), 0).json()
    p = needs_documents_case(office, "--attach", str(DOCS / "clinical-notes.pdf"))
    assert order(office, a["order_id"])["order_id"] == a["order_id"]
    by_acmp = expect(office.run("search-orders", "--acmp-number", a["acmp_number"], "-o", "json"), 0).json()
    assert [o["order_id"] for o in by_acmp] == [a["order_id"]]
    member = expect(office.run("search-orders", "--member-id", "ACM100234", "--dob", "1958-03-14", "-o", "json"), 0).json()
    assert [o["order_id"] for o in member] == [a["order_id"]]
    expect(office.run("search-orders", "--member-id", "ACM100234"), 2, "--date-of-birth")
    table = expect(office.run("search-orders", "-o", "table"), 0).out
    assert a["order_id"] in table and p["order_id"] in table
    csv_out = expect(office.run("search-orders", "-o", "csv"), 0).out.splitlines()
    assert csv_out[0].startswith("order_id,acmp_number,status") and len(csv_out) == 3

    sandbox.admin("decide", p["order_id"], "deny")
    letters = tmp_path / "letters"
    r = expect(office.run("search-orders", "--download-letters", str(letters), "-o", "jsonl"), 0)
    files = sorted(letters.glob("*.pdf"))
    assert len(files) == 2, r.describe()  # the approval's and the denial's
    assert any(f.name.startswith(p["order_id"] + "-") for f in files)
    for f in files:
        info = subprocess.run(["pdfinfo", str(f)], capture_output=True, text=True)
        assert info.returncode == 0, info.stderr
    assert not list(letters.glob("*.part"))
    again = expect(office.run("search-orders", "--download-letters", str(letters), "-o", "jsonl"), 0)
    assert "2 already there" in again.err, again.describe()


def test_order_id_and_acmp_number_match_in_any_case_and_nothing_found_is_said(office):
    # Issue #13, item 6: identifiers normalised as member IDs are; an empty search says so.
    a = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--answer", "q2=8",
                          "--answer", "q3=no", "-o", "json"), 0).json()
    assert a["acmp_number"].startswith("ACMP")
    by_id = expect(office.run("search-orders", "--order-id", a["order_id"].lower(), "-o", "json"), 0)
    assert [o["order_id"] for o in by_id.json()] == [a["order_id"]], by_id.describe()
    assert "no orders" not in by_id.err.lower(), by_id.describe()
    by_acmp = expect(office.run("search-orders", "--acmp-number", a["acmp_number"].lower(), "-o", "json"), 0)
    assert [o["order_id"] for o in by_acmp.json()] == [a["order_id"]], by_acmp.describe()
    # The order itself too (upload-docs and the order's page take it in any case).
    up = expect(office.run("upload-docs", a["order_id"].lower(), str(DOCS / "clinical-notes.pdf"),
                           "--document-type", "clinical_notes", "-o", "json"), 0)
    assert order(office, a["order_id"])["documents"][0]["document_type"] == "clinical_notes", up.describe()

    none = expect(office.run("search-orders", "--acmp-number", "acmp000000000", "-o", "json"), 0,
                  "no orders found", "ACMP000000000")
    assert none.json() == [], none.describe()
    quiet = expect(office.run("search-orders", "--order-id", "ORD-00000000", "-o", "jsonl", "--quiet"), 0)
    assert quiet.out == "" and quiet.err == "", quiet.describe()


def test_attachments_are_uploaded_when_the_case_is_approved_at_once(office):
    # Issue #13, item 7: --attach is never dropped, whatever the status.
    a = expect(office.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--answer", "q2=8",
                          "--answer", "q3=no", "--attach", str(DOCS / "imaging-report.pdf"), "-o", "json"), 0).json()
    assert a["status"] == "approved", a
    assert a["documents_uploaded"] == 1, a
    docs = order(office, a["order_id"])["documents"]
    assert [d["filename"] for d in docs] == ["imaging-report.pdf"], docs


def test_pagination_and_limit(office, tmp_path):
    batch = write_cases(tmp_path / "many.csv", 130)
    expect(office.run("submit-case", "--batch", str(batch), "--concurrency", "8", "--results",
                      str(tmp_path / "r.jsonl")), 0)
    every = expect(office.run("search-orders", "-o", "jsonl"), 0).out.splitlines()
    assert len(every) == 130 and len({json.loads(l)["order_id"] for l in every}) == 130
    as_json = expect(office.run("search-orders", "-o", "json"), 0).json()
    assert len(as_json) == 130
    assert len(expect(office.run("search-orders", "--limit", "5", "-o", "json"), 0).json()) == 5
    assert len(expect(office.run("search-orders", "--limit", "105", "-o", "jsonl"), 0).out.splitlines()) == 105
    assert expect(office.run("search-orders", "--status", "denied", "-o", "json"), 0).json() == []


def test_another_organisation_sees_nothing_of_ours(sandbox, cli_factory, office, tmp_path):
    p = needs_documents_case(office, "--attach", str(DOCS / "clinical-notes.pdf"))
    sandbox.admin("decide", p["order_id"], "approve")
    letter_id = order(office, p["order_id"])["letters"][0]["letter_id"]

    other = cli_factory(sandbox)
    email = unique_email("omar")
    expect(other.register(email, PASSWORD, npi=OTHER_ORG_NPI), 0)
    sandbox.admin("approve", email)
    expect(other.run("verify-email", "--email", email, "--code", sandbox.latest_code(email, "verify-email")), 0)
    expect(other.login_email(email), 0)
    assert expect(other.run("search-orders", "--order-id", p["order_id"], "-o", "jsonl"), 0).out == ""
    assert expect(other.run("search-orders", "-o", "jsonl"), 0).out == ""
    expect(other.run("upload-docs", p["order_id"], str(DOCS / "clinical-notes.pdf"), "--document-type", "other"),
           6, "no order")
    assert api(sandbox, "GET", f"/v1/letters/{letter_id}", token=token_of(other)).status == 404
    assert api(sandbox, "GET", f"/v1/cases/{p['order_id']}", token=token_of(other)).status == 404
    mine = tmp_path / "mine"
    expect(office.run("search-orders", "--order-id", p["order_id"], "--download-letters", str(mine)), 0)
    assert [f.name for f in mine.iterdir()] == [f"{p['order_id']}-{letter_id}.pdf"]


def test_a_killed_case_batch_resumes_with_exactly_one_order_per_row(office, tmp_path):
    batch = write_cases(tmp_path / "hundred.csv", 100, prefix="kill")
    results = tmp_path / "results.csv"
    args = ["submit-case", "--batch", str(batch), "--concurrency", "4", "--rate", "60", "--results", str(results)]
    proc = subprocess.Popen([str(office.binary), *args], env=office.env(), cwd=office.home / "work",
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.2)
        listed = office.run("search-orders", "-o", "jsonl")
        if 20 <= len(listed.out.splitlines()):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert not results.exists(), "a killed run leaves no results file"
    sent = len(office.run("search-orders", "-o", "jsonl").out.splitlines())
    assert 0 < sent < 100, f"kill the run mid-way (it had sent {sent})"
    r = expect(office.run(*args, "--resume"), 0)
    rows = read_results(results)
    assert len(rows) == 100 and all(row["outcome"] == "ok" for row in rows)
    orders = [json.loads(l) for l in office.run("search-orders", "-o", "jsonl").out.splitlines()]
    assert len(orders) == 100, f"exactly one order per row, got {len(orders)}:{r.describe()}"
    assert len({row["order_id"] for row in rows}) == 100
