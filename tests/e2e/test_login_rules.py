"""Login rules of SPEC §2: one-time passcodes (single use, 10-minute expiry), TOTP replay,
password expiry."""

from __future__ import annotations

import datetime as dt
import time

from conftest import (
    NEW_PASSWORD,
    PASSWORD,
    api,
    enroll_totp,
    expect,
    iso,
    make_active_user,
    parse_time,
    totp,
    whoami,
)


def test_email_passcode_works_once(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    used = sandbox.latest_code(email)
    expect(cli.run("logout"), 0)

    # The CLI: the code already used does not log in again.
    r = expect(cli.run("login", "--email", email, "--password-stdin", "--mfa", "email", "--otp-code", used,
                       stdin=PASSWORD + "\n"), 4)
    assert not cli.session_file().exists(), "a failed login must not leave a session"
    expect(cli.run("whoami", "-o", "json"), 4)

    # The API: within one sign-in attempt the same code is refused the second time.
    login = api(sandbox, "POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    assert login.status == 200, login
    mfa = login.body["mfa_token"]
    sent = api(sandbox, "POST", "/v1/auth/mfa/email", {"mfa_token": mfa})
    assert sent.status == 202, sent
    code = sandbox.latest_code(email)
    first = api(sandbox, "POST", "/v1/auth/mfa/verify", {"mfa_token": mfa, "factor": "email", "code": code})
    assert first.status == 200 and first.body.get("token"), first
    again = api(sandbox, "POST", "/v1/auth/mfa/verify", {"mfa_token": mfa, "factor": "email", "code": code})
    assert again.status == 401, again


def test_email_passcode_expires_after_10_minutes(sandbox, cli):
    email = make_active_user(sandbox, cli)
    # The --otp-command moves the portal's clock before it reads the code: the code was sent
    # (and the sign-in attempt started) 11 minutes "ago" when the CLI submits it.
    late = cli.login_email(email, before=sandbox.admin_command("clock", "advance", "11m"))
    expect(late, 4, "expired")
    assert not cli.session_file().exists()
    # 9 minutes is still in time.
    expect(cli.login_email(email, before=sandbox.admin_command("clock", "advance", "9m")), 0)


def test_wrong_second_factor_is_an_auth_error(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    secret_file, secret = enroll_totp(sandbox, cli)
    expect(cli.run("logout"), 0)
    sandbox.clock_advance("31s")
    now = sandbox.now().timestamp()
    wrong = next(c for c in ("000000", "111111", "222222", "333333")
                 if c not in {totp(secret, now + d) for d in (-30, 0, 30, 60)})
    # The hint names the factor in play: the app's 30-second codes, not emailed ones.
    r = expect(cli.run("login", "--email", email, "--password-stdin", "--mfa", "totp", "--otp-code", wrong,
                       stdin=PASSWORD + "\n"), 4, "authenticator", "30 seconds")
    assert "email" not in r.err.lower().replace(email.lower(), ""), r.describe()
    assert not cli.session_file().exists()


def test_totp_code_is_refused_when_replayed(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    secret_file, secret = enroll_totp(sandbox, cli)
    expect(cli.run("logout"), 0)

    sandbox.clock_advance("31s")  # past the step the enrolment's confirmation used
    code = totp(secret, sandbox.now().timestamp())
    login = ["login", "--email", email, "--password-stdin", "--mfa", "totp", "--otp-code", code]
    expect(cli.run(*login, stdin=PASSWORD + "\n"), 0)
    expect(cli.run("logout"), 0)
    expect(cli.run(*login, stdin=PASSWORD + "\n"), 4)
    assert not cli.session_file().exists()


def test_expired_password_must_be_changed_at_login(sandbox, cli):
    email = make_active_user(sandbox, cli)
    sandbox.admin("settings", "--password-max-age-days", "30")
    sandbox.clock_advance("31d")
    sandbox.admin("unlock", email)  # 31 days is not inactive yet, but make sure of it

    # Unattended (stdin is not a terminal) and no new password given: a clear auth error that
    # names the flag to use.
    passcodes_before = len(sandbox.emails(email, "login-passcode"))
    r = expect(cli.login_email(email), 4, "expired", "--new-password-file")
    assert not cli.session_file().exists()
    # It stopped before the second factor: no emailed passcode was spent for nothing.
    assert len(sandbox.emails(email, "login-passcode")) == passcodes_before

    new_file = cli.home / "new-password"
    new_file.write_text(NEW_PASSWORD + "\n")
    new_file.chmod(0o600)
    expect(cli.login_email(email, PASSWORD, "--new-password-file", str(new_file)), 0)
    profile = whoami(cli)
    assert profile["status"] == "active"
    assert parse_time(profile["password_expires_at"]) > sandbox.now() + dt.timedelta(days=29), profile

    expect(cli.run("logout"), 0)
    expect(cli.login_email(email, PASSWORD), 4)
    expect(cli.login_email(email, NEW_PASSWORD), 0)


def test_password_expiry_can_be_switched_off(sandbox, cli):
    email = make_active_user(sandbox, cli)
    sandbox.admin("settings", "--password-max-age-days", "0")
    sandbox.clock_advance("100d")
    sandbox.admin("unlock", email)  # 100 days without a login: reactivate the inactive account
    expect(cli.login_email(email), 0)
    assert whoami(cli)["password_expires_at"] is None


def _lock_out(cli, email):
    for _ in range(5):
        r = cli.run("login", "--email", email, "--password-stdin", "--mfa", "email", "--otp-code", "000000",
                    stdin="wrong horse battery staple\n")
        expect(r, 4)
    expect(cli.login_email(email), 4, "locked until")


def test_completed_admin_password_reset_clears_the_lockout(sandbox, cli):
    # Issue #13, item 8: the identity provider's rule: a completed reset unlocks the account.
    email = make_active_user(sandbox, cli)
    _lock_out(cli, email)
    r = expect(cli.login_email(email), 4, "locked until")
    assert "reset" in r.err, f"the lockout should say that an administrator's reset also unlocks:{r.describe()}"
    sandbox.admin("reset-password", email)
    code = sandbox.latest_code(email, "password-reset")
    expect(cli.run("reset-password", "--email", email, "--code", code, "--password-stdin",
                   stdin=NEW_PASSWORD + "\n"), 0)
    # At once, not 15 minutes later: the clock has not moved.
    expect(cli.login_email(email, NEW_PASSWORD), 0)
    assert whoami(cli)["email"] == email


def test_a_wrong_reset_code_while_locked_cancels_the_reset(sandbox, cli):
    # Unlocking by reset must not open a way to guess codes while locked: one wrong code cancels.
    email = make_active_user(sandbox, cli)
    _lock_out(cli, email)
    sandbox.admin("reset-password", email)
    code = sandbox.latest_code(email, "password-reset")
    wrong = "00000000" if code != "00000000" else "11111111"
    r = expect(cli.run("reset-password", "--email", email, "--code", wrong, "--password-stdin",
                       stdin=NEW_PASSWORD + "\n"), 4, "locked", "ask your administrator to send a new one")
    assert wrong not in r.err + r.out
    # The right code no longer works; the account stays locked until the lock ends.
    expect(cli.run("reset-password", "--email", email, "--code", code, "--password-stdin",
                   stdin=NEW_PASSWORD + "\n"), 4, "locked")
    expect(cli.login_email(email, NEW_PASSWORD), 4, "locked until")
    sandbox.clock_advance("16m")
    expect(cli.login_email(email, PASSWORD), 0)


# ---- TOTP: spent steps and the factor in the hints (issue #13 item 5) ---------------------------


def _at_step_start(sandbox) -> None:
    """Moves the portal's clock to the first second of its next 30-second TOTP step, so that what
    follows within a few seconds happens inside one step."""
    now = sandbox.now()
    ahead = 30 - int(now.timestamp()) % 30
    sandbox.clock_set(iso(now + dt.timedelta(seconds=ahead)))


def _verify_refusals(result) -> list[str]:
    return [line for line in result.err.splitlines() if "/v1/auth/mfa/verify -> 401" in line]


def test_login_right_after_enrolment_never_sends_a_spent_totp_code(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    _at_step_start(sandbox)
    secret_file, _ = enroll_totp(sandbox, cli)  # the confirmation spends this step's code

    # The same 30 seconds: the CLI knows the step was spent and sends the next one's code, which
    # the portal accepts, so no failed attempt counts towards a lockout.
    cli.global_args = ["-vv", "-o", "json"]  # the debug log shows every exchange
    first = expect(cli.login_totp(email, secret_file), 0)
    assert first.json()["factor"] == "totp", first.describe()
    assert not _verify_refusals(first), first.describe()

    # At once again: this step and the next are both spent, so the CLI waits for the step after
    # (up to 30 s) instead of sending a code the portal would refuse.
    started = time.monotonic()
    second = expect(cli.login_totp(email, secret_file), 0, "was used already; waiting")
    assert not _verify_refusals(second), second.describe()
    assert time.monotonic() - started <= 40, second.describe()
    memory = list((cli.home / "config" / "provportal" / "sessions").glob("totp-*.step"))
    assert len(memory) == 1 and oct(memory[0].stat().st_mode & 0o777) == "0o600", memory
    assert secret_file.read_text().strip() not in memory[0].read_text()


def test_totp_hints_name_the_authenticator_app_not_emailed_codes(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    # A wrong confirmation code at enrolment: the hint says how to enrol again.
    r = expect(cli.run("update-profile", "--enroll-totp", "--otp-code", "000000",
                       "--totp-secret-out", str(cli.home / "totp.secret")), 4, "--enroll-totp", "authenticator")
    assert "email" not in r.err.lower(), r.describe()
    # (A wrong app code at login: test_wrong_second_factor_is_an_auth_error.)

    # An emailed passcode's hint still speaks of the email.
    r = expect(cli.run("login", "--email", email, "--password-stdin", "--mfa", "email", "--otp-code", "000000",
                       stdin=PASSWORD + "\n"), 4, "email")
