"""CMS-0057-F decision clocks, update-case and cancel-case, end to end against the sandbox: the
sandbox's clock moved so that its seeded late share of pended wound-care reviews goes overdue,
`search-orders --overdue` listing exactly those; cancellations of pended and decided orders;
revisions that add units once however often the run is repeated; and `submit-case
--wait-decision` returning once the order is decided and surviving a kill."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import signal
import subprocess
import time

from conftest import expect, first_order_id, parse_time

# acme-medicare-advantage takes wound_care cases; its seed review comes late for half of them.
WOUND = [
    "--health-plan", "acme-medicare-advantage", "--solution", "wound_care",
    "--member-id", "AMA200118", "--first-name", "Dorothy", "--last-name", "Jenkins",
    "--dob", "1943-05-12", "--ordering-npi", "1234567893", "--servicing-npi", "1245319599",
    "--diagnosis", "L97.412", "--service-start", "2026-12-01", "--service-end", "2026-12-31",
]
# Each pended order of one member needs codes no other open order of hers asks for.
CODES = ["97597", "97598", "97605", "97606", "11042", "11043", "11044", "11045", "11046",
         "11047", "15271", "15272"]


def late_by_seed(order_id: str, late_percent: int = 50) -> bool:
    """The sandbox's choice (examples/sandbox/solutions.yaml, late_percent): SHA-256 of the ID."""
    return int(hashlib.sha256(order_id.encode()).hexdigest()[:8], 16) % 100 < late_percent


def submit_wound(cli, code: str, *extra: str, pended: bool = True) -> dict:
    answers = ["--answer", "q1=2", "--answer", "q2=yes"] if pended else \
        ["--answer", "q1=6", "--answer", "q2=yes"]
    r = expect(cli.run("submit-case", *WOUND, "--procedure", f"{code}:1", *answers, *extra,
                       "-o", "json"), 0)
    return r.json()


def search(cli, *args: str) -> list[dict]:
    r = expect(cli.run("search-orders", *args, "-o", "jsonl"), 0)
    return [json.loads(line) for line in r.out.splitlines()]


def relogin(sandbox, cli) -> None:
    """A fresh session after the clock moved days ahead."""
    expect(cli.login_email(cli.email), 0)


def test_every_order_carries_its_decision_clock(office):
    routine = submit_wound(office, CODES[0])
    assert routine["status"] == "pended", routine
    received = parse_time(routine["received_at"])
    assert routine["complete_at"] == routine["received_at"]
    assert parse_time(routine["decision_due"]) - received == dt.timedelta(days=7)
    assert routine["overdue"] is False and routine["decided_at"] is None
    urgent = submit_wound(office, CODES[1], "--urgency", "urgent")
    assert parse_time(urgent["decision_due"]) - parse_time(urgent["complete_at"]) == \
        dt.timedelta(hours=72)
    approved = submit_wound(office, CODES[2], pended=False)
    assert approved["status"] == "approved" and approved["overdue"] is False
    assert approved["decided_at"] == approved["complete_at"]


def test_overdue_lists_exactly_the_orders_the_sandbox_decided_late(sandbox, office):
    orders = [submit_wound(office, code, *(["--urgency", "urgent"] if i % 3 == 0 else []))
              for i, code in enumerate(CODES)]
    late = {o["order_id"] for o in orders if late_by_seed(o["order_id"])}
    on_time = {o["order_id"] for o in orders} - late
    assert all(o["status"] == "pended" for o in orders)
    # Nothing is late yet.
    assert search(office, "--overdue") == []
    # Past every on-time review (2 days), before any due time: the late ones are still open.
    sandbox.clock_advance("2d1h")
    relogin(sandbox, office)
    now = {o["order_id"]: o for o in search(office)}
    assert {i for i in on_time if now[i]["status"] == "partially-approved"} == on_time
    assert {i for i in late if now[i]["status"] == "pended"} == late
    assert search(office, "--overdue") == []
    # Past every due time (7 days), before the late routine reviews: those are still pended and
    # overdue already, beside the late urgent ones (decided a day after their 72 hours).
    sandbox.clock_advance("5d12h")
    relogin(sandbox, office)
    listed = search(office, "--overdue")
    assert {o["order_id"] for o in listed} == late, (late, listed)
    assert any(o["status"] == "pended" for o in listed) == any(
        o["order_id"] in late and o["urgency"] == "routine" for o in orders)
    # Past every late review too: the late ones were decided after their due time, and are the
    # only ones listed.
    sandbox.clock_advance("2d")
    relogin(sandbox, office)
    listed = search(office, "--overdue")
    assert {o["order_id"] for o in listed} == late, (late, listed)
    for o in listed:
        assert o["overdue"] is True
        assert parse_time(o["decided_at"]) > parse_time(o["decision_due"])
    everything = search(office)
    assert {o["order_id"] for o in everything if o["overdue"]} == late
    # The table shows the clock's columns.
    r = expect(office.run("search-orders", "--overdue", "-o", "csv"), 0)
    header = r.out.splitlines()[0].split(",")
    assert "decision_due" in header and "overdue" in header
    # Paging keeps the filter: one order a page.
    paged = search(office, "--overdue", "--page-size", "1")
    assert [o["order_id"] for o in paged] == [o["order_id"] for o in listed]


