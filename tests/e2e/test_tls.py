"""TLS is verified: chain and host name (SPEC §3 "TLS is verified by default"); https only."""

from __future__ import annotations

import re

from conftest import PASSWORD, expect, make_active_user, unique_email


def _login_attempt(cli, email=None):
    return cli.run("login", "--email", email or unique_email(), "--password-stdin", "--otp-code", "000000",
                   stdin=PASSWORD + "\n")


def test_certificate_for_another_host_name_is_refused(sandbox, cli):
    # A session made while the certificate was right ...
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    # ... then the same portal (same CA, same port) restarts with a certificate for other.example.
    port = sandbox.port
    sandbox.stop()
    sandbox.start(listen=f"127.0.0.1:{port}", extra_args=["--cert-hosts", "other.example"])
    assert sandbox.port == port

    for r in (cli.login_email(email), cli.run("whoami", "-o", "json")):
        expect(r, 5, "certificate")
        assert re.search(r"host|name|127\.0\.0\.1|other\.example", r.err, re.I), \
            f"the error should say the certificate does not match the host name:{r.describe()}"
    # Nothing was sent: the session is still cached (a TLS failure is not a logout).
    assert cli.session_file().exists()


def test_sandbox_started_with_foreign_cert_hosts_is_refused(sandbox_factory, cli_factory):
    sb = sandbox_factory(extra_args=["--cert-hosts", "other.example"])
    cli = cli_factory(sb)
    r = expect(_login_attempt(cli), 5, "certificate")


def test_untrusted_ca_is_refused(sandbox_factory, cli_factory):
    portal = sandbox_factory()
    stranger = sandbox_factory()
    cli = cli_factory(portal)
    env = {"PROVPORTAL_CA_FILE": str(stranger.ca)}
    r = cli.run("login", "--email", unique_email(), "--password-stdin", "--otp-code", "000000",
                stdin=PASSWORD + "\n", env=env)
    expect(r, 5, "certificate")
    assert "verif" in r.err.lower(), f"the error should say certificate verification failed:{r.describe()}"
    # The same with the flag.
    r = cli.run("--ca-file", str(stranger.ca), "login", "--email", unique_email(), "--password-stdin",
                "--otp-code", "000000", stdin=PASSWORD + "\n", remove_env=["PROVPORTAL_CA_FILE"])
    expect(r, 5, "certificate")
    # The right CA: the portal is reached (an unknown account: an auth error, not a TLS one).
    expect(_login_attempt(cli), 4)


def test_system_trust_store_does_not_trust_the_sandbox(sandbox, cli):
    r = cli.run("login", "--email", unique_email(), "--password-stdin", "--otp-code", "000000",
                stdin=PASSWORD + "\n", remove_env=["PROVPORTAL_CA_FILE"])
    expect(r, 5, "certificate")


def test_plain_http_base_url_is_a_usage_error(sandbox, cli):
    url = f"http://{sandbox.address}"
    r = cli.run("--base-url", url, "login", "--email", unique_email(), "--password-stdin", "--otp-code", "000000",
                stdin=PASSWORD + "\n")
    expect(r, 2, "https")
    r = cli.run("login", "--email", unique_email(), "--password-stdin", "--otp-code", "000000",
                stdin=PASSWORD + "\n", env={"PROVPORTAL_BASE_URL": url})
    expect(r, 2, "https")
