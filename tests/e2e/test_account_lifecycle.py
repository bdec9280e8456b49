"""The account lifecycle of SPEC §2 "Accounts", end to end through `provportal`."""

from __future__ import annotations

import datetime as dt
import re
import stat
import subprocess

from conftest import (
    NEW_PASSWORD,
    REPO,
    api,
    session_tokens,
    PASSWORD,
    TWO_ORG_NPI,
    UNKNOWN_NPI,
    enroll_totp,
    expect,
    expect_rc,
    iso,
    make_active_user,
    unique_email,
    whoami,
)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _hhmm_set(times, offset_hours: int) -> set[str]:
    return {(t + dt.timedelta(hours=offset_hours)).strftime("%H:%M") for t in times}


def test_acceptance_flow(sandbox, cli):
    email = unique_email()

    # Register: pending review, a "registration received" email, no session.
    r = expect(cli.register(email), 0)
    assert "pending_review" in r.out, f"register should print the status pending_review:{r.describe()}"
    assert r.json()["status"] == "pending_review", r.describe()
    assert sandbox.emails(to=email, purpose="registration-received"), "no registration-received email"

    # Logging in before the review is refused (the right password: the state may be told).
    r = expect(cli.login_email(email), 4, "pending review")
    assert not cli.session_file().exists()

    # The administrator approves: a verification email appears.
    sandbox.admin("approve", email)
    verify_mails = sandbox.emails(to=email, purpose="verify-email")
    assert len(verify_mails) == 1, sandbox.emails()

    # Verify the email address with the code, fetched by the example script.
    p = subprocess.run(
        ["sh", "examples/otp-from-outbox.sh", str(sandbox.data_dir), email, "verify-email"],
        capture_output=True, text=True, timeout=30, cwd=REPO,
    )
    assert p.returncode == 0, p.stderr
    code = p.stdout.strip()
    assert re.fullmatch(r"\d{8}", code), p.stdout
    assert code == sandbox.latest_code(email, "verify-email")
    expect(cli.run("verify-email", "--email", email, "--code", code), 0)

    # Log in with the emailed passcode fetched by --otp-command, as a cron job would.
    expect(cli.login_email(email), 0)
    session = cli.session_file()
    assert session.is_file(), f"no session cached at {session}"
    assert _mode(session) == 0o600, f"{session} has mode {oct(_mode(session))}, want 0600"
    assert _mode(session.parent) & 0o077 == 0, f"{session.parent} is readable by others: {oct(_mode(session.parent))}"

    profile = whoami(cli)
    assert profile["email"] == email
    assert profile["status"] == "active"
    assert profile["totp_enrolled"] is False
    assert profile["organization"]["id"] == "org_lakeshore", profile
    assert profile["organization"]["npi"] == "1234567893", profile

    # Enrol an authenticator app: the secret goes to a 0600 file; the CLI confirms by itself.
    secret_file, secret = enroll_totp(sandbox, cli)
    assert _mode(secret_file) == 0o600, f"{secret_file} has mode {oct(_mode(secret_file))}, want 0600"
    assert whoami(cli)["totp_enrolled"] is True

    # Log out: the session is gone, locally and on the server.
    tokens = session_tokens(cli)
    assert tokens, f"no token in {session}"
    expect(cli.run("logout"), 0)
    expect(cli.run("whoami", "-o", "json"), 4, "provportal login")
    for token in tokens:
        answer = api(sandbox, "GET", "/v1/profile", token=token)
        assert answer.status == 401, f"the token still works after logout: {answer}"

    # Log in unattended with the TOTP secret file. The enrolment used the current 30-second step
    # and a code is accepted once, so move on to the next step first (as any human would have).
    sandbox.clock_advance("31s")
    emails_before = len(sandbox.emails(to=email, purpose="login-passcode"))
    expect(cli.login_totp(email, secret_file), 0)
    assert len(sandbox.emails(to=email, purpose="login-passcode")) == emails_before, \
        "a TOTP login must not send an email passcode"
    assert whoami(cli)["status"] == "active"

    # Five wrong passwords lock the account for 15 minutes; the message says until when, both in
    # local time (TZ is America/Chicago, CST in November) and in UTC.
    for attempt in range(1, 5):
        r = expect(cli.login_totp(email, secret_file, "wrong horse battery staple"), 4)
        assert "locked" not in r.err.lower(), f"attempt {attempt} must not lock yet:{r.describe()}"
    before = sandbox.now()
    r = expect(cli.login_totp(email, secret_file, "wrong horse battery staple"), 4, "locked until")
    after = sandbox.now()
    lock_ends = [before + dt.timedelta(minutes=15), after + dt.timedelta(minutes=15)]
    local = re.search(r"locked until (\d\d:\d\d)", r.err)
    assert local and local.group(1) in _hhmm_set(lock_ends, -6), \
        f"want 'locked until' + local time {sorted(_hhmm_set(lock_ends, -6))} (CST):{r.describe()}"
    assert any(t in r.err for t in _hhmm_set(lock_ends, 0)), \
        f"want the UTC time {sorted(_hhmm_set(lock_ends, 0))} too:{r.describe()}"
    # The right password is refused too while locked.
    expect(cli.login_totp(email, secret_file), 4, "locked until")

    # After 16 minutes the lock is over.
    sandbox.clock_advance("16m")
    expect(cli.login_totp(email, secret_file), 0)

    # 46 days without a login: inactive.
    sandbox.clock_advance("46d")
    expect(cli.login_totp(email, secret_file), 4, "inactive")

    # Disabled: only a new registration helps.
    sandbox.admin("disable", email)
    expect(cli.login_totp(email, secret_file), 4, "disabled", "register again")

    # ... and registering again with the same email works.
    r = expect(cli.register(email), 0)
    assert r.json()["status"] == "pending_review", r.describe()


