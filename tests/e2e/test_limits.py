"""The additional-information limit is the portal's, per solution (program): the sandbox's
solutions carry it, GET /v1/limits announces it, the sandbox enforces it, and submit-case checks
each row against what the portal announced before sending — offline too, once cached."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import api, expect

SLEEP = {"health_plan": "acme-commercial", "solution": "sleep", "member_id": "ACM101296",
         "first_name": "José Ángel", "last_name": "Núñez", "date_of_birth": "1976-08-19",
         "ordering_npi": "1234567893", "servicing_npi": "1245319599",
         "procedures": [{"code": "95810", "units": 1}], "diagnoses": ["G47.33"],
         "service_start": "2026-12-01", "service_end": "2026-12-31",
         "answers": {"q1": 14, "q2": "no"}}
RADIOLOGY = {"health_plan": "acme-commercial", "solution": "radiology", "member_id": "ACM100234",
             "first_name": "James", "last_name": "Whitaker", "date_of_birth": "1958-03-14",
             "ordering_npi": "1234567893", "servicing_npi": "1245319599",
             "procedures": [{"code": "70551", "units": 1}], "diagnoses": ["R51.9"],
             "service_start": "2026-12-01", "service_end": "2027-02-28",
             "answers": {"q1": "yes", "q2": 8, "q3": "no"}}


def case(base: dict, ref: str, info_chars: int) -> dict:
    return {"ref": ref, **base, "additional_info": "x" * info_chars}


def body(base: dict, info_chars: int) -> dict:
    """The case as POST /v1/cases takes it (no ref)."""
    return {**base, "additional_info": "x" * info_chars}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def limits_cache(cli) -> Path:
    return cli.home / "cache" / "provportal" / "limits" / "default.json"


def orders(cli) -> list[dict]:
    out = expect(cli.run("search-orders", "-o", "jsonl"), 0).out
    return [json.loads(line) for line in out.splitlines()]


def token_of(cli) -> str:
    return json.loads(cli.session_file().read_text())["token"]


def test_the_portal_announces_a_limit_per_solution(sandbox):
    limits = api(sandbox, "GET", "/v1/limits")
    assert limits.status == 200, limits
    per = limits.body["per_solution"]
    assert per["sleep"]["additional_info_max_chars"] == 1000, limits
    assert per["radiology"]["additional_info_max_chars"] == 2000, limits
    assert per["genetic_testing"]["additional_info_max_chars"] == 4000, limits
    assert limits.body["additional_info_max_chars"] == max(
        p["additional_info_max_chars"] for p in per.values()), limits


def test_the_sandbox_refuses_additional_info_over_the_solutions_limit(office, sandbox):
    token = token_of(office)
    r = api(sandbox, "POST", "/v1/cases", body(SLEEP, 1001), token=token)
    assert r.status == 422, r
    assert r.body["error"]["code"] == "case_rejected", r
    reasons = [x for x in r.body["error"]["reasons"] if x["code"] == "additional_info_too_long"]
    assert len(reasons) == 1, r
    assert reasons[0]["field"] == "additional_info" and reasons[0]["max_chars"] == 1000, r
    assert "1000" in reasons[0]["message"], r
    # The same text is within radiology's limit (2000): the portal takes it.
    r = api(sandbox, "POST", "/v1/cases", body(RADIOLOGY, 1001), token=token)
    assert r.status == 201, r
    # Past the schema's generic maximum too, the solution's own limit is the one named.
    r = api(sandbox, "POST", "/v1/cases", body(RADIOLOGY, 4001), token=token)
    assert r.status == 422, r
    assert [x["max_chars"] for x in r.body["error"]["reasons"]] == [2000], r


def test_a_batch_is_checked_against_each_programs_announced_limit(office, sandbox, tmp_path):
    batch = write_jsonl(tmp_path / "cases.jsonl", [
        case(SLEEP, "sleep-long", 1001),       # line 1: over sleep's 1000
        case(RADIOLOGY, "rad-ok", 1500),       # line 2: over sleep's, within radiology's 2000
        case(RADIOLOGY, "rad-long", 2001),     # line 3: over radiology's 2000
        case(SLEEP, "sleep-ok", 1000),         # line 4: exactly sleep's limit
    ])
    results = tmp_path / "results.csv"
    r = expect(office.run("submit-case", "--batch", str(batch), "--results", str(results)), 1)
    assert "cases.jsonl:1: additional_info" in r.err and "at most 1000 for the sleep solution" in r.err, \
        r.describe()
    assert "cases.jsonl:3: additional_info" in r.err and "at most 2000 for the radiology solution" in r.err, \
        r.describe()
    assert "cases.jsonl:2:" not in r.err and "cases.jsonl:4:" not in r.err, r.describe()
    assert "x" * 50 not in r.err, "the free text itself is never shown"
    rows = {row["ref"]: row for row in csv.DictReader(results.open(encoding="utf-8"))}
    assert rows["sleep-long"]["outcome"] == "invalid" and rows["rad-long"]["outcome"] == "invalid", rows
    assert rows["rad-ok"]["outcome"] == "ok" and rows["sleep-ok"]["outcome"] == "ok", rows
    # Only the two within their limits reached the portal.
    assert sorted(o["solution"] for o in orders(office)) == ["radiology", "sleep"]

    # The limits were cached for the profile and its portal.
    cached = json.loads(limits_cache(office).read_text())
    assert cached["base_url"] == sandbox.url, cached
    assert cached["limits"]["per_solution"]["sleep"]["additional_info_max_chars"] == 1000, cached
    assert (limits_cache(office).stat().st_mode & 0o777) == 0o600

    # Offline: the portal is gone, and a dry run still checks against the cached limits.
    sandbox.stop()
    r = expect(office.run("submit-case", "--batch", str(batch), "--dry-run"), 1)
    assert "cases.jsonl:1: additional_info" in r.err and "at most 1000 for the sleep solution" in r.err, \
        r.describe()
    assert "cases.jsonl:3: additional_info" in r.err, r.describe()
    assert "not known" not in r.err, r.describe()

    # With no cache and no portal, the dry run says it knows only the schema's generic maximum.
    limits_cache(office).unlink()
    r = expect(office.run("submit-case", "--batch", str(batch), "--dry-run"), 0)
    assert "limits are not known" in r.err and "generic maximum of 4000" in r.err, r.describe()
    assert not limits_cache(office).exists()


def test_a_refusal_for_the_limit_drops_the_cached_limits(office, sandbox, tmp_path):
    batch = write_jsonl(tmp_path / "one.jsonl", [case(SLEEP, "sleep-1", 1)])
    expect(office.run("submit-case", "--batch", str(batch), "--dry-run"), 0)
    cache = limits_cache(office)
    # Limits that the portal no longer keeps (sleep as generous as genetic testing).
    cached = json.loads(cache.read_text())
    cached["limits"]["per_solution"]["sleep"]["additional_info_max_chars"] = 4000
    cache.write_text(json.dumps(cached))
    batch = write_jsonl(tmp_path / "long.jsonl", [case(SLEEP, "sleep-2", 1500)])
    r = expect(office.run("submit-case", "--batch", str(batch), "--results", str(tmp_path / "r.jsonl")), 1)
    row = json.loads((tmp_path / "r.jsonl").read_text().splitlines()[0])
    assert row["outcome"] == "rejected" and "additional_info_too_long" in json.dumps(row), row
    assert not cache.exists(), "the cache that let the row through is dropped"
    # The next run asks again and refuses the row before sending.
    r = expect(office.run("submit-case", "--batch", str(batch), "--dry-run"), 1)
    assert "one.jsonl" not in r.err and "long.jsonl:1: additional_info" in r.err and "at most 1000" in r.err, \
        r.describe()
