"""--fields (issue #13, item 12): the output of every command cut down to the fields named, in
that order, in table, CSV, JSON, JSON Lines and YAML; names as table and CSV show them (dotted for
nested fields, which JSON keeps nested); an unknown name is a usage error (exit 2) listing the
valid ones, said before anything is sent, and known even when there is nothing to print."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from conftest import ORG_NPI, expect, make_active_user, write_eligibility_rows

CLAIM_COLUMNS = ["claim_number", "paid_amount", "check_number"]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def offline_cli(cli_factory):
    return cli_factory(None)


def test_claim_feed_paid_amount_and_check_number_to_a_spreadsheet(office):
    """The feed of the organisation's claims as CSV with just the columns a spreadsheet needs,
    to stdout and to an -O file, and as JSON Lines with just those keys."""
    cli = office
    r = expect(cli.run("claim-status", "--fields", "claim_number,paid_amount,check_number", "-o", "csv"), 0)
    rows = csv_rows(r.out)
    assert rows[0] == CLAIM_COLUMNS, r.describe()
    by_number = {row[0]: row for row in rows[1:]}
    assert all(len(row) == 3 for row in rows), r.describe()
    assert by_number["C71000000102"] == ["C71000000102", "131.75", "EFT000419377"], r.describe()
    # A claim not yet paid has empty cells, not missing ones.
    assert any(row[1:] == ["", ""] for row in rows[1:]), r.describe()

    out = cli.home / "work" / "claims.csv"
    expect(cli.run("claim-status", "--since", "last", "--fields", "check_number, claim_number", "-O", str(out)), 0)
    written = csv_rows(out.read_text())
    assert written[0] == ["check_number", "claim_number"]
    assert ["EFT000419377", "C71000000102"] in written[1:]

    lines = expect(cli.run("claim-status", "--fields", ",".join(CLAIM_COLUMNS), "-o", "jsonl"), 0).out.splitlines()
    claims = [json.loads(line) for line in lines]
    assert all(list(c) == CLAIM_COLUMNS for c in claims), lines[:3]
    assert {"claim_number": "C71000000102", "paid_amount": "131.75", "check_number": "EFT000419377"} in claims


def test_one_inquiry_table_and_a_summary_column_read_as_without_fields(office):
    cli = office
    base = ["claim-status", "--claim-number", "C71000000102"]
    table = expect(cli.run(*base, "--fields", "paid_amount,claim_number,health_plan", "-o", "table"), 0).out
    header = table.splitlines()[0].split()
    assert header == ["PAID", "AMOUNT", "CLAIM", "NUMBER", "HEALTH", "PLAN"], table
    # status_reasons in CSV are their codes, with or without --fields; JSON keeps the objects.
    rows = csv_rows(expect(cli.run(*base, "--fields", "status_reasons", "-o", "csv"), 0).out)
    assert rows == [["status_reasons"], ["45"]]
    whole = expect(cli.run(*base, "--fields", "status_reasons,lines", "-o", "json"), 0).json()
    assert list(whole[0]) == ["status_reasons", "lines"]
    assert whole[0]["status_reasons"][0]["code"] == "45"


def test_nested_fields_keep_their_nesting_in_json_and_are_dotted_columns_in_csv(office):
    cli = office
    me = expect(cli.run("whoami", "--fields", "email,organization.name", "-o", "json"), 0).json()
    assert me == {"email": cli.email, "organization": {"name": me["organization"]["name"]}}
    assert me["organization"]["name"]
    rows = csv_rows(expect(cli.run("whoami", "--fields", "organization.name,email", "-o", "csv"), 0).out)
    assert rows == [["organization.name", "email"], [me["organization"]["name"], cli.email]]
    # A nested object named whole: all of it in JSON, each of its fields a column in CSV.
    org = expect(cli.run("whoami", "--fields", "organization", "-o", "yaml"), 0).out
    assert set(yaml.safe_load(org)["organization"]) == {"id", "name", "npi"}
    rows = csv_rows(expect(cli.run("whoami", "--fields", "organization", "-o", "csv"), 0).out)
    assert rows[0] == ["organization.id", "organization.name", "organization.npi"]


def test_an_unknown_field_is_a_usage_error_listing_the_valid_ones_before_anything_is_sent(offline_cli):
    """No portal here at all: exit 2 (not 5) shows the names were checked before any request."""
    r = expect(offline_cli.run("claim-status", "--fields", "claim_number,paid", "-o", "csv"), 2,
               '"paid"', "paid_amount", "check_number", "status_history")
    assert r.out == "", r.describe()
    # Batch results have their own columns.
    r = expect(offline_cli.run("check-eligibility", "--batch", "x.csv", "--fields", "benefits"), 2,
               '"benefits"', "line, ref, outcome, http_status, code, message, errors, status", "plan.name")
    assert "copays" not in r.err, r.describe()
    expect(offline_cli.run("search-orders", "--fields", "order_id,nope"), 2, '"nope"', "next_step")
    expect(offline_cli.run("config", "path", "--fields", "value"), 2, "--fields", "no records")
    expect(offline_cli.run("config", "list", "--fields", "", "-o", "csv"), 2, "--fields")


def test_config_list_offline(offline_cli):
    rows = csv_rows(expect(offline_cli.run("config", "list", "--fields", "key,source", "-o", "csv"), 0).out)
    assert rows[0] == ["key", "source"] and ["base_url", "default"] in rows[1:]


def test_an_empty_result_still_names_the_columns(office):
    cli = office
    r = expect(cli.run("search-orders", "--fields", "order_id,status,next_step", "-o", "csv"), 0)
    assert csv_rows(r.out) == [["order_id", "status", "next_step"]], r.describe()
    assert expect(cli.run("search-orders", "--fields", "order_id", "-o", "json"), 0).json() == []


def test_batch_results_on_stdout(office):
    cli = office
    batch = write_eligibility_rows(cli.home / "work" / "members.csv", 2, bad=1)
    fields = "ref,outcome,plan.name,coverage.start"
    r = expect(cli.run("check-eligibility", "--batch", str(batch), "--fields", fields, "-o", "csv"), 1)
    rows = csv_rows(r.out)
    assert rows[0] == fields.split(","), r.describe()
    assert [row[:2] for row in rows[1:]] == [["r0000000", "ok"], ["r0000001", "ok"], ["r0000002", "invalid"]]
    assert rows[1][2] and rows[3][2:] == ["", ""], r.describe()
    # JSON Lines keep the answer's columns in "answer", and --results gets the same choice.
    results = cli.home / "work" / "results.jsonl"
    expect(cli.run("check-eligibility", "--batch", str(batch), "--fields", fields, "--results", str(results)), 1)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert list(lines[0]) == ["ref", "outcome", "answer"]
    assert list(lines[0]["answer"]) == ["plan", "coverage"] and lines[0]["answer"]["plan"]["name"]
    assert lines[2]["answer"] == {"plan": {"name": None}, "coverage": {"start": None}}