def test_totp_code_from_oathtool_is_accepted(sandbox, cli):
    """An independent TOTP implementation (oathtool) agrees with the sandbox, on the real clock."""
    # Enrol two minutes in the (real) past, so the code used to confirm the enrolment is from an
    # earlier step than the one oathtool computes: a code is never accepted twice.
    real_now = dt.datetime.now(dt.timezone.utc)
    sandbox.clock_set(iso(real_now - dt.timedelta(minutes=2)))
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    secret_file, secret = enroll_totp(sandbox, cli)
    expect(cli.run("logout"), 0)

    sandbox.clock_reset()
    code = subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True, text=True, check=True).stdout.strip()
    assert re.fullmatch(r"\d{6}", code)
    expect(cli.run("login", "--email", email, "--password-stdin", "--mfa", "totp", "--otp-code", code,
                   stdin=PASSWORD + "\n"), 0)
    assert whoami(cli)["totp_enrolled"] is True


def test_register_needs_organization_choice_when_npi_is_shared(sandbox, cli):
    email = unique_email()
    r = cli.register(email, npi=TWO_ORG_NPI)
    expect_rc(r, {2, 6}, "(several organisations have this NPI)")
    assert "--organization-id" in r.err, f"the error should name --organization-id:{r.describe()}"
    # The choices are shown, so the user can pick one.
    assert "org_riverside_cardio_north" in r.err + r.out, r.describe()
    assert sandbox.registrations() == []

    r = expect(cli.register(email, "violet kettle sunrise", "--organization-id", "org_riverside_cardio_north",
                            npi=TWO_ORG_NPI), 0)
    out = r.json()
    assert out["status"] == "pending_review"
    assert out["organization"]["id"] == "org_riverside_cardio_north", r.describe()


def test_an_npi_with_no_organisation_on_file_is_refused(sandbox, cli):
    # Issue #13, item 2: the portal does not make up "Organization 1987654328".
    email = unique_email()
    r = expect(cli.register(email, npi=UNKNOWN_NPI, tax_id="36-1234567"), 6,
               "no organisation with NPI " + UNKNOWN_NPI, "call the health plan", "1-800-555-0100")
    assert sandbox.registrations() == [], "a registration was stored for an unknown NPI"
    assert sandbox.emails(to=email) == []
    assert "Organization " + UNKNOWN_NPI not in r.out + r.err


def test_the_tax_id_must_match_the_organisations_and_the_reviewer_sees_it(sandbox, cli):
    # Issue #13, item 2: a physician's Tax ID must be the organisation's on file; the error names
    # the field, never the value.
    email = unique_email()
    r = expect(cli.register(email, tax_id="37-7654321"), 6, "tax_id", "tax id")
    assert "7654321" not in r.err + r.out, f"the Tax ID was echoed:{r.describe()}"
    assert sandbox.registrations() == []
    # Written without the dash it is the same Tax ID.
    expect(cli.register(email, tax_id="361234567"), 0)
    # Several organisations share an NPI: the one chosen decides.
    other = unique_email()
    expect(cli.register(other, PASSWORD, "--organization-id", "org_riverside_cardio_north",
                        npi=TWO_ORG_NPI, tax_id="39-2468135"), 6, "tax_id")
    expect(cli.register(other, PASSWORD, "--organization-id", "org_riverside_cardio_north",
                        npi=TWO_ORG_NPI), 0)
    shown = {reg["email"]: reg for reg in sandbox.registrations()}
    assert shown[email]["tax_id"] == "36-1234567", shown
    assert shown[other]["tax_id"] == "39-2468136" and shown[other]["organization_id"] == "org_riverside_cardio_north"


