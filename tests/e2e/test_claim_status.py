"""Claim status end to end (issue #5, items 1 and 2): inquiries by claim number and by member,
the member reject reasons, batches with bad rows, and the nightly incremental pull: the sandbox's
seeded claims with the clock moved one day at a time over a week, each `claim-status --since last
--output-file F` returning exactly the claims that changed that day (checked against what
examples/sandbox/claims.yaml says, computed here independently), a pull killed mid-way that loses
nothing and repeats nothing, the same for `search-orders --since last`, and other organisations'
claims never in sight."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import PINNED_TIME, api, expect, make_active_user, parse_time, unique_email

from test_prior_auth import CASE_FLAGS, write_cases

SEED = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "sandbox" / "claims.yaml").read_text())
CLAIMS = {c["claim_number"]: c for c in SEED["claims"]}
EPOCH = dt.date.fromisoformat(PINNED_TIME[:10])  # conftest dates the claims from the pinned day
LAKESHORE = "org_lakeshore"
PRAIRIE_NPI = "1245319599"  # org_prairie_imaging


# ---- what the seed says -------------------------------------------------------------------------


def event_days(claim: dict) -> list[int]:
    """The days (from the epoch) of the claim's status events."""
    return [claim["received_day"] + e["day"] for e in claim["timeline"]]


def of(org: str) -> list[dict]:
    return [c for c in SEED["claims"] if c["organization"] == org]


def changed_on(org: str, day: int) -> set[str]:
    """The organisation's claims with an event on `day`: events take effect at midnight in
    Chicago, and every pull here runs at 09:00 Chicago time, so a pull on day k covers day k."""
    return {c["claim_number"] for c in of(org) if day in event_days(c)}


def received_by(org: str, day: int) -> set[str]:
    return {c["claim_number"] for c in of(org) if c["received_day"] <= day}


def status_on(number: str, day: int) -> str:
    claim = CLAIMS[number]
    return [e["status"] for e in claim["timeline"] if claim["received_day"] + e["day"] <= day][-1]


def date_of(day: int) -> str:
    return (EPOCH + dt.timedelta(days=day)).isoformat()


# ---- helpers ------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def numbers(claims: list[dict]) -> list[str]:
    return [c["claim_number"] for c in claims]


def watermarks(cli) -> list[Path]:
    d = cli.home / "state" / "provportal" / "watermarks"
    return sorted(p for p in d.glob("*.json")) if d.is_dir() else []


def nightly(cli, email: str, out: Path, *extra: str):
    """What a nightly job does: log in unattended, pull what changed into `out`."""
    expect(cli.login_email(email), 0)
    return cli.run("claim-status", "--since", "last", "-O", str(out), *extra)


@pytest.fixture
def office(sandbox, cli):
    """A logged-in Lakeshore user: (cli, email)."""
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    return cli, email


def other_office(sandbox, cli_factory, npi: str = PRAIRIE_NPI):
    other = cli_factory(sandbox)
    email = unique_email("other")
    expect(other.register(email, npi=npi), 0)
    sandbox.admin("approve", email)
    expect(other.run("verify-email", "--email", email, "--code", sandbox.latest_code(email, "verify-email")), 0)
    expect(other.login_email(email), 0)
    return other, email


# ---- one inquiry --------------------------------------------------------------------------------


