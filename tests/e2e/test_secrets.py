"""Secrets never appear in logs or output (SPEC §3): the whole lifecycle at -vv, text and JSON logs.

Collected: stdout and stderr of every CLI run (except the stdout of the TOTP enrolment, which
prints the secret on purpose), every file the CLI left under its HOME/XDG directories (except
the session cache and the files the test itself wrote), and the sandbox's own log at debug level.
Searched for: every password used (and a wrong one), every one-time code used (verification,
email passcodes, TOTP codes, reset code), the TOTP secret, the session tokens read from the cache
file, and anything shaped like a session, MFA, password-change or admin token.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import (
    NEW_PASSWORD,
    PASSWORD,
    THIRD_PASSWORD,
    enroll_totp,
    expect,
    session_tokens,
    totp,
    unique_email,
)

FOURTH_PASSWORD = "saffron tugboat quiet 88"
WRONG_PASSWORD = "wrong horse battery staple"
TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_-])(?:pps|mfa|pwc|adm)_[A-Za-z0-9_-]{20,}")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_in_logs_or_output(sandbox_factory, cli_factory, log_format):
    sandbox = sandbox_factory(log_level="debug")
    cli = cli_factory(sandbox)
    cli.global_args = ["-vv", "--log-format", log_format]
    secrets: dict[str, str] = {
        "password": PASSWORD, "new password": NEW_PASSWORD, "third password": THIRD_PASSWORD,
        "fourth password": FOURTH_PASSWORD, "wrong password": WRONG_PASSWORD,
    }
    tokens: list[str] = []
    excluded = set()  # ids of transcript entries whose stdout is allowed to hold a secret

    def remember_tokens():
        for t in session_tokens(cli):
            tokens.append(t)

    def totp_codes(secret):
        now = sandbox.now().timestamp()
        return {totp(secret, now + d) for d in (-30, 0, 30, 60)}

    email = unique_email()
    expect(cli.register(email), 0)
    sandbox.admin("approve", email)
    secrets["verification code"] = sandbox.latest_code(email, "verify-email")
    expect(cli.run("verify-email", "--email", email, "--code", secrets["verification code"]), 0)

    expect(cli.login_email(email), 0)
    secrets["email passcode 1"] = sandbox.latest_code(email)
    remember_tokens()
    expect(cli.run("whoami", "-o", "json"), 0)

    secret_file, secret = enroll_totp(sandbox, cli)
    excluded.add(id(cli.transcript[-1]))
    secrets["totp secret"] = secret
    for i, c in enumerate(sorted(totp_codes(secret))):
        secrets[f"totp code (enrolment) {i}"] = c
    expect(cli.run("logout"), 0)

    sandbox.clock_advance("31s")
    for i, c in enumerate(sorted(totp_codes(secret))):
        secrets[f"totp code (login) {i}"] = c
    expect(cli.login_totp(email, secret_file), 0)
    remember_tokens()

    new_pw = cli.home / "new-password"
    new_pw.write_text(NEW_PASSWORD + "\n")
    new_pw.chmod(0o600)
    expect(cli.run("update-profile", "--change-password", "--password-stdin", "--new-password-file", str(new_pw),
                   stdin=PASSWORD + "\n"), 0)
    expect(cli.login_totp(email, secret_file, WRONG_PASSWORD), 4)

    sandbox.admin("reset-password", email)
    secrets["reset code"] = sandbox.latest_code(email, "password-reset")
    expect(cli.run("reset-password", "--email", email, "--code", secrets["reset code"], "--password-stdin",
                   stdin=THIRD_PASSWORD + "\n"), 0)
    expect(cli.login_email(email, THIRD_PASSWORD, "--mfa", "email"), 0)
    secrets["email passcode 2"] = sandbox.latest_code(email)
    remember_tokens()
    expect(cli.run("update-profile", "--remove-totp", "--password-stdin", stdin=THIRD_PASSWORD + "\n"), 0)

    # An expired password changed at login (a password-change token goes by).
    sandbox.admin("settings", "--password-max-age-days", "1")
    sandbox.clock_advance("2d")
    fourth = cli.home / "fourth-password"
    fourth.write_text(FOURTH_PASSWORD + "\n")
    fourth.chmod(0o600)
    expect(cli.login_email(email, THIRD_PASSWORD, "--new-password-file", str(fourth)), 0)
    secrets["email passcode 3"] = sandbox.latest_code(email)
    remember_tokens()
    expect(cli.run("whoami"), 0)
    expect(cli.run("logout"), 0)

    assert tokens, f"no session token found in {cli.session_file()}"
    for i, t in enumerate(tokens):
        secrets[f"session token {i}"] = t
    secrets["admin token"] = (sandbox.data_dir / "admin-token").read_text().strip()

    # -vv says something on stderr; with --log-format json, log lines are JSON objects.
    all_err = "".join(r.err for r in cli.transcript)
    assert all_err.strip(), "-vv logged nothing at all"
    if log_format == "json":
        json_lines = []
        for line in all_err.splitlines():
            try:
                if isinstance(json.loads(line), dict):
                    json_lines.append(line)
            except ValueError:
                pass
        assert json_lines, f"--log-format json wrote no JSON log line:\n{all_err[:3000]}"

    # Gather what must be clean.
    places: list[tuple[str, str]] = []
    for r in cli.transcript:
        shown = " ".join(r.args[1:])
        places.append((f"stderr of `provportal {shown}`", r.err))
        if id(r) not in excluded:
            places.append((f"stdout of `provportal {shown}`", r.out))
    written_by_test = {secret_file, new_pw, fourth}
    for path in sorted(cli.home.rglob("*")):
        if not path.is_file() or path in written_by_test or path.parent.name == "sessions":
            continue
        places.append((f"file {path}", path.read_text(errors="replace")))
    places.append(("the sandbox's log", sandbox.logs()))

    leaks = []
    for where, text in places:
        for what, value in secrets.items():
            if value.isdigit():
                hit = re.search(rf"(?<!\d){re.escape(value)}(?!\d)", text)
            else:
                hit = value in text
            if hit:
                leaks.append(f"{what} ({value!r}) in {where}")
        for m in TOKEN_SHAPE.finditer(text):
            leaks.append(f"a token ({m.group(0)[:8]}...) in {where}")
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)

    # The session cache itself is private.
    assert cli.session_file().exists() is False or (cli.session_file().stat().st_mode & 0o077) == 0


def test_secrets_from_a_secret_managers_command(sandbox, cli, tmp_path):
    """--password-command and --totp-secret-command (and the profile's password_command and
    totp_secret_command) read a secret from a secret manager's CLI, run only when the secret is
    due, with its stderr passed through and a failure naming where the command came from
    (issue #13, item 11)."""
    from conftest import make_active_user
    email = make_active_user(sandbox, cli)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "pw").write_text(PASSWORD + "\n")
    ran = tmp_path / "ran"
    # A stand-in for `pass show` / `vault kv get`: notes that it ran, prints the secret.
    show = f"sh -c 'echo x >> {ran}; cat {vault}/\"$0\"'"
    expect(cli.run("login", "--email", email, "--password-command", f"{show} pw",
                   "--otp-command", sandbox.otp_command(email)), 0)
    assert ran.read_text().count("x") == 1

    # The TOTP secret too, then both from the profile: an unattended login with no secret flag.
    secret_file, secret = enroll_totp(sandbox, cli)
    (vault / "totp").write_text(secret + "\n")
    expect(cli.run("logout"), 0)
    sandbox.clock_advance("31s")
    expect(cli.run("--no-input", "login", "--email", email, "--password-command", f"{show} pw",
                   "--totp-secret-command", f"{show} totp"), 0)
    expect(cli.run("logout"), 0)
    expect(cli.run("config", "set", "email", email), 0)
    expect(cli.run("config", "set", "password_command", f"{show} pw"), 0)
    expect(cli.run("config", "set", "totp_secret_command", f"{show} totp"), 0)
    before = ran.read_text().count("x")
    sandbox.clock_advance("31s")  # a TOTP code is taken once: the next login needs the next step
    expect(cli.run("--no-input", "login"), 0)
    assert ran.read_text().count("x") == before + 2

    # Never run when the secret is not due: help, completion, whoami with a session.
    before = ran.read_text().count("x")
    expect(cli.run("login", "--help"), 0)
    expect(cli.run("completion", "bash"), 0)
    expect(cli.run("whoami"), 0)
    expect(cli.run("login", "--if-needed"), 0)  # the cached session is still good
    assert ran.read_text().count("x") == before

    # A failure passes the command's stderr through and names the command's source.
    expect(cli.run("logout"), 0)
    r = expect(cli.run("--no-input", "login", "--password-command",
                       "echo 'vault: permission denied' >&2; exit 3"), 4,
               "vault: permission denied", "--password-command failed (exit status 3)")
    assert PASSWORD not in r.err and PASSWORD not in r.out
    expect(cli.run("config", "set", "password_command", "true"), 0)
    expect(cli.run("--no-input", "login"), 4, "the profile's password_command printed nothing")