def test_an_expired_verification_code_can_be_replaced(sandbox, cli):
    # Issue #13, item 1: after 7 days the code is dead; approve and reset-password answer
    # invalid_state and registering again is email_taken, so the way out is a resend.
    email = unique_email()
    expect(cli.register(email), 0)
    sandbox.admin("approve", email)
    old = sandbox.latest_code(email, "verify-email")
    sandbox.clock_advance("8d")
    r = expect(cli.run("verify-email", "--email", email, "--code", old), 4)
    assert "--resend" in r.err, f"the error should name the way out:{r.describe()}"
    assert sandbox.admin("approve", email, check=False).rc != 0

    r = expect(cli.run("verify-email", "--resend", "--email", email, "-o", "json"), 0, "new code")
    assert r.json() == {"email": email, "status": "requested"}, r.describe()
    mails = sandbox.emails(to=email, purpose="verify-email")
    assert len(mails) == 2, mails
    new = sandbox.latest_code(email, "verify-email")
    assert new != old
    expect(cli.run("verify-email", "--email", email, "--code", old), 4)  # old codes are void
    expect(cli.run("verify-email", "--email", email, "--code", new), 0)
    expect(cli.login_email(email), 0)

    # Asking again at once is limited, with the time to wait.
    again = expect(cli.run("verify-email", "--resend", "--email", email), 5, "try again in")
    assert "code" in again.err


def test_resend_answers_the_same_for_any_address_and_is_rate_limited(sandbox, cli):
    email = unique_email()
    expect(cli.register(email), 0)
    sandbox.admin("approve", email)
    nobody = unique_email("nobody")
    answers = {}
    for address in (email, nobody):
        a = api(sandbox, "POST", "/v1/email-verifications/resend", {"email": address})
        assert a.status == 202, a
        answers[address] = {k: v for k, v in a.body.items() if k != "email"}
    assert answers[email] == answers[nobody], answers
    assert sandbox.emails(to=nobody) == []
    assert len(sandbox.emails(to=email, purpose="verify-email")) == 2
    # The limit holds for both alike: no difference to learn from it either.
    for address in (email, nobody):
        a = api(sandbox, "POST", "/v1/email-verifications/resend", {"email": address})
        assert a.status == 429 and a.body["error"]["code"] == "rate_limited", a
        assert 0 < int(a.headers.get("Retry-After", a.headers.get("retry-after", "0"))) <= 60, a
    # A minute later one more is allowed; five a day at most.
    for _ in range(4):
        sandbox.clock_advance("61s")
        assert api(sandbox, "POST", "/v1/email-verifications/resend", {"email": email}).status == 202
    sandbox.clock_advance("61s")
    limited = api(sandbox, "POST", "/v1/email-verifications/resend", {"email": email})
    assert limited.status == 429, limited
    assert len(sandbox.emails(to=email, purpose="verify-email")) == 6  # the approval's and 5 resent
    sandbox.clock_advance("1d")
    assert api(sandbox, "POST", "/v1/email-verifications/resend", {"email": email}).status == 202

    # The administrator's resend is not limited, and needs an account waiting for verification.
    r = sandbox.admin("resend-verification", email)
    assert r.json()["status"] == "email_unverified"
    assert len(sandbox.emails(to=email, purpose="verify-email")) == 8
    expect(cli.run("verify-email", "--email", email, "--code", sandbox.latest_code(email, "verify-email")), 0)
    refused = sandbox.admin("resend-verification", email, check=False)
    assert refused.rc != 0 and "invalid_state" in refused.out + refused.err, refused.describe()


def test_duplicate_registration_is_refused(sandbox, cli):
    email = unique_email()
    expect(cli.register(email), 0)
    r = expect(cli.register(email), 6, "email")
    assert len(sandbox.registrations()) == 1


def test_bad_npi_is_an_input_error_and_nothing_is_sent(sandbox, cli):
    email = unique_email()
    r = expect(cli.register(email, PASSWORD, npi="1234567890"), 3, "npi")
    assert sandbox.registrations() == [], "a registration reached the server"
    assert sandbox.emails(to=email) == [], "an email was sent for an invalid registration"


