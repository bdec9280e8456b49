"""The sandbox pays (issue #15, item 2) and `provportal remittance` pulls its 835s from the portal:
a week of nightly `remittance --since last` pulls with the sandbox's clock moved a day at a time
posts every payment of examples/sandbox/claims.yaml exactly once (computed here from the seed and
checked against the sandbox's own claims), every check balances, the revised claim shows as its
reversal (claim_status 22, negative) followed by the corrected payment; a pull killed with -9 and
run again posts nothing twice; the clearinghouse drop (`clearinghouse --remittances`) delivers the
same 835s to an inbox; and every 835 the sandbox serves parses strictly with node-x12."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import PASSWORD, PINNED_TIME, REPO, api, expect, make_active_user, session_tokens
from test_x12_cli import NODE_CHECK, node_check

SEED = yaml.safe_load((REPO / "examples" / "sandbox" / "claims.yaml").read_text())
EPOCH = dt.date.fromisoformat(PINNED_TIME[:10])
LAKESHORE = "org_lakeshore"
REVISED = ("C71000000109", "EFT000422405", "176.33", "EFT000423117", "212.08")  # paid day 2, revised day 6


def payments(org: str) -> dict[str, tuple[str, Decimal, int]]:
    """The organisation's payments by check number: (claim, paid, day from the epoch)."""
    out = {}
    for c in SEED["claims"]:
        if c["organization"] != org:
            continue
        for e in c["timeline"]:
            if "paid" in e:
                out[e["check_number"]] = (c["claim_number"], Decimal(e["paid"]), c["received_day"] + e["day"])
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def node_check_all(paths: list[Path]) -> None:
    """node-x12 in strict mode over every file, in one run."""
    assert paths
    node_check(paths[0])  # skips (or fails in CI) when node-x12 is not installed
    p = subprocess.run([shutil.which("node"), str(NODE_CHECK), *map(str, paths)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


def pull(cli, email: str, out: Path, saved: Path, *extra: str):
    """The nightly job: log in unattended, post the new checks into `out`, keep the 835s."""
    expect(cli.login_email(email), 0)
    return cli.run("remittance", "--since", "last", "-o", "jsonl", "-O", str(out), "--save-835", str(saved), *extra)


def paid_by_claim(rows: list[dict]) -> dict[tuple[str, str, str], Decimal]:
    """(check, claim, claim_status) → the sum of its service lines' paid."""
    out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        if r["row_type"] == "service":
            out[(r["check_number"], r["payer_claim_control_number"], r["claim_status"])] += Decimal(r["paid"])
    return out


@pytest.fixture
def office(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    return cli, email


def test_a_week_of_nightly_pulls_posts_every_payment_once(sandbox, office, tmp_path):
    cli, email = office
    out, saved = tmp_path / "posting.jsonl", tmp_path / "835s"
    seed = payments(LAKESHORE)
    posted: dict[str, int] = {}  # check → the day it was posted
    rows_of_week: list[dict] = []
    for day in range(0, 8):
        if day:
            sandbox.clock_advance("1d")
        r = expect(pull(cli, email, out, saved), 0)
        rows = read_jsonl(out)
        checks = {row["check_number"] for row in rows}
        for check in checks:
            assert check not in posted, f"day {day}: check {check} posted again (first on day {posted[check]})"
            posted[check] = day
        want = {c for c, (_, _, d) in seed.items() if (d <= 0 if day == 0 else d == day)}
        assert checks == want, f"day {day}:{r.describe()}"
        assert f"{len(want)} check(s) written, 0 already posted" in r.err, r.describe()
        rows_of_week += rows
    assert set(posted) == {c for c, (_, _, d) in seed.items() if d <= 7}

    # Every payment once, as the seed says: the corrected payment (claim_status 1) of each check.
    paid = paid_by_claim(rows_of_week)
    for check in posted:
        claim, amount, _ = seed[check]
        assert paid[(check, claim, "1")] == amount, (check, claim)
        assert all(r["payer_claim_control_number"] == claim for r in rows_of_week
                   if r["check_number"] == check and r["row_type"] == "service"), check
    # The revision: the earlier payment reversed (negative lines), then the corrected payment.
    claim, first_check, first_paid, second_check, second_paid = REVISED
    lines = [r for r in rows_of_week if r["check_number"] == second_check and r["row_type"] == "service"]
    statuses = [r["claim_status"] for r in lines]
    assert statuses == sorted(statuses, key=lambda s: s != "22") and statuses[0] == "22", statuses
    assert all(Decimal(r["paid"]) < 0 for r in lines if r["claim_status"] == "22")
    assert paid[(second_check, claim, "22")] == -Decimal(first_paid)
    assert paid[(second_check, claim, "1")] == Decimal(second_paid)
    assert posted[first_check] == 2 and posted[second_check] == 6

    # The sandbox's own claims agree: each paid claim's check and amount is what was posted.
    token = session_tokens(cli)[0]
    answer = api(sandbox, "GET", "/v1/claims?page_size=100", token=token)
    assert answer.status == 200, answer
    for c in answer.body["claims"]:
        if c["paid_amount"] not in (None, "0.00"):
            assert paid[(c["check_number"], c["claim_number"], "1")] == Decimal(c["paid_amount"]), c["claim_number"]

    # The whole 835s kept: one per check, each parsed strictly by node-x12, each balanced by `remittance`.
    files = sorted(saved.glob("*.835"))
    assert len(files) == len(posted)
    node_check_all(files)
    r = expect(cli.run("remittance", *map(str, files), "--level", "check", "-o", "jsonl"), 0)
    assert all(c["balanced"] for c in map(json.loads, r.out.splitlines()))

    # The next night, nothing new was paid: nothing is posted.
    sandbox.clock_advance("1d")
    expect(pull(cli, email, out, saved), 0, "0 check(s) written")
    assert read_jsonl(out) == []


def test_every_835_the_sandbox_serves_parses_strictly(sandbox, office, tmp_path):
    cli, email = office
    sandbox.clock_advance("40d")  # every payment of the seed is issued by then
    saved = tmp_path / "835s"
    expect(cli.login_email(email), 0)
    r = expect(cli.run("remittance", "--level", "check", "-o", "jsonl", "--save-835", str(saved), "--page-size", "3"), 0)
    checks = [json.loads(line) for line in r.out.splitlines()]
    assert {c["check_number"] for c in checks} == set(payments(LAKESHORE))
    # --since DURATION counts back on the portal's clock: the last 30 days' checks only.
    recent = expect(cli.run("remittance", "--since", "30d", "--level", "check", "-o", "jsonl"), 0)
    assert {json.loads(line)["check_number"] for line in recent.out.splitlines()} == \
        {c for c, (_, _, d) in payments(LAKESHORE).items() if d > 10}
    assert all(c["balanced"] for c in checks)
    # Prompt-pay interest (L6) and the balance a downward revision carried forward (FB).
    plb = {item["reason"] for c in checks for item in c["plb"]}
    assert {"L6", "FB"} <= plb, checks
    # The feed as JSON: each item's 835 and its JSON say the same.
    token = session_tokens(cli)[0]
    page = api(sandbox, "GET", "/v1/remittances?page_size=100", token=token)
    assert page.status == 200, page
    for item in page.body["items"]:
        assert item["x12"].startswith("ISA*") and item["remittance"]["check"]["check_number"] == item["check_number"]
        assert Decimal(item["remittance"]["check"]["total_paid"]) == Decimal(item["amount"]), item["check_number"]
        (saved / f"feed_{item['check_number']}.x12").write_text(item["x12"])
    node_check_all(sorted(saved.iterdir()))


def test_a_killed_pull_posts_nothing_twice(sandbox_factory, cli_factory, cli_bin, tmp_path):
    # Every page of the feed is answered 0.2-1.5 s late, so a pull of one check per page is still
    # paging when it is killed.
    sb = sandbox_factory(extra_args=["--faults", "rate=1,kinds=delay,paths=/v1/remittances,seed=5"])
    cli = cli_factory(sb)
    email = make_active_user(sb, cli)
    out, saved = tmp_path / "posting.jsonl", tmp_path / "835s"
    part = out.with_name(out.name + ".part")
    expect(pull(cli, email, out, saved), 0)
    day0 = out.read_bytes()

    sb.clock_advance("2d")  # days 1 and 2: three checks
    expect(cli.login_email(email), 0)
    args = [str(cli_bin), "remittance", "--since", "last", "-o", "jsonl", "--page-size", "1", "-O", str(out)]
    proc = subprocess.Popen(args, env=cli.env(), cwd=cli.home / "work", stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (part.exists() and part.read_text().count("\n") >= 1):
            time.sleep(0.02)
        assert part.exists() and part.read_text().count("\n") >= 1, "the pull wrote no page in 30 s"
        assert proc.poll() is None, "the pull ended before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert out.read_bytes() == day0, "the killed pull touched the output file"

    r = expect(cli.run("remittance", "--since", "last", "-o", "jsonl", "-O", str(out)), 0, "3 check(s) written")
    want = {c for c, (_, _, d) in payments(LAKESHORE).items() if d in (1, 2)}
    assert {row["check_number"] for row in read_jsonl(out)} == want, r.describe()
    assert not part.exists()
    expect(cli.run("remittance", "--since", "last", "-o", "jsonl", "-O", str(out)), 0, "0 check(s) written")
    assert read_jsonl(out) == []


def test_the_clearinghouse_drops_the_835s_into_the_inbox(sandbox, office, tmp_path):
    cli, email = office
    password = cli.home / "password"
    password.write_text(PASSWORD + "\n")
    password.chmod(0o600)
    outbox, inbox = tmp_path / "drop" / "outbox", tmp_path / "drop" / "inbox"

    def clearinghouse() -> list[dict]:
        p = subprocess.run([str(sandbox.binary), "clearinghouse", "--data-dir", str(sandbox.data_dir),
                            "--outbox", str(outbox), "--inbox", str(inbox), "--email", email,
                            "--password-file", str(password), "--once", "--remittances"],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr
        return [json.loads(line) for line in p.stdout.splitlines()]

    [dropped] = clearinghouse()
    seed = payments(LAKESHORE)
    day0 = {c for c, (_, _, d) in seed.items() if d <= 0}
    assert len(dropped["remittances"]) == len(day0)
    assert clearinghouse() == []  # each once
    r = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "jsonl"), 0)
    assert {json.loads(line)["check_number"] for line in r.out.splitlines()} == day0

    sandbox.clock_advance("2d")
    [dropped] = clearinghouse()
    assert len(dropped["remittances"]) == 3
    r = expect(cli.run("remittance", "--inbox", str(inbox), "--since", "last", "-o", "jsonl"), 0,
               "3 check(s) written, 6 already posted")
    node_check_all(sorted(inbox.glob("835_*.x12")))
