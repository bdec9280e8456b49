"""Conventions every subcommand shares (SPEC §3): help, version, usage errors, completion,
configuration and its precedence, output formats, never prompting without a terminal."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import PASSWORD, expect, make_active_user, unique_email

SUBCOMMANDS = [
    "register", "verify-email", "login", "logout", "whoami", "reset-password", "update-profile",
    "check-eligibility", "claim-status", "config", "completion",
]
# The batch subcommands join this list as they are built (submit-case, upload-docs,
# search-orders, claim-status).
CONFIG_SUBCOMMANDS = ["set", "unset", "get", "list", "profiles", "use", "path"]


@pytest.fixture
def offline_cli(cli_factory):
    """The CLI with no sandbox at all: for what must work without a portal."""
    return cli_factory(None)


def test_version(offline_cli):
    r = expect(offline_cli.run("--version"), 0)
    assert re.search(r"\d+\.\d+\.\d+", r.out), r.describe()
    assert "provportal" in r.out.lower(), r.describe()


def test_version_names_the_commit_the_build_and_the_libraries(offline_cli):
    """What a support question needs (issue #13, item 15), as text and as a JSON object."""
    r = expect(offline_cli.run("--version"), 0)
    lines = r.out.splitlines()
    assert re.fullmatch(r"provportal \d+\.\d+\.\d+", lines[0]), r.describe()
    assert re.fullmatch(r"commit [0-9a-f]{12} \(\w+ build\)", lines[1]), r.describe()
    assert any(line.startswith("OpenSSL 3.") for line in lines), r.describe()
    assert any(re.fullmatch(r"Boost 1\.\d+\.\d+", line) for line in lines), r.describe()
    assert any(re.fullmatch(r"SQLite 3\.\d+\.\d+", line) for line in lines), r.describe()
    for args in (["--version", "-o", "json"], ["-o", "json", "--version"], ["--output=json", "--version"]):
        r = expect(offline_cli.run(*args), 0)
        v = json.loads(r.out)
        assert set(v) == {"version", "commit", "build_type", "openssl", "boost", "sqlite"}, r.describe()
        assert lines[0].endswith(v["version"]) and v["commit"] in lines[1], r.describe()
    # The commit is one of this repository's (the build read it from git).
    repo = Path(__file__).resolve().parents[2]
    if (repo / ".git").exists() and shutil.which("git"):
        p = subprocess.run(["git", "-C", str(repo), "cat-file", "-t", v["commit"]], capture_output=True,
                           text=True)
        assert p.stdout.strip() == "commit", f"{v['commit']} is not a commit of {repo}: {p.stderr}"


@pytest.mark.parametrize("term_dumb", [False, True])
def test_a_dumb_terminal_gets_no_colour(offline_cli, term_dumb):
    """A table on a terminal is coloured unless NO_COLOR or TERM=dumb says otherwise."""
    import pty
    expect(offline_cli.run("config", "set", "email", "maria@clinic.example"), 0)
    env = offline_cli.env({"TERM": "dumb" if term_dumb else "xterm"}, remove=["NO_COLOR"])
    master, slave = pty.openpty()
    try:
        p = subprocess.run([str(offline_cli.binary), "config", "list", "-o", "table"], stdout=slave,
                           stderr=subprocess.PIPE, env=env, cwd=offline_cli.home / "work", timeout=30)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    assert p.returncode == 0, p.stderr
    assert b"maria@clinic.example" in out, out
    assert (b"\x1b[" in out) == (not term_dumb), out


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


def test_profile_names_complete_in_bash(offline_cli, tmp_path):
    """--profile and `config use` complete the configuration's profile names, read when
    completing (issue #13, item 15)."""
    cli = offline_cli
    for profile in ("staging", "prod"):
        expect(cli.run("--profile", profile, "config", "set", "base_url", f"https://{profile}.example"), 0)
    r = expect(cli.run("config", "profiles"), 0)
    assert r.out.split() == ["prod", "staging"], r.describe()
    script = tmp_path / "provportal.bash"
    script.write_text(expect(cli.run("completion", "bash"), 0).out)
    env = cli.env()
    env["PATH"] = f"{cli.binary.parent}:{env['PATH']}"
    for words, cword, want in ((["provportal", "--profile", "st"], 2, ["staging"]),
                               (["provportal", "--profile", ""], 2, ["prod", "staging"]),
                               (["provportal", "config", "use", "pr"], 3, ["prod"])):
        probe = (
            f"source {script}\n"
            f"COMP_WORDS=({' '.join(repr(w) if w else chr(39) * 2 for w in words)}); COMP_CWORD={cword}\n"
            "_provportal; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
        )
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", probe], capture_output=True, text=True,
                           timeout=30, env=env)
        assert p.returncode == 0, p.stderr
        assert sorted(p.stdout.split()) == want, f"completing {words}: {p.stdout!r} {p.stderr!r}"


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_other_shells(offline_cli, tmp_path, shell):
    r = expect(offline_cli.run("completion", shell), 0)
    assert "provportal" in r.out and "whoami" in r.out, r.describe()
    assert "provportal config profiles" in r.out, f"profile names do not complete:{r.describe()}"
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


