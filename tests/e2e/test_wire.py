"""The wire is chosen per profile (`wire` key), by PROVPORTAL_WIRE or --wire; the portal's JSON
API is the default, and naming it gives exactly the results of not naming it."""

from __future__ import annotations


from conftest import REPO, expect, make_active_user

EXAMPLES = REPO / "examples"


def test_an_unknown_wire_is_a_usage_error_naming_the_wires(cli_factory):
    cli = cli_factory(None)
    batch = str(EXAMPLES / "eligibility.csv")
    r = expect(cli.run("--wire", "x12-nope", "check-eligibility", "--batch", batch, "--dry-run"), 2,
               'unknown wire "x12-nope"', "portal-json")
    assert r.out == ""
    expect(cli.run("check-eligibility", "--batch", batch, "--dry-run",
                   env={"PROVPORTAL_WIRE": "nope"}), 2, 'unknown wire "nope"')


def test_the_profile_keeps_its_wire(cli_factory):
    cli = cli_factory(None)
    expect(cli.run("config", "set", "wire", "portal-json"), 0)
    r = expect(cli.run("config", "get", "wire"), 0, stream="out")
    assert r.out.strip() == "portal-json"
    # Checked when set (nothing is written) ...
    expect(cli.run("config", "set", "wire", "x12-nope"), 2, 'unknown wire "x12-nope"', "portal-json")
    r = expect(cli.run("config", "get", "wire"), 0, stream="out")
    assert r.out.strip() == "portal-json"
    # ... and when used, for a file edited by hand.
    config = cli.config_dir / "config.yaml"
    config.write_text(config.read_text().replace("portal-json", "x12-nope"))
    expect(cli.run("check-eligibility", "--batch", str(EXAMPLES / "eligibility.csv"), "--dry-run"),
           2, 'unknown wire "x12-nope"')


def test_naming_the_default_wire_changes_nothing(office, sandbox, cli_factory, tmp_path):
    # A second office user, so neither run is answered from the other's idempotency keys.
    other = cli_factory(sandbox)
    expect(other.login_email(make_active_user(sandbox, other)), 0)
    batch = str(EXAMPLES / "eligibility.csv")
    default, named = tmp_path / "default.csv", tmp_path / "named.csv"
    expect(office.run("check-eligibility", "--batch", batch, "--results", str(default)), 1)
    expect(other.run("--wire", "portal-json", "check-eligibility", "--batch", batch, "--results",
                     str(named)), 1)
    assert named.read_text() == default.read_text()


def test_a_bad_wait_setting_names_its_value(cli_factory):
    # The message once read `wait must be true or false, not  + p.wait + ` (issue #13, item 14).
    cli = cli_factory(None)
    expect(cli.run("login", "--email", "jane@clinic.example", "--password-stdin", "--otp-code",
                   "123456", stdin="x\n",
                   env={"PROVPORTAL_WAIT": "maybe", "PROVPORTAL_BASE_URL": "https://127.0.0.1:9"}),
           2, 'wait must be true or false, not "maybe"')