def test_an_undecided_order_past_its_due_time_is_overdue(sandbox, office):
    # A needs-documents case has no clock until it is complete.
    r = expect(office.run("submit-case", *WOUND, "--procedure", "97597:1", "--answer", "q1=2",
                          "--answer", "q2=no", "-o", "json"), 0)
    order = r.json()
    assert order["status"] == "needs-documents"
    assert order["complete_at"] is None and order["decision_due"] is None
    sandbox.clock_advance("30d")
    relogin(sandbox, office)
    assert search(office, "--overdue") == []


def test_cancel_a_pended_order_then_search_shows_it_cancelled(office):
    order = submit_wound(office, CODES[0])
    r = expect(office.run("cancel-case", order["order_id"], "--reason", "service no longer needed",
                          "-o", "json"), 0)
    cancelled = r.json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert cancelled["cancel_reason"] == "service no longer needed"
    # The same cancellation again: the same answer (the key replays it).
    again = expect(office.run("cancel-case", order["order_id"], "--reason",
                              "service no longer needed", "-o", "json"), 0).json()
    assert again == cancelled
    [found] = search(office, "--order-id", order["order_id"])
    assert found["status"] == "cancelled"
    assert [o["order_id"] for o in search(office, "--status", "cancelled")] == [order["order_id"]]
    # The codes are free again for a new case.
    assert submit_wound(office, CODES[0])["status"] == "pended"


def test_cancel_a_decided_order_is_refused_naming_its_status(office):
    order = submit_wound(office, CODES[0], pended=False)
    r = expect(office.run("cancel-case", order["order_id"], "--reason", "changed our mind"), 6,
               "cannot cancel order " + order["order_id"], "it is approved")
    assert "search-orders --order-id" in r.err
    [found] = search(office, "--order-id", order["order_id"])
    assert found["status"] == "approved"
    expect(office.run("cancel-case", "ORD-00000000", "--reason", "x"), 6, "ORD-00000000")
    expect(office.run("cancel-case", order["order_id"]), 2, "--reason")


def test_update_case_adds_units_once_across_a_retried_run(office, tmp_path):
    order = submit_wound(office, CODES[0])
    oid = order["order_id"]
    first = expect(office.run("update-case", oid, "--units", f"{CODES[0]}:2", "--end-date",
                              "2027-01-31", "--diagnosis", "E11.621", "-o", "json"), 0).json()
    assert first["procedures"] == [{"code": CODES[0], "units": 3}]
    assert first["service_end"] == "2027-01-31" and first["revision"] == 1
    assert first["diagnoses"] == ["L97.412", "E11.621"]
    # The same run repeated (a retry after a lost answer): nothing added twice.
    second = expect(office.run("update-case", oid, "--units", f"{CODES[0]}:2", "--end-date",
                               "2027-01-31", "--diagnosis", "E11.621", "-o", "json"), 0).json()
    assert second["procedures"] == [{"code": CODES[0], "units": 3}] and second["revision"] == 1
    # A batch, killed or not, re-run with --resume: each row applied once.
    batch = tmp_path / "updates.csv"
    batch.write_text(f"ref,order_id,procedures\nu1,{oid},{CODES[0]}:1\n")
    results = tmp_path / "out.jsonl"
    expect(office.run("update-case", "--batch", str(batch), "--results", str(results)), 0)
    expect(office.run("update-case", "--batch", str(batch), "--results", str(results), "--restart"),
           0)
    [found] = search(office, "--order-id", oid)
    assert found["procedures"] == [{"code": CODES[0], "units": 4}] and found["revision"] == 2
    # Refusals name the field.
    expect(office.run("update-case", oid, "--end-date", "2026-12-15"), 6, "service_end")
    expect(office.run("update-case", oid, "--units", "99183:1"), 6, "99183")
    expect(office.run("update-case", oid), 3, "no change")
    decided = submit_wound(office, CODES[1], pended=False)
    expect(office.run("update-case", decided["order_id"], "--units", f"{CODES[1]}:1"), 6,
           "it is approved")