def test_config_is_checked_when_it_is_set(offline_cli, tmp_path):
    """A wrong value is refused by `config set` (exit 2, naming what it must be), never found
    by the nightly job that reads it (issue #13, item 14)."""
    cli = offline_cli
    config = cli.config_dir / "config.yaml"
    expect(cli.run("config", "set", "email", "maria@clinic.example"), 0)
    before = config.read_text()
    for key, value, needle in [
        ("wait", "maybe", 'wait "maybe": is not true or false'),
        ("max_wait", "forever", "1s to 31d"),
        ("max_wait", "60d", "1s to 31d"),
        ("ca_file", str(tmp_path / "missing.pem"), "does not exist"),
        ("password_file", str(tmp_path), "is not a regular file"),
        ("base_url", "http://portal.example", "https://"),
        ("email", "maria", "email address"),
        ("metrics_file", str(tmp_path / "no" / "x.prom"), "does not exist"),
        ("wire", "x12-nope", 'unknown wire "x12-nope"'),
    ]:
        r = expect(cli.run("config", "set", key, value), 2, needle)
        assert r.out == "", r.describe()
    assert config.read_text() == before, "a refused value must not reach the file"

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    for key, value in [("wait", "true"), ("max_wait", "6h"), ("ca_file", str(ca)),
                       ("metrics_file", str(tmp_path / "x.prom"))]:
        expect(cli.run("config", "set", key, value), 0)
        r = expect(cli.run("config", "get", key), 0, stream="out")
        assert r.out.strip() == value, r.describe()
    # unset removes one key; the others stay.
    expect(cli.run("config", "unset", "max_wait"), 0, "Unset max_wait")
    r = expect(cli.run("config", "get", "max_wait"), 0, stream="out")
    assert r.out.strip() == "", r.describe()
    r = expect(cli.run("config", "get", "wait"), 0, stream="out")
    assert r.out.strip() == "true", r.describe()
    expect(cli.run("config", "unset", "no_such_key"), 2)


def test_a_missing_ca_file_is_a_configuration_error_wherever_it_was_set(offline_cli, tmp_path):
    """Exit 2 (fix the configuration), never 5 (unavailable: cron would retry for ever)."""
    cli = offline_cli
    missing = str(tmp_path / "gone.pem")
    no_portal = ["PROVPORTAL_BASE_URL", "PROVPORTAL_CA_FILE"]
    login = ["login", "--email", "jane@clinic.example", "--password-stdin", "--otp-code", "123456"]
    # The local sandbox's CA, when no sandbox was ever started here.
    expect(cli.run(*login, stdin="x\n", remove_env=no_portal), 2, "does not exist",
           "provportal-sandbox serve")
    # The environment.
    expect(cli.run("--base-url", "https://127.0.0.1:9", *login, stdin="x\n",
                   remove_env=["PROVPORTAL_BASE_URL"], env={"PROVPORTAL_CA_FILE": missing}), 2,
           "does not exist")
    # A profile whose file went away after it was set.
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    expect(cli.run("config", "set", "ca_file", str(ca), remove_env=no_portal), 0)
    expect(cli.run("config", "set", "base_url", "https://127.0.0.1:9", remove_env=no_portal), 0)
    ca.unlink()
    expect(cli.run(*login, stdin="x\n", remove_env=no_portal), 2, "does not exist")


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
