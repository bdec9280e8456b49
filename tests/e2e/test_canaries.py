"""Canaries (issue #6): unique strings planted in a member roster row, the user's names, password
and second factor travel through every subcommand at -vv (text and JSON logs); none may surface
where the user did not ask for it.

Searched: the stderr of every run (logs, progress, summaries, error messages) and every file the
CLI leaves under its HOME and XDG directories. Allowed, and excluded explicitly:
- stdout, which is the machine output the user asked for (whoami, check-eligibility answers, the
  TOTP enrolment that prints its secret on purpose);
- the --results file, which is the user's requested data;
- the session cache (config/provportal/sessions/*.json), which holds the token by design (0600);
- the batch journal (state/provportal/journals/*.db*), which keeps the answered rows' results so
  that --resume can write the results file: the same data as the results file, by design, in a
  0600 file (asserted here);
- the files the test itself wrote (batch input, password files, the TOTP secret file).
The test also proves the canaries did travel: they are in the results file and in stdout.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from conftest import REPO, expect, session_tokens, totp, unique_email

CANARY_MEMBER = {"member_id": "ACM987123", "first_name": "Zqxcanaryfirst", "last_name": "Zqxcanarylast",
                 "date_of_birth": "1961-07-19", "plan": "acme-commercial", "coverage_start": "2020-01-01",
                 "coverage_end": None}
# A second canary the roster does not hold: the portal rejects it (subscriber not found).
GHOST = {"member_id": "ACM987456", "first_name": "Zqxghostfirst", "last_name": "Zqxghostlast",
         "date_of_birth": "1972-10-23"}
USER_FIRST, USER_LAST = "Zqxuserfirst", "Zqxuserlast"
NEW_FIRST = "Zqxrenamedfirst"
PASSWORD = "Zqxcanary velvet harbor 93"
NEW_PASSWORD = "Zqxcanary amber lantern 17"


@pytest.fixture
def canary_sandbox(sandbox_factory, tmp_path):
    seed = tmp_path / "seed"
    shutil.copytree(REPO / "examples" / "sandbox", seed)
    roster = yaml.safe_load((seed / "members.yaml").read_text())
    roster["members"].append(CANARY_MEMBER)
    (seed / "members.yaml").write_text(yaml.safe_dump(roster, sort_keys=False, allow_unicode=True))
    return sandbox_factory(extra_args=["--seed-dir", str(seed)], log_level="debug")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_canary_in_logs_or_errors(canary_sandbox, cli_factory, tmp_path, log_format):
    sb = canary_sandbox
    cli = cli_factory(sb)
    cli.global_args = ["-v", "-v", "--log-format", log_format]
    canaries: dict[str, str] = {
        "member id": CANARY_MEMBER["member_id"], "member first name": CANARY_MEMBER["first_name"],
        "member last name": CANARY_MEMBER["last_name"], "member DOB": CANARY_MEMBER["date_of_birth"],
        "ghost id": GHOST["member_id"], "ghost first name": GHOST["first_name"],
        "ghost last name": GHOST["last_name"], "ghost DOB": GHOST["date_of_birth"],
        "password": PASSWORD, "new password": NEW_PASSWORD,
    }
    email = unique_email("zqx")

    def codes_now(secret):
        now = sb.now().timestamp()
        return {totp(secret, now + d) for d in (-30, 0, 30, 60)}

    # register, verify-email, login with the emailed passcode, whoami, update-profile
    expect(cli.run("register", "--provider-type", "physician", "--npi", "1234567893", "--tax-id", "36-1234567",
                   "--first-name", USER_FIRST, "--last-name", USER_LAST, "--email", email, "--phone", "312-555-0142",
                   "--fax", "312-555-0143", "--accept-terms", "--password-stdin", stdin=PASSWORD + "\n"), 0)
    sb.admin("approve", email)
    canaries["verification code"] = sb.latest_code(email, "verify-email")
    expect(cli.run("verify-email", "--email", email, "--code", canaries["verification code"]), 0)
    expect(cli.login_email(email, PASSWORD), 0)
    canaries["email passcode"] = sb.latest_code(email)
    tokens = session_tokens(cli)
    assert whoami_names(cli) == (USER_FIRST, USER_LAST)
    expect(cli.run("update-profile", "--first-name", NEW_FIRST), 0)
    assert whoami_names(cli)[0] == NEW_FIRST

    # TOTP: enrol (its stdout prints the secret on purpose), log out, log in with TOTP
    secret_file = cli.home / "totp.secret"
    expect(cli.run("update-profile", "--enroll-totp", "--totp-secret-out", str(secret_file)), 0)
    secret = secret_file.read_text().strip()
    canaries["totp secret"] = secret
    for i, c in enumerate(sorted(codes_now(secret))):
        canaries[f"totp code {i}"] = c
    expect(cli.run("logout"), 0)
    sb.clock_advance("31s")
    for i, c in enumerate(sorted(codes_now(secret))):
        canaries[f"totp login code {i}"] = c
    expect(cli.login_totp(email, secret_file, PASSWORD), 0)
    tokens += session_tokens(cli)

    # eligibility: the canary member by flags, a ghost by flags (an error message), a batch
    m = CANARY_MEMBER
    one = ["check-eligibility", "--member-id", m["member_id"], "--first-name", m["first_name"], "--last-name",
           m["last_name"], "--dob", m["date_of_birth"], "--health-plan", m["plan"], "--provider-npi", "1234567893",
           "--service-date", "2026-11-16", "-o", "json"]
    r = expect(cli.run(*one), 0)
    assert r.json()["member"]["last_name"] == m["last_name"], "the canary went through the portal"
    wrong = list(one)
    wrong[wrong.index("--first-name") + 1] = GHOST["first_name"]
    expect(cli.run(*wrong), 6, "name")
    ghost = ["check-eligibility", "--member-id", GHOST["member_id"], "--first-name", GHOST["first_name"],
             "--last-name", GHOST["last_name"], "--dob", GHOST["date_of_birth"], "--health-plan", "acme-commercial",
             "--provider-npi", "1234567893", "--service-date", "2026-11-16"]
    expect(cli.run(*ghost), 6)
    bad_dob = list(one)
    bad_dob[bad_dob.index("--dob") + 1] = "1961-02-30"
    expect(cli.run(*bad_dob), 3, "date_of_birth")
    canaries["invalid DOB"] = "1961-02-30"

    batch = cli.home / "canary.csv"
    batch.write_text(
        "ref,member_id,first_name,last_name,date_of_birth,health_plan,provider_npi,service_date\n"
        f"c1,{m['member_id']},{m['first_name']},{m['last_name']},{m['date_of_birth']},{m['plan']},1234567893,2026-11-16\n"
        f"c2,{GHOST['member_id']},{GHOST['first_name']},{GHOST['last_name']},{GHOST['date_of_birth']},acme-commercial,1234567893,2026-11-16\n"
        f"c3,{m['member_id']},{GHOST['first_name']},{m['last_name']},{m['date_of_birth']},{m['plan']},1234567893,2026-11-16\n"
        f"c4,{m['member_id']},{m['first_name']},{m['last_name']},1961-02-30,{m['plan']},1234567893,2026-11-16\n")
    results = cli.home / "results.jsonl"
    expect(cli.run("check-eligibility", "--batch", str(batch), "--results", str(results)), 1)
    rows = [json.loads(x) for x in results.read_text().splitlines()]
    assert [x["outcome"] for x in rows] == ["ok", "rejected", "rejected", "invalid"], rows
    assert m["last_name"] in results.read_text(), "the canary reached the results file (allowed there)"
    expect(cli.run("check-eligibility", "--batch", str(batch), "--dry-run"), 1)

    # claim status by member: the canary (no claims: an empty answer), the ghost (rejected), and
    # the canary again with --since last, whose watermark file must not name the member
    claims = ["claim-status", "--member-id", m["member_id"], "--dob", m["date_of_birth"], "--provider-npi",
              "1234567893", "--service-from", "2026-01-01", "--service-to", "2026-11-30", "-o", "json"]
    assert expect(cli.run(*claims), 0).json() == []
    expect(cli.run(*claims, "--since", "last"), 0)
    ghost_claims = list(claims)
    ghost_claims[ghost_claims.index(m["member_id"])] = GHOST["member_id"]
    ghost_claims[ghost_claims.index(m["date_of_birth"])] = GHOST["date_of_birth"]
    expect(cli.run(*ghost_claims), 6, "subscriber not found")
    # A case whose attachment is named after the member: uploaded in the same run; the audit log
    # keeps the hash of the file's name, never the name.
    notes = cli.home / f"{m['last_name']}-{m['first_name']}-notes.pdf"
    shutil.copy(REPO / "examples" / "documents" / "clinical-notes.pdf", notes)
    r = expect(cli.run("submit-case", "--ref", "canary-case", "--health-plan", m["plan"], "--solution", "sleep",
                       "--member-id", m["member_id"], "--first-name", m["first_name"], "--last-name", m["last_name"],
                       "--dob", m["date_of_birth"], "--ordering-npi", "1234567893", "--servicing-npi", "1245319599",
                       "--procedure", "95810:1", "--diagnosis", "G47.33", "--service-start", "2026-12-01",
                       "--service-end", "2026-12-31", "--answer", "q1=14", "--answer", "q2=no", "--attach", str(notes),
                       "-o", "json"), 0)
    assert r.json()["documents_uploaded"] == 1, r.describe()

    # change the password; config; log out
    new_pw = cli.home / "new-password"
    new_pw.write_text(NEW_PASSWORD + "\n")
    expect(cli.run("update-profile", "--change-password", "--password-stdin", "--new-password-file", str(new_pw),
                   stdin=PASSWORD + "\n"), 0)
    expect(cli.login_email(email, PASSWORD), 4)  # the old password: an error message
    expect(cli.login_email(email, NEW_PASSWORD, "--mfa", "email"), 0)
    canaries["email passcode 2"] = sb.latest_code(email)
    tokens += session_tokens(cli)
    expect(cli.run("whoami", "-o", "yaml"), 0)
    expect(cli.run("config", "set", "email", email), 0)
    expect(cli.run("config", "list"), 0)
    expect(cli.run("config", "get", "email"), 0)
    expect(cli.run("config", "path"), 0)
    expect(cli.run("logout"), 0)
    expect(cli.run("whoami"), 4, "provportal login")  # logged out: an error message

    assert tokens, "no session token was cached"
    for i, t in enumerate(tokens):
        canaries[f"session token {i}"] = t
    canaries["user first name"] = USER_FIRST
    canaries["user last name"] = USER_LAST
    canaries["renamed first name"] = NEW_FIRST

    # -vv did log, in the format asked for.
    all_err = "".join(r.err for r in cli.transcript)
    assert len(all_err.splitlines()) > 20, "-v -v logged almost nothing"
    if log_format == "json":
        assert any(line.startswith("{") and '"level"' in line for line in all_err.splitlines()), all_err[:2000]

    places = [(f"stderr of `provportal {' '.join(r.args[1:])}`", r.err) for r in cli.transcript]
    allowed_files = {batch, results, secret_file, new_pw, notes}
    journals = []
    for path in sorted(cli.home.rglob("*")):
        if not path.is_file() or path in allowed_files:
            continue
        if path.parent.name == "sessions" and path.suffix == ".json":
            continue  # the session cache holds the token by design
        if path.parent.name == "journals" and ".db" in path.name:
            assert (path.stat().st_mode & 0o077) == 0, f"{path} holds PHI and is readable by others"
            journals.append(path)
            continue  # the resumable copy of the results (see the module's docstring)
        places.append((f"file {path}", path.read_text(errors="replace")))
    assert journals, "expected a batch journal under the state directory"
    # The audit log was among the files searched, and the canaries' requests went through it.
    audit = cli.home / "state" / "provportal" / "audit.jsonl"
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    assert sum(e["kind"] == "inquiry" for e in entries) >= 4, entries
    assert any(e["path"].endswith("/documents") and e.get("file_name_sha256") for e in entries), entries
    assert any(where == f"file {audit}" for where, _ in places)

    leaks = []
    for where, text in places:
        for what, value in canaries.items():
            hit = re.search(rf"(?<!\d){re.escape(value)}(?!\d)", text) if value.isdigit() else value in text
            if hit:
                leaks.append(f"{what} ({value!r}) in {where}")
    assert not leaks, "canaries leaked:\n" + "\n".join(leaks)


def whoami_names(cli) -> tuple[str, str]:
    me = expect(cli.run("whoami", "-o", "json"), 0).json()
    user = me.get("user", me)
    return user["first_name"], user["last_name"]
