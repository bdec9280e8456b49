"""The Sunday 12:30-18:00 America/Chicago maintenance window (SPEC §2 "Availability", §4), with the
portal's clock pinned on both sides of its edges and across the CST/CDT changes."""

from __future__ import annotations

import pytest

from conftest import api, expect, make_active_user, parse_time

SUPPORT_PHONE = "1-877-555-0142"  # set on the sandbox: the CLI must quote the portal's number


# (portal time, in the window?, what the CLI must name as the window's end)
CLI_CASES = [
    pytest.param("2026-11-22T18:45:00Z", "18:00 CST", id="sunday-12:45-CST"),
    pytest.param("2026-11-22T18:29:00Z", None, id="sunday-12:29-CST-before-window"),
    pytest.param("2026-07-12T17:35:00Z", "18:00 CDT", id="sunday-12:35-CDT"),
    pytest.param("2026-03-08T17:35:00Z", "18:00 CDT", id="dst-start-day-12:35-CDT"),
    pytest.param("2026-11-01T17:35:00Z", None, id="dst-end-day-11:35-CST"),
]


@pytest.mark.parametrize("when,window_end", CLI_CASES)
def test_cli_during_and_outside_the_window(sandbox, cli, when, window_end):
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)  # a session from before the window
    sandbox.admin("settings", "--support-phone", SUPPORT_PHONE, "--password-max-age-days", "0")
    sandbox.admin("settings", "--maintenance-window", "on")
    sandbox.clock_set(when)

    if window_end is None:
        expect(cli.login_email(email), 0)
        return

    r = expect(cli.login_email(email), 5, window_end, SUPPORT_PHONE)
    assert "maintenance" in r.err.lower(), r.describe()
    # A command that needs a session says the same (maintenance comes before the session check).
    expect(cli.run("whoami", "-o", "json"), 5, window_end, SUPPORT_PHONE)


# (portal time, expected window end in UTC or None when the portal is up)
API_CASES = [
    pytest.param("2026-11-22T18:45:00Z", "2026-11-23T00:00:00Z", id="sun-12:45-CST"),
    pytest.param("2026-11-22T18:30:00Z", "2026-11-23T00:00:00Z", id="sun-12:30-CST-start"),
    pytest.param("2026-11-22T18:29:00Z", None, id="sun-12:29-CST"),
    pytest.param("2026-11-22T23:59:00Z", "2026-11-23T00:00:00Z", id="sun-17:59-CST"),
    pytest.param("2026-11-23T00:00:00Z", None, id="sun-18:00-CST-end"),
    pytest.param("2026-11-21T18:45:00Z", None, id="saturday-12:45-CST"),
    pytest.param("2026-07-12T17:35:00Z", "2026-07-12T23:00:00Z", id="sun-12:35-CDT"),
    pytest.param("2026-07-12T17:29:00Z", None, id="sun-12:29-CDT"),
    pytest.param("2026-07-12T22:59:00Z", "2026-07-12T23:00:00Z", id="sun-17:59-CDT"),
    pytest.param("2026-07-12T23:00:00Z", None, id="sun-18:00-CDT-end"),
    pytest.param("2026-03-08T17:35:00Z", "2026-03-08T23:00:00Z", id="dst-start-12:35-CDT"),
    pytest.param("2026-03-08T18:29:00Z", "2026-03-08T23:00:00Z", id="dst-start-13:29-CDT"),
    pytest.param("2026-11-01T17:35:00Z", None, id="dst-end-11:35-CST"),
    pytest.param("2026-11-01T18:35:00Z", "2026-11-02T00:00:00Z", id="dst-end-12:35-CST"),
]


@pytest.mark.parametrize("when,window_end", API_CASES)
def test_api_answers_503_with_retry_after_in_the_window(sandbox, when, window_end):
    sandbox.admin("settings", "--maintenance-window", "on")
    sandbox.clock_set(when)
    r = api(sandbox, "POST", "/v1/auth/login", {})
    if window_end is None:
        assert r.status != 503, r
        return
    assert r.status == 503, r
    assert r.body["error"]["code"] == "maintenance", r
    assert r.body["error"]["window_end"] == window_end, r
    assert r.body["error"]["support_phone"], r
    expected = (parse_time(window_end) - parse_time(when)).total_seconds()
    retry_after = int(r.headers["retry-after"])
    assert expected - 60 <= retry_after <= expected, f"Retry-After {retry_after}, want about {expected}: {r}"

    # Health answers during the window and says so.
    h = api(sandbox, "GET", "/v1/health")
    assert h.status == 200, h
    assert h.body["maintenance"]["active"] is True, h
    assert h.body["maintenance"]["window_end"] == window_end, h


def test_window_switched_off_means_no_maintenance(sandbox):
    sandbox.clock_set("2026-11-22T18:45:00Z")
    assert api(sandbox, "POST", "/v1/auth/login", {}).status != 503
    sandbox.admin("settings", "--maintenance-window", "on")
    assert api(sandbox, "POST", "/v1/auth/login", {}).status == 503
    sandbox.admin("settings", "--maintenance-window", "off")
    assert api(sandbox, "POST", "/v1/auth/login", {}).status != 503