def test_wait_decision_returns_once_decided(sandbox, office):
    proc = subprocess.Popen(
        [str(office.binary), "submit-case", *WOUND, "--procedure", f"{CODES[0]}:1",
         "--answer", "q1=2", "--answer", "q2=yes", "--wait-decision", "--max-wait", "60s",
         "-o", "json"],
        env=office.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    try:
        order_id = first_order_id(office)
        assert order_id, "the case was never submitted"
        time.sleep(1.5)
        assert proc.poll() is None, "returned before the decision"
        sandbox.admin("decide", order_id, "approve")
        started = time.monotonic()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    # Polite polling: the decision is seen within the longest wait between polls.
    assert time.monotonic() - started < 35
    decided = json.loads(out)
    assert decided["order_id"] == order_id
    assert decided["status"] == "approved" and decided["decided_at"], decided
    assert decided["overdue"] is False


def test_wait_decision_times_out_with_7_and_survives_a_kill(sandbox, office):
    args = ["submit-case", *WOUND, "--procedure", f"{CODES[0]}:1", "--answer", "q1=2",
            "--answer", "q2=yes", "--wait-decision", "-o", "json"]
    r = expect(office.run(*args, "--max-wait", "2s"), 7, "still pended", "run the same command")
    order_id = r.json()["order_id"]
    assert r.json()["status"] == "pended" and r.json()["decision_due"]
    # Killed while waiting, then run again: the same order (nothing submitted twice).
    proc = subprocess.Popen([str(office.binary), *args, "--max-wait", "60s"], env=office.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    time.sleep(2)
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    sandbox.admin("decide", order_id, "deny")
    done = expect(office.run(*args, "--max-wait", "60s"), 0).json()
    assert done["order_id"] == order_id and done["status"] == "denied"
    assert [o["order_id"] for o in search(office)] == [order_id]


def test_wait_decision_in_a_batch_leaves_pending_rows_for_resume(sandbox, office, tmp_path):
    batch = tmp_path / "cases.jsonl"
    rows = []
    for i, code in enumerate(CODES[:3]):
        rows.append({"ref": f"w{i}", "health_plan": "acme-medicare-advantage",
                     "solution": "wound_care", "member_id": "AMA200118", "first_name": "Dorothy",
                     "last_name": "Jenkins", "date_of_birth": "1943-05-12",
                     "ordering_npi": "1234567893", "servicing_npi": "1245319599",
                     "procedures": [{"code": code, "units": 1}], "diagnoses": ["L97.412"],
                     "service_start": "2026-12-01", "service_end": "2026-12-31",
                     "answers": {"q1": 2, "q2": "yes"}})
    batch.write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = tmp_path / "results.jsonl"
    args = ["submit-case", "--batch", str(batch), "--results", str(results), "--wait-decision"]
    expect(office.run(*args, "--max-wait", "2s"), 0, "pending")
    first = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["outcome"] for r in first] == ["pending"] * 3
    for r in first:
        sandbox.admin("decide", r["answer"]["order_id"], "approve")
    expect(office.run(*args, "--max-wait", "60s", "--resume"), 0)
    final = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["outcome"] for r in final] == ["ok"] * 3
    assert [r["answer"]["order_id"] for r in final] == [r["answer"]["order_id"] for r in first]
    assert {r["answer"]["status"] for r in final} == {"approved"}
    assert len(search(office)) == 3
