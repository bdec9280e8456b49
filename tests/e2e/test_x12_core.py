"""X12 5010 over CAQH CORE (issue #14): the same commands and batches over the `x12-core` wire
against the sandbox's CORE endpoint give the same records as over the portal's JSON API; the
profile names the wire, its parties and its payers; the audit log keeps the CORE identifiers and
no PHI; the CORE endpoint's credentials come from the profile's secret sources."""

from __future__ import annotations

import csv
import json
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest

from conftest import PASSWORD, REPO, expect, make_active_user, write_eligibility_rows

EXAMPLES = REPO / "examples"
SENDER = "PROVPORTAL01"
RECEIVER = "PROVPORTALSBX"

# What both wires must agree on, row by row.
ELIGIBILITY_KEYS = ["status", "active", "member", "plan", "coverage", "service_date", "benefits", "reason"]
CLAIM_KEYS = ["claim_number", "status_category", "status", "member_id", "health_plan", "provider_npi",
              "service_from", "service_to", "billed_amount", "paid_amount", "check_number", "paid_date"]


def core_env(cli, form: str = "soap", **extra) -> dict:
    """The environment of a run over x12-core (the profile's keys by their variables)."""
    env = {"PROVPORTAL_WIRE": "x12-core", "PROVPORTAL_SENDER_ID": SENDER, "PROVPORTAL_RECEIVER_ID": RECEIVER,
           "PROVPORTAL_PAYERS_FILE": str(EXAMPLES / "payers.yaml"), "PROVPORTAL_CORE_FORM": form}
    env.update(extra)
    return env


@pytest.fixture
def core(sandbox, cli):
    """An office account whose profile names its email and password file (the CORE
    UsernameToken's), logged in for the JSON wire too."""
    email = make_active_user(sandbox, cli)
    password_file = cli.home / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    expect(cli.run("config", "set", "email", email), 0)
    expect(cli.run("config", "set", "password_file", str(password_file)), 0)
    expect(cli.login_email(email), 0)
    cli.email = email
    return cli


def results(path: Path) -> dict:
    return {row["ref"]: row for row in map(json.loads, path.read_text().splitlines())}