def test_one_inquiry_by_claim_number_and_by_member(office):
    cli, _ = office
    one = expect(cli.run("claim-status", "--claim-number", "C71000000102", "-o", "json"), 0).json()
    assert numbers(one) == ["C71000000102"]
    c = one[0]
    assert (c["status_category"], c["status"]) == ("F1", "finalized-paid")
    assert (c["billed_amount"], c["paid_amount"], c["check_number"]) == ("185.00", "131.75", "EFT000419377")
    assert c["received_date"] == date_of(-30) and c["paid_date"] == date_of(-21)
    assert [r["code"] for r in c["status_reasons"]] == ["45"]
    assert [l["procedure_code"] for l in c["lines"]] == ["99213", "36415", "80053"]

    member = ["claim-status", "--member-id", "ACM100234", "--dob", "1958-03-14", "--provider-npi", "1234567893",
              "--service-from", date_of(-60), "--service-to", date_of(0)]
    both = expect(cli.run(*member, "-o", "json"), 0).json()
    assert numbers(both) == ["C71000000101", "C71000000119"]  # by date of service
    assert [c["status_category"] for c in both] == [status_on("C71000000101", 0), status_on("C71000000119", 0)]
    table = expect(cli.run(*member, "-o", "table"), 0).out
    assert "CLAIM NUMBER" in table and "C71000000119" in table and "PAID AMOUNT" in table
    rows = list(csv.DictReader(expect(cli.run(*member, "-o", "csv"), 0).out.splitlines()))
    assert [(r["claim_number"], r["status_category"]) for r in rows] == [("C71000000101", "F1"), ("C71000000119", "A2")]
    assert rows[0]["status_reasons"] == "45;3"

    # No match is an answer, not an error.
    none = expect(cli.run("claim-status", "--claim-number", "C99999999999", "-o", "json"), 0, "no claim")
    assert none.json() == []


@pytest.mark.parametrize("change, code, aaa", [
    ({"--member-id": "ZZZ123456"}, "invalid member id", "72"),
    ({"--member-id": "ACM999999"}, "subscriber not found", "75"),
    ({"--dob": "1958-03-15"}, "invalid date of birth", "71"),
])
def test_reject_reasons(office, change, code, aaa):
    cli, _ = office
    args = {"--member-id": "ACM100234", "--dob": "1958-03-14", "--provider-npi": "1234567893",
            "--service-from": date_of(-60), "--service-to": date_of(0), **change}
    r = expect(cli.run("claim-status", *[x for kv in args.items() for x in kv]), 6, code, f"X12 AAA {aaa}")
    assert r.out == "", r.describe()


def test_a_bad_inquiry_is_refused_before_sending(office):
    cli, _ = office
    expect(cli.run("claim-status", "--claim-number", "c-123"), 3, "claim_number")
    member = ["claim-status", "--member-id", "ACM100234", "--dob", "1958-03-14", "--provider-npi", "1234567893",
              "--service-from", "2026-11-01", "--service-to", "2026-11-30"]
    bad_npi = list(member)
    bad_npi[bad_npi.index("1234567893")] = "1234567894"
    r = expect(cli.run(*bad_npi), 3, "provider_npi", "check digit")
    assert "ACM100234" not in r.err and "1958-03-14" not in r.err, r.describe()
    backwards = list(member)
    backwards[backwards.index("2026-11-01")] = "2026-12-01"
    expect(cli.run(*backwards), 3, "service_to: is before service_from")
    expect(cli.run("claim-status", "--claim-number", "C71000000102", "--status", "pending"), 2, "--status")
    expect(cli.run("claim-status", "--since", "yesterday"), 2, "--since")
    expect(cli.run("claim-status", "--no-advance"), 2, "--since last")


# ---- batches -------------------------------------------------------------------------------------