def test_weak_password_is_an_input_error_and_nothing_is_sent(sandbox, cli):
    email = unique_email()
    r = expect(cli.register(email, "password1"), 3, "password")
    assert sandbox.registrations() == [], "a registration with a weak password reached the server"
    assert PASSWORD not in r.err and "password1" not in r.err + r.out, "the password was echoed"


def test_admin_password_reset(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    sandbox.admin("reset-password", email)
    assert sandbox.emails(to=email, purpose="password-reset")
    p = subprocess.run(["sh", "examples/otp-from-outbox.sh", str(sandbox.data_dir), email, "password-reset"],
                       capture_output=True, text=True, timeout=30, cwd=REPO)
    assert p.returncode == 0, p.stderr
    code = p.stdout.strip()
    assert code == sandbox.latest_code(email, "password-reset")

    expect(cli.run("reset-password", "--email", email, "--code", code, "--password-stdin",
                   stdin=NEW_PASSWORD + "\n"), 0)
    # The reset ends existing sessions.
    expect(cli.run("whoami", "-o", "json"), 4)
    # The old password no longer works; the new one does.
    expect(cli.login_email(email, PASSWORD), 4)
    expect(cli.login_email(email, NEW_PASSWORD), 0)
    assert whoami(cli)["email"] == email
    # A reset code works once. (Which exit code? The contract leaves it open: 4 "auth" or 6
    # "refused" both describe it; 3 would wrongly claim that nothing was sent.)
    r = cli.run("reset-password", "--email", email, "--code", code, "--password-stdin",
                stdin="another fine passphrase 9\n")
    expect_rc(r, {4, 6}, "(a used reset code)")


def test_change_password_and_email_from_profile(sandbox, cli, cli_factory):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)

    new_pw_file = cli.home / "new-password"
    new_pw_file.write_text(NEW_PASSWORD + "\n")
    new_pw_file.chmod(0o600)
    expect(cli.run("update-profile", "--change-password", "--password-stdin", "--new-password-file",
                   str(new_pw_file), stdin=PASSWORD + "\n"), 0)

    expect(cli.run("update-profile", "--phone", "312-555-0199"), 0)
    assert "0199" in whoami(cli)["phone"]

    new_email = unique_email("jane.new")
    expect(cli.run("update-profile", "--email", new_email), 0)
    assert whoami(cli)["email"] == new_email
    assert sandbox.emails(to=email, purpose="email-changed"), "the old address is told about the change"

    # A second account cannot take that email.
    cli_other = cli_factory(sandbox)
    other = make_active_user(sandbox, cli_other)
    expect(cli_other.login_email(other), 0)
    expect(cli_other.run("update-profile", "--email", new_email), 6, "email")

    expect(cli.run("logout"), 0)
    expect(cli.login_email(new_email, PASSWORD), 4)
    expect(cli.login_email(new_email, NEW_PASSWORD), 0)


def test_remove_totp(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    enroll_totp(sandbox, cli)
    assert whoami(cli)["totp_enrolled"] is True
    expect(cli.run("update-profile", "--remove-totp", "--password-stdin", stdin="wrong horse battery staple\n"), 4)
    assert whoami(cli)["totp_enrolled"] is True
    expect(cli.run("update-profile", "--remove-totp", "--password-stdin", stdin=PASSWORD + "\n"), 0)
    assert whoami(cli)["totp_enrolled"] is False


def test_rejected_registration(sandbox, cli):
    email = unique_email()
    expect(cli.register(email), 0)
    sandbox.admin("reject", email)
    r = cli.login_email(email)
    expect(r, 4, "reject")


def test_unverified_email_is_told(sandbox, cli):
    email = unique_email()
    expect(cli.register(email), 0)
    sandbox.admin("approve", email)
    r = expect(cli.login_email(email), 4, "verif")
    assert "not verified" in r.err.lower() or "verify" in r.err.lower(), r.describe()
    # A wrong verification code is refused and nothing changes.
    r = cli.run("verify-email", "--email", email, "--code", "00000000")
    expect_rc(r, {4, 6}, "(a wrong verification code)")
    assert sandbox.registrations()[0]["status"] == "email_unverified"


def test_session_and_account_survive_a_sandbox_restart(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    port = sandbox.port
    sandbox.stop()
    sandbox.start(listen=f"127.0.0.1:{port}")
    profile = whoami(cli)
    assert profile["email"] == email and profile["status"] == "active"
    expect(cli.run("logout"), 0)
    expect(cli.login_email(email), 0)