def fold(name: str) -> str:
    """A name as X12 can carry it: no accents (X12 has no accented letters), any case."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).upper()


def project(answer: dict, keys) -> dict:
    out = {k: answer.get(k) for k in keys}
    if isinstance(out.get("member"), dict):
        out["member"] = {k: fold(v) if k.endswith("_name") else v for k, v in out["member"].items()}
    return out


def test_an_eligibility_batch_over_core_gives_the_json_wires_records(core, tmp_path):
    batch = str(EXAMPLES / "eligibility.csv")
    by_json, by_soap, by_mime = tmp_path / "json.jsonl", tmp_path / "soap.jsonl", tmp_path / "mime.jsonl"
    expect(core.run("check-eligibility", "--batch", batch, "--results", str(by_json)), 1)
    expect(core.run("check-eligibility", "--batch", batch, "--results", str(by_soap), env=core_env(core)), 1)
    expect(core.run("check-eligibility", "--batch", batch, "--results", str(by_mime),
                    env=core_env(core, "mime")), 1)
    j, s, m = results(by_json), results(by_soap), results(by_mime)
    assert set(j) == set(s) == set(m) and len(j) == 20
    outcomes = {}
    for ref, row in j.items():
        for other in (s[ref], m[ref]):
            assert other["outcome"] == row["outcome"], (ref, row, other)
            if row["outcome"] == "ok":
                assert project(other["answer"], ELIGIBILITY_KEYS) == project(row["answer"], ELIGIBILITY_KEYS), ref
            elif row["outcome"] == "rejected":
                assert other["answer"]["reject_reason"]["code"] == row["answer"]["reject_reason"]["code"], ref
                assert other["answer"]["reject_reason"]["x12_aaa"] == row["answer"]["reject_reason"]["x12_aaa"], ref
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    assert outcomes.get("ok", 0) >= 10 and outcomes.get("rejected", 0) >= 1 and outcomes.get("invalid", 0) >= 1


def test_one_check_over_core_prints_the_answer_and_a_reject_names_its_aaa(core):
    env = core_env(core)
    args = ["check-eligibility", "--member-id", "ACM100234", "--first-name", "James", "--last-name", "Whitaker",
            "--dob", "1958-03-14", "--health-plan", "acme-commercial", "--provider-npi", "1234567893",
            "--service-date", "2026-11-16", "-o", "json"]
    over_json = expect(core.run(*args), 0).json()
    over_core = expect(core.run(*args, env=env), 0).json()
    assert project(over_core, ELIGIBILITY_KEYS) == project(over_json, ELIGIBILITY_KEYS)
    unknown = list(args)
    unknown[unknown.index("ACM100234")] = "ACM999999"
    r = expect(core.run(*unknown, env=env), 6, "X12 AAA 75")
    assert r.out == ""


def test_claim_status_over_core_gives_the_json_wires_claims(core, tmp_path):
    batch = tmp_path / "claims.csv"
    # By member (the 276 needs the subscriber's name), and by claim number with the member.
    batch.write_text(
        "ref,claim_number,member_id,first_name,last_name,date_of_birth,provider_npi,service_from,service_to,health_plan\n"
        "c1,,ACM100234,James,Whitaker,1958-03-14,1234567893,2026-09-01,2026-11-17,acme-commercial\n"
        "c2,C71000000102,ACM100418,Maria,Gonzalez,1984-07-22,1234567893,2026-09-01,2026-11-17,acme-commercial\n"
        "c3,,ACM999999,Paul,Newman,1970-01-01,1234567893,2026-09-01,2026-11-17,acme-commercial\n")
    by_json, by_core = tmp_path / "json.jsonl", tmp_path / "core.jsonl"
    expect_rc = (0, 1)
    r1 = core.run("claim-status", "--batch", str(batch), "--results", str(by_json))
    assert r1.rc in expect_rc, r1.describe()
    r2 = core.run("claim-status", "--batch", str(batch), "--results", str(by_core), env=core_env(core))
    assert r2.rc == r1.rc, r2.describe()
    j, c = results(by_json), results(by_core)
    for ref in ("c1", "c2", "c3"):
        assert c[ref]["outcome"] == j[ref]["outcome"], (ref, j[ref], c[ref])
        if j[ref]["outcome"] == "ok":
            want = [project(x, CLAIM_KEYS) for x in j[ref]["answer"]["claims"]]
            got = [project(x, CLAIM_KEYS) for x in c[ref]["answer"]["claims"]]
            assert got == want, ref
    assert j["c1"]["answer"]["claims"], "the member has claims"
    assert c["c3"]["answer"]["reject_reason"]["code"] == "subscriber_not_found"


def test_a_claim_inquiry_without_what_the_276_needs_is_invalid_before_sending(core, tmp_path):
    batch = tmp_path / "claims.csv"
    batch.write_text("ref,claim_number\nc1,C71000000102\n")
    out = tmp_path / "r.jsonl"
    r = expect(core.run("claim-status", "--batch", str(batch), "--results", str(out), env=core_env(core)), 1)
    assert "claims.csv:2: member_id" in r.err and "276" in r.err, r.describe()
    assert results(out)["c1"]["outcome"] == "invalid"


def test_the_audit_log_keeps_the_core_identifiers_and_no_phi(core, tmp_path):
    audit = tmp_path / "audit.jsonl"
    expect(core.run("check-eligibility", "--batch", str(EXAMPLES / "eligibility.csv"), "--results",
                    str(tmp_path / "r.jsonl"), env=core_env(core, PROVPORTAL_AUDIT_LOG=str(audit))), 1)
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    assert entries
    isa13 = set()
    for e in entries:
        for key in ("x12_isa13", "x12_gs06", "x12_st02", "x12_trn02", "core_payload_id"):
            assert e.get(key), (key, e)
        assert e["path"] == "/core/soap" and e["kind"] == "inquiry"
        isa13.add(e["x12_isa13"])
    assert len(isa13) == len(entries), "an ISA13 was used twice"
    text = audit.read_text()
    for phi in ("ACM100234", "Whitaker", "1958-03-14", PASSWORD):
        assert phi not in text, phi
    # The next run goes on from the last control number: none repeats across runs.
    audit2 = tmp_path / "audit2.jsonl"
    expect(core.run("check-eligibility", "--batch", str(EXAMPLES / "eligibility.csv"), "--results",
                    str(tmp_path / "r2.jsonl"), "--restart",
                    env=core_env(core, PROVPORTAL_AUDIT_LOG=str(audit2))), 1)
    again = {json.loads(line)["x12_isa13"] for line in audit2.read_text().splitlines()}
    assert not (again & isa13)


def test_what_the_wire_lacks_is_a_usage_error_naming_the_profile_key(core):
    batch = str(EXAMPLES / "eligibility.csv")
    env = core_env(core)
    expect(core.run("check-eligibility", "--batch", batch, env=env, remove_env=("PROVPORTAL_SENDER_ID",)), 2,
           "sender_id", "config set sender_id")
    expect(core.run("check-eligibility", "--batch", batch, env=core_env(core),
                    remove_env=("PROVPORTAL_PAYERS_FILE",)), 2, "payers_file")
    expect(core.run("config", "set", "usage_indicator", "X"), 2, "usage_indicator")
    expect(core.run("config", "set", "core_form", "rest"), 2, "core_form")


def test_a_client_certificate_issued_for_an_account_is_its_core_identity(sandbox_factory, cli_factory, tmp_path):
    """Mutual TLS as CORE's other authentication: with the sandbox requiring client certificates,
    a certificate whose CN is an account's email answers with no UsernameToken (no password
    anywhere in the profile); a certificate for no account is an authentication error naming the profile's keys."""
    sb = sandbox_factory()
    email = make_active_user(sb, cli_factory(sb))
    mine, nobody = tmp_path / "mine", tmp_path / "nobody"
    for where, cn in ((mine, email), (nobody, "nobody@example.com")):
        sb.admin("issue-client-cert", "--cn", cn, "--cert", str(where) + ".pem", "--key", str(where) + ".key")
    port = sb.port
    sb.stop()
    sb.start(listen=f"127.0.0.1:{port}", extra_args=[*sb.extra_args, "--client-ca", str(sb.ca)])
    cli = cli_factory(sb)
    args = ["check-eligibility", "--member-id", "ACM100234", "--first-name", "James", "--last-name", "Whitaker",
            "--dob", "1958-03-14", "--health-plan", "acme-commercial", "--provider-npi", "1234567893",
            "--service-date", "2026-11-16", "-o", "json"]

    def over(cert: Path, form: str):
        return cli.run(*args, env=core_env(cli, form, PROVPORTAL_CLIENT_CERT=str(cert) + ".pem",
                                           PROVPORTAL_CLIENT_KEY=str(cert) + ".key"))

    for form in ("soap", "mime"):
        answer = expect(over(mine, form), 0).json()
        assert answer["active"] is True and answer["member"]["member_id"] == "ACM100234", answer
        expect(over(nobody, form), 4, "client_cert and client_key")