def test_batch_with_bad_rows_names_line_and_field(office):
    cli, _ = office
    batch = cli.home / "work" / "claims.csv"
    batch.write_text(
        "ref,claim_number,member_id,date_of_birth,provider_npi,service_from,service_to\n"
        "r1,C71000000102,,,,,\n"
        f"r2,,ACM100234,1958-03-14,1234567893,{date_of(-60)},{date_of(0)}\n"
        "r3,c-123,,,,,\n"
        "r4,,ACM100234,1958-03-14,1234567893,2026-11-30,2026-11-01\n"
        f"r5,,ACM100234,,1234567893,{date_of(-60)},{date_of(0)}\n"
        f"r6,,ACM999999,1958-03-14,1234567893,{date_of(-60)},{date_of(0)}\n"
        "r7,C72000000201,,,,,\n")
    results = cli.home / "work" / "results.csv"
    r = expect(cli.run("claim-status", "--batch", str(batch), "--results", str(results)), 1)
    for line, field in ((4, "claim_number"), (5, "service_to"), (6, "date_of_birth")):
        assert f"claims.csv:{line}: {field}" in r.err, r.describe()
    assert "ACM100234" not in r.err and "1958-03-14" not in r.err, "PHI on stderr"
    rows = {row["ref"]: row for row in csv.DictReader(results.open(newline="", encoding="utf-8"))}
    assert [rows[f"r{i}"]["outcome"] for i in range(1, 8)] == ["ok", "ok", "invalid", "invalid", "invalid",
                                                             "rejected", "ok"]
    assert (rows["r1"]["claim_numbers"], rows["r1"]["status_categories"]) == ("C71000000102", "F1")
    assert rows["r2"]["claim_count"] == "2"
    assert rows["r2"]["claim_numbers"] == "C71000000101;C71000000119"
    assert rows["r2"]["status_categories"] == "F1;A2"
    assert rows["r6"]["code"] == "subscriber_not_found" and rows["r6"]["reject_reason.x12_aaa"] == "75"
    assert rows["r7"]["claim_count"] == "0", "another organisation's claim is no match"
    expect(cli.run("claim-status", "--batch", str(batch), "--since", "last"), 2, "--since last")


# ---- the nightly pull -------------------------------------------------------------------------


def test_nightly_pulls_over_a_week_return_exactly_each_days_changes(sandbox, office, cli_factory):
    cli, email = office
    out = cli.home / "work" / "claims.jsonl"
    r = expect(nightly(cli, email, out), 0, "no watermark yet")
    first = read_jsonl(out)
    assert set(numbers(first)) == received_by(LAKESHORE, 0) and len(first) == len(set(numbers(first)))
    assert all(c["status_category"] == status_on(c["claim_number"], 0) for c in first)
    [mark] = watermarks(cli)
    assert (mark.stat().st_mode & 0o777) == 0o600 and (mark.parent.stat().st_mode & 0o777) == 0o700
    assert json.loads(mark.read_text())["watermark"].startswith(date_of(0))

    for day in range(1, 8):
        sandbox.clock_advance("1d")
        r = expect(nightly(cli, email, out), 0)
        got = read_jsonl(out)
        want = changed_on(LAKESHORE, day)
        assert set(numbers(got)) == want, f"day {day} ({date_of(day)}):{r.describe()}"
        assert len(got) == len(want), f"day {day}: a claim came twice"
        for c in got:
            assert c["status_category"] == status_on(c["claim_number"], day), (day, c)
            assert CLAIMS[c["claim_number"]]["organization"] == LAKESHORE
        assert json.loads(mark.read_text())["watermark"].startswith(date_of(day)), f"day {day}"
        assert not out.with_name(out.name + ".part").exists()
    assert changed_on(LAKESHORE, 4) == set(), "the seed keeps a quiet day for Lakeshore"

    # The other organisation's pull over the same week holds only its own claims.
    other, other_email = other_office(sandbox, cli_factory)
    theirs = other.home / "work" / "claims.jsonl"
    expect(nightly(other, other_email, theirs), 0)
    assert set(numbers(read_jsonl(theirs))) == received_by("org_prairie_imaging", 7)


