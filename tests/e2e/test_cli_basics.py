"""Conventions every subcommand shares (SPEC §3): help, version, usage errors, completion,
configuration and its precedence, output formats, never prompting without a terminal."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import PASSWORD, expect, make_active_user, unique_email

SUBCOMMANDS = [
    "register", "verify-email", "login", "logout", "whoami", "reset-password", "update-profile",
    "check-eligibility", "claim-status", "config", "completion",
]
# The batch subcommands join this list as they are built (submit-case, upload-docs,
# search-orders, claim-status).
CONFIG_SUBCOMMANDS = ["set", "get", "list", "use", "path"]


@pytest.fixture
def offline_cli(cli_factory):
    """The CLI with no sandbox at all: for what must work without a portal."""
    return cli_factory(None)


def test_version(offline_cli):
    r = expect(offline_cli.run("--version"), 0)
    assert re.search(r"\d+\.\d+\.\d+", r.out), r.describe()
    assert "provportal" in r.out.lower(), r.describe()


def test_top_level_help_documents_exit_codes(offline_cli):
    r = expect(offline_cli.run("--help"), 0)
    assert re.search(r"exit (code|status)", r.out, re.I), f"--help should document the exit codes:{r.describe()}"
    for code in (0, 1, 2, 3, 4, 5, 6, 130):
        assert re.search(rf"^\s*{code}\s+\S", r.out, re.M), f"--help does not explain exit code {code}:{r.describe()}"
    assert "example" in r.out.lower(), r.describe()


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_top_level_help_lists_subcommand(offline_cli, name):
    r = expect(offline_cli.run("--help"), 0)
    assert re.search(rf"^\s+{re.escape(name)}\s", r.out, re.M), f"--help does not list {name}:{r.describe()}"


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help_has_an_example(offline_cli, name):
    r = expect(offline_cli.run(name, "--help"), 0)
    assert "example" in r.out.lower(), f"`{name} --help` has no example:{r.describe()}"
    assert f"provportal {name}" in r.out, f"`{name} --help` shows no `provportal {name} ...` line:{r.describe()}"


@pytest.mark.parametrize("name", CONFIG_SUBCOMMANDS)
def test_config_subcommand_help(offline_cli, name):
    r = expect(offline_cli.run("config", name, "--help"), 0)
    assert "example" in r.out.lower(), r.describe()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--no-such-flag"], id="global"),
        pytest.param(["whoami", "--no-such-flag"], id="subcommand"),
        pytest.param(["no-such-command"], id="unknown-subcommand"),
        pytest.param(["-o", "xml", "whoami"], id="bad-output-format"),
        pytest.param(["completion", "powershell"], id="bad-shell"),
    ],
)
def test_usage_errors_exit_2(offline_cli, args):
    r = expect(offline_cli.run(*args), 2)
    assert r.err.strip(), f"a usage error should say what is wrong on stderr:{r.describe()}"
    assert r.out == "", f"nothing on stdout for a usage error:{r.describe()}"


def test_completion_bash_is_loadable(offline_cli, tmp_path):
    r = expect(offline_cli.run("completion", "bash"), 0)
    assert "provportal" in r.out and "whoami" in r.out, r.describe()
    script = tmp_path / "provportal.bash"
    script.write_text(r.out)
    p = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    # Really load it and ask for completions of "provportal who".
    probe = (
        f"source {script}\n"
        "COMP_WORDS=(provportal who); COMP_CWORD=1; COMP_LINE='provportal who'; COMP_POINT=${#COMP_LINE}\n"
        "f=$(complete -p provportal | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')\n"
        "[ -n \"$f\" ] || { echo 'no completion function registered for provportal' >&2; exit 1; }\n"
        "$f provportal who provportal; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", probe], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "whoami" in p.stdout.split(), f"completing `provportal who` gave {p.stdout!r} {p.stderr!r}"


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_other_shells(offline_cli, tmp_path, shell):
    r = expect(offline_cli.run("completion", shell), 0)
    assert "provportal" in r.out and "whoami" in r.out, r.describe()
    if shutil.which(shell):
        script = tmp_path / f"provportal.{shell}"
        script.write_text(r.out)
        p = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr


def test_config_set_get_list_use_path(offline_cli):
    cli = offline_cli
    r = expect(cli.run("config", "path"), 0)
    assert r.out.strip() == str(cli.config_dir / "config.yaml"), r.describe()

    expect(cli.run("config", "set", "base_url", "https://portal.example:8443"), 0)
    r = expect(cli.run("config", "get", "base_url"), 0)
    assert r.out.strip() == "https://portal.example:8443", r.describe()
    config_file = cli.config_dir / "config.yaml"
    loaded = yaml.safe_load(config_file.read_text())
    assert isinstance(loaded, dict), config_file.read_text()
    assert "https://portal.example:8443" in config_file.read_text()

    # A second profile, chosen with --profile, then made current with `config use`.
    expect(cli.run("--profile", "staging", "config", "set", "base_url", "https://staging.example:8443"), 0)
    r = expect(cli.run("config", "get", "base_url"), 0)
    assert r.out.strip() == "https://portal.example:8443", f"setting another profile changed the current one:{r.describe()}"
    expect(cli.run("config", "use", "staging"), 0)
    r = expect(cli.run("config", "get", "base_url"), 0)
    assert r.out.strip() == "https://staging.example:8443", r.describe()
    r = expect(cli.run("config", "list"), 0)
    assert "staging" in r.out and "https://staging.example:8443" in r.out, r.describe()

    # Mistakes are usage errors.
    expect(cli.run("config", "set", "no_such_key", "x"), 2)


def test_config_use_unknown_profile_is_refused(offline_cli):
    r = offline_cli.run("config", "use", "no-such-profile")
    assert r.rc in (2, 3, 6), f"switching to a profile that does not exist should fail:{r.describe()}"
    assert "no-such-profile" in r.err, r.describe()


def test_precedence_flag_over_env_over_config(sandbox, cli):
    """Which portal is reached tells which setting won: a login for an unknown account is an auth
    error (4) when the portal answers, and unavailable (5) when the URL leads nowhere."""
    dead = "https://127.0.0.1:1"
    login = ["login", "--email", unique_email(), "--password-stdin", "--otp-code", "000000"]
    no_env = ["PROVPORTAL_BASE_URL", "PROVPORTAL_CA_FILE"]

    expect(cli.run("config", "set", "base_url", sandbox.url, remove_env=no_env), 0)
    expect(cli.run("config", "set", "ca_file", str(sandbox.ca), remove_env=no_env), 0)
    # config alone: the sandbox is reached.
    expect(cli.run(*login, stdin=PASSWORD + "\n", remove_env=no_env), 4)
    # env beats config.
    expect(cli.run(*login, stdin=PASSWORD + "\n", env={"PROVPORTAL_BASE_URL": dead}, remove_env=["PROVPORTAL_CA_FILE"]), 5)
    # a flag beats env.
    expect(cli.run("--base-url", sandbox.url, *login, stdin=PASSWORD + "\n", env={"PROVPORTAL_BASE_URL": dead},
                   remove_env=["PROVPORTAL_CA_FILE"]), 4)
    # and a flag beats config.
    expect(cli.run("--base-url", dead, *login, stdin=PASSWORD + "\n", remove_env=no_env), 5)


def test_whoami_when_not_logged_in(sandbox, cli):
    r = expect(cli.run("whoami"), 4, "provportal login")
    assert r.out == "", r.describe()


def test_login_without_terminal_or_password_flag_names_the_flag(sandbox, cli):
    email = make_active_user(sandbox, cli)
    before = len(sandbox.emails(to=email, purpose="login-passcode"))
    r = expect(cli.run("login", "--email", email, "--otp-command", sandbox.otp_command(email)), 2, "--password-stdin")
    r = expect(cli.run("--no-input", "login", "--email", email, "--otp-command", sandbox.otp_command(email)), 2,
               "--password-stdin")
    assert len(sandbox.emails(to=email, purpose="login-passcode")) == before, "nothing should have been sent"


def test_login_without_terminal_or_second_factor_names_the_flags(sandbox, cli):
    email = make_active_user(sandbox, cli)
    r = cli.run("login", "--email", email, "--password-stdin", stdin=PASSWORD + "\n")
    # No way to get the second factor without a terminal: it must fail, naming the flags.
    assert r.rc in (2, 4), f"want a usage (2) or auth (4) error:{r.describe()}"
    assert "--otp-code" in r.err or "--otp-command" in r.err or "--totp-secret-file" in r.err, r.describe()
    assert not cli.session_file().exists()


def test_output_formats_of_whoami(sandbox, cli):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)

    # Not a terminal: JSON by default.
    default = expect(cli.run("whoami"), 0)
    assert json.loads(default.out)["email"] == email, default.describe()

    j = expect(cli.run("whoami", "-o", "json"), 0).json()
    assert j["email"] == email and j["status"] == "active"

    lines = [l for l in expect(cli.run("whoami", "-o", "jsonl"), 0).out.splitlines() if l.strip()]
    assert len(lines) == 1 and json.loads(lines[0])["email"] == email, lines

    r = expect(cli.run("whoami", "-o", "yaml"), 0)
    y = yaml.safe_load(r.out)
    assert isinstance(y, dict) and y["email"] == email and y["status"] == "active", r.describe()

    r = expect(cli.run("whoami", "-o", "csv"), 0)
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 1, r.describe()
    assert rows[0]["email"] == email and rows[0]["status"] == "active", r.describe()

    r = expect(cli.run("whoami", "-o", "table"), 0)
    assert email in r.out and "active" in r.out, r.describe()
    assert not r.out.lstrip().startswith("{"), f"a table is not JSON:{r.describe()}"
    assert "\x1b[" not in r.out, f"NO_COLOR is set: no escape sequences:{r.describe()}"