def test_wrong_credentials_stop_the_run_naming_the_profiles_secrets(core, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password\n")
    wrong.chmod(0o600)
    env = core_env(core)
    expect(core.run("config", "set", "password_file", str(wrong)), 0)
    r = expect(core.run("check-eligibility", "--batch", str(EXAMPLES / "eligibility.csv"), env=env), 4,
               "password_file")
    assert "not the password" not in r.err + r.out


def _journal_rows(state: Path) -> int:
    total = 0
    for db in state.glob("**/*.db"):
        out = subprocess.run(["sqlite3", f"file:{db}?mode=ro", "SELECT count(*) FROM rows"],
                             capture_output=True, text=True, timeout=5)
        try:
            total = max(total, int(out.stdout.strip() or 0))
        except ValueError:
            pass
    return total


def test_faults_and_three_kills_end_with_one_result_per_row_and_each_trace_answered_once(
        sandbox_factory, cli_factory, tmp_path):
    """Issue #14's acceptance: a batch over CORE under 20 % faults (AAA 42, 503, connections
    dropped before and after the payer answered) and three kill -9 + --resume ends with exactly
    one result per row, and the payer saw each row under one trace number (a resumed or retried
    row sends its own trace again, never a new one)."""
    sandbox = sandbox_factory(extra_args=[
        "--faults", "rate=0.2,kinds=core-42+503+reset+reset-after,seed=11,paths=/core"])
    cli = cli_factory(sandbox)
    email = make_active_user(sandbox, cli)
    password_file = cli.home / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    expect(cli.run("config", "set", "email", email), 0)
    expect(cli.run("config", "set", "password_file", str(password_file)), 0)
    n = 600
    src = write_eligibility_rows(tmp_path / "b.csv", n)
    out = tmp_path / "r.jsonl"
    args = ["check-eligibility", "--batch", str(src), "--results", str(out), "--max-attempts", "12",
            "--concurrency", "4"]
    env = cli.env(core_env(cli))
    state = cli.home / "state"
    done = 0
    for k in range(3):
        proc = subprocess.Popen([str(cli.binary), *args, *(["--resume"] if k else []), "--rate", "60"],
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        # Killed once the journal holds some more rows than the last run left.
        deadline = time.time() + 60
        while time.time() < deadline and _journal_rows(state) < done + 40 and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, f"the run ended before it was killed: {proc.stderr.read()}"
        proc.kill()
        proc.wait(timeout=30)
        assert not out.exists(), "a results file appears only when it is complete"
        assert _journal_rows(state) > done
        done = _journal_rows(state)
    r = expect(cli.run(*args, "--resume", env=core_env(cli), timeout=300), 0)
    assert "retried" in r.err, r.describe()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["line"] for row in rows] == list(range(2, n + 2))
    assert all(row["outcome"] == "ok" for row in rows), [row for row in rows if row["outcome"] != "ok"][:3]
    db = sandbox.data_dir / "portal.db"
    query = "SELECT count(*), count(DISTINCT trace) FROM core_traces WHERE transaction_set = '270'"
    traces = subprocess.run(["sqlite3", f"file:{db}?mode=ro", query], capture_output=True, text=True, timeout=10)
    assert traces.stdout.strip() == f"{n}|{n}", traces