def test_a_killed_pull_loses_nothing_and_repeats_nothing(sandbox_factory, cli_factory, cli_bin):
    # Every page of the feed is answered 0.2-1.5 s late, so a pull of one claim per page is still
    # paging when it is killed.
    sb = sandbox_factory(extra_args=["--faults", "rate=1,kinds=delay,paths=/v1/claims,seed=5"])
    cli = cli_factory(sb)
    email = make_active_user(sb, cli)
    out = cli.home / "work" / "claims.jsonl"
    part = out.with_name(out.name + ".part")
    expect(nightly(cli, email, out), 0)
    day0 = out.read_bytes()
    [mark] = watermarks(cli)
    mark_before = mark.read_bytes()

    sb.clock_advance("1d")
    expect(cli.login_email(email), 0)
    args = [str(cli_bin), "claim-status", "--since", "last", "--page-size", "1", "-O", str(out)]
    proc = subprocess.Popen(args, env=cli.env(), cwd=cli.home / "work", stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (part.exists() and part.read_text().count("\n") >= 1):
            time.sleep(0.02)
        assert part.exists() and part.read_text().count("\n") >= 1, "the pull wrote no page in 30 s"
        assert proc.poll() is None, "the pull ended before it could be killed"
        # Meanwhile a second pull of the same query is refused: the watermark is locked.
        expect(cli.run("claim-status", "--since", "last", "-O", str(cli.home / "work" / "other.jsonl")), 2,
               "another provportal process")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert out.read_bytes() == day0, "the killed pull touched the output file"
    assert mark.read_bytes() == mark_before, "the killed pull moved the watermark"

    r = expect(cli.run("claim-status", "--since", "last", "--page-size", "1", "-O", str(out)), 0)
    got = numbers(read_jsonl(out))
    assert sorted(got) == sorted(changed_on(LAKESHORE, 1)) and len(got) == len(set(got)), r.describe()
    assert not part.exists()
    sb.clock_advance("1d")
    expect(nightly(cli, email, out, "--page-size", "2"), 0)
    assert sorted(numbers(read_jsonl(out))) == sorted(changed_on(LAKESHORE, 2))


def test_peeking_durations_dates_and_a_failed_pull(sandbox, office):
    cli, email = office
    out = cli.home / "work" / "claims.json"
    expect(nightly(cli, email, out), 0)
    [mark] = watermarks(cli)
    before = mark.read_bytes()
    sandbox.clock_advance("1d")
    expect(cli.login_email(email), 0)
    peek = expect(cli.run("claim-status", "--since", "last", "--no-advance", "-o", "json"), 0, "not moved")
    assert set(numbers(peek.json())) == changed_on(LAKESHORE, 1)
    assert mark.read_bytes() == before
    # A duration counts back on the portal's clock; a date is local midnight.
    day = expect(cli.run("claim-status", "--since", "24h", "-o", "json"), 0).json()
    assert set(numbers(day)) == changed_on(LAKESHORE, 1)
    since_date = expect(cli.run("claim-status", "--since", date_of(1), "-o", "json"), 0).json()
    assert set(numbers(since_date)) == changed_on(LAKESHORE, 1)
    two_days = expect(cli.run("claim-status", "--since", "48h", "--status", "finalized", "-o", "json"), 0).json()
    assert all(c["status_category"].startswith("F") for c in two_days) and two_days
    assert mark.read_bytes() == before, "only --since last moves the watermark"

    # A pull that fails (the session has expired) leaves the file and the watermark as they were.
    old = out.read_bytes()
    sandbox.clock_advance("1h")
    expect(cli.run("claim-status", "--since", "last", "-O", str(out)), 4, "left as it was")
    assert out.read_bytes() == old and mark.read_bytes() == before
    assert not out.with_name(out.name + ".part").exists()
    expect(cli.run("claim-status", "-O", str(cli.home / "no-such-dir" / "f.json")), 2, "no-such-dir")


# ---- search-orders --since last ----------------------------------------------------------------


def orders_pull(cli, out: Path, *extra: str) -> list[str]:
    expect(cli.run("search-orders", "--since", "last", "-O", str(out), *extra), 0)
    return [o["order_id"] for o in read_jsonl(out)]


def created(results: Path) -> list[str]:
    return [json.loads(line)["answer"]["order_id"] for line in results.read_text().splitlines()]


def test_search_orders_since_last_returns_what_was_created_or_decided(sandbox, office, cli_factory):
    cli, email = office
    work = cli.home / "work"
    out = work / "orders.jsonl"
    r = expect(cli.run("submit-case", "--batch", str(write_cases(work / "a.csv", 3, "a")), "--results",
                       str(work / "a.jsonl")), 0)
    first_three = created(work / "a.jsonl")
    pended = expect(cli.run("submit-case", *CASE_FLAGS, "--answer", "q1=yes", "--answer", "q2=4", "--answer",
                            "q3=no", "-o", "json"), 0).json()
    assert pended["status"] == "pended", r.describe()
    sandbox.clock_advance("20m")  # the pull runs later: orders written seconds ago may still settle
    assert sorted(orders_pull(cli, out)) == sorted(first_three + [pended["order_id"]])

    sandbox.admin("decide", pended["order_id"], "approve")
    expect(cli.run("submit-case", "--batch", str(write_cases(work / "b.csv", 1, "b")), "--results",
                   str(work / "b.jsonl")), 0)
    sandbox.clock_advance("20m")
    assert sorted(orders_pull(cli, out)) == sorted([pended["order_id"]] + created(work / "b.jsonl"))
    sandbox.clock_advance("20m")
    assert orders_pull(cli, out) == []
    expect(cli.run("search-orders", "--since", "last", "--limit", "5"), 2, "--limit")

    # Another organisation's pull never sees them.
    other, _ = other_office(sandbox, cli_factory)
    assert orders_pull(other, other.home / "work" / "orders.jsonl") == []


def test_a_killed_orders_pull_loses_nothing_and_repeats_nothing(sandbox_factory, cli_factory, cli_bin):
    sb = sandbox_factory(extra_args=["--faults", "rate=1,kinds=delay,paths=/v1/orders,seed=9"])
    cli = cli_factory(sb)
    email = make_active_user(sb, cli)
    expect(cli.login_email(email), 0)
    work = cli.home / "work"
    out = work / "orders.jsonl"
    part = out.with_name(out.name + ".part")
    expect(cli.run("submit-case", "--batch", str(write_cases(work / "a.csv", 2, "a")), "--results",
                   str(work / "a.jsonl")), 0)
    sb.clock_advance("20m")
    assert sorted(orders_pull(cli, out)) == sorted(created(work / "a.jsonl"))
    before = out.read_bytes()
    [mark] = watermarks(cli)
    mark_before = mark.read_bytes()

    expect(cli.run("submit-case", "--batch", str(write_cases(work / "b.csv", 5, "b")), "--results",
                   str(work / "b.jsonl")), 0)
    sb.clock_advance("20m")
    args = [str(cli_bin), "search-orders", "--since", "last", "--page-size", "1", "-O", str(out)]
    proc = subprocess.Popen(args, env=cli.env(), cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (part.exists() and part.read_text().count("\n") >= 1):
            time.sleep(0.02)
        assert part.exists() and proc.poll() is None, "the pull did not page slowly enough to be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert out.read_bytes() == before and mark.read_bytes() == mark_before
    again = orders_pull(cli, out, "--page-size", "2")
    assert sorted(again) == sorted(created(work / "b.jsonl")) and len(again) == len(set(again))
    sb.clock_advance("20m")
    assert orders_pull(cli, out) == []


# ---- organisations ------------------------------------------------------------------------------


def test_other_organisations_claims_are_never_visible(sandbox, office, cli_factory):
    cli, _ = office
    other, _ = other_office(sandbox, cli_factory)
    feed = expect(other.run("claim-status", "-o", "json"), 0).json()
    assert feed and all(CLAIMS[n]["organization"] == "org_prairie_imaging" for n in numbers(feed))
    assert expect(other.run("claim-status", "--claim-number", "C71000000102", "-o", "json"), 0).json() == []
    member = ["claim-status", "--member-id", "ACM100234", "--dob", "1958-03-14", "--provider-npi", "1234567893",
              "--service-from", date_of(-60), "--service-to", date_of(0), "-o", "json"]
    assert expect(other.run(*member), 0).json() == []
    assert len(expect(cli.run(*member), 0).json()) == 2
    token = json.loads(other.session_file().read_text())["token"]
    theirs = api(sandbox, "GET", "/v1/claims/C71000000102", token=token)
    assert theirs.status == 404 and theirs.body["error"]["code"] == "not_found", theirs
