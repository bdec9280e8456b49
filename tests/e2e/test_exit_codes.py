"""Exit statuses decided in one place (cmd/provportal/exit_code.cpp), and a closed stdout
(`provportal ... | head -1`) ending a command quietly: nothing on stderr, no further pages
fetched, the --since watermark kept, and death by SIGPIPE as cat and yes die (the shell shows 141)."""

from __future__ import annotations

import json
import os
import signal
import subprocess


from conftest import Cli, expect
from test_prior_auth import write_cases


def run_into_closed_pipe(cli: Cli, *args: str) -> subprocess.CompletedProcess:
    """Runs provportal with stdout a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([str(cli.binary), *args], stdout=write_end, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=120, env=cli.env(),
                              cwd=cli.home / "work")
    finally:
        os.close(write_end)


def run_into_head(cli: Cli, *args: str) -> tuple[int, str, str]:
    """`provportal ARGS | head -1` in bash; returns provportal's status, head's output, stderr."""
    err = cli.home / "stderr.txt"
    script = 'set -o pipefail; "$@" 2>"$ERR" | head -1; echo "status=${PIPESTATUS[0]}" >&2'
    p = subprocess.run(["bash", "-c", script, "sh", str(cli.binary), *args], capture_output=True,
                       text=True, timeout=120, env={**cli.env(), "ERR": str(err)},
                       cwd=cli.home / "work")
    status = int(p.stderr.strip().rsplit("status=", 1)[1])
    return status, p.stdout, err.read_text()


def test_help_lists_every_exit_code_with_70_and_the_batch_precedence(cli_factory):
    r = expect(cli_factory(None).run("--help"), 0, stream="out")
    for line in ("  70   internal error", "  130  interrupted", "first of 130, the error that",
                 "SIGPIPE"):
        assert line in r.out, line


def test_completion_into_a_closed_pipe_dies_of_sigpipe_quietly(cli_factory):
    p = run_into_closed_pipe(cli_factory(None), "completion", "bash")
    assert p.returncode == -signal.SIGPIPE, p.stderr
    assert p.stderr == ""


def test_completion_into_head_prints_nothing_on_stderr(cli_factory):
    status, out, err = run_into_head(cli_factory(None), "completion", "bash")
    assert out.count("\n") == 1
    assert err == ""
    # The script fits in a pipe's buffer: it was written whole before head left (0), or head
    # was gone first (SIGPIPE).
    assert status in (0, 128 + signal.SIGPIPE)


def test_a_large_search_into_head_stops_paging_quietly_and_keeps_the_watermark(office, sandbox,
                                                                               tmp_path):
    batch = write_cases(tmp_path / "cases.csv", 40, prefix="pipe")
    expect(office.run("submit-case", "--batch", str(batch), "--results", str(tmp_path / "r.csv")), 0)
    sandbox.admin("clock", "advance", "5m")  # the orders are in the past of the next pulls

    # A reader already gone: the first page fails to be written and paging stops there.
    p = run_into_closed_pipe(office, "search-orders", "-o", "jsonl", "--page-size", "5")
    assert p.returncode == -signal.SIGPIPE, p.stderr
    assert p.stderr == ""

    # A real `| head -1`: whether head leaves before the last page is written depends on timing,
    # so either status is right; stderr stays empty either way.
    status, out, err = run_into_head(office, "search-orders", "-o", "jsonl", "--page-size", "5")
    assert json.loads(out)["order_id"]
    assert err == ""
    assert status in (0, 128 + signal.SIGPIPE)

    # A --since last pull cut short moves no watermark: the next pull still sees all 40 orders.
    p = run_into_closed_pipe(office, "search-orders", "-o", "jsonl", "--page-size", "5",
                             "--since", "last")
    assert p.returncode == -signal.SIGPIPE, p.stderr
    assert "error" not in p.stderr and "Watermark moved" not in p.stderr
    r = expect(office.run("search-orders", "-o", "jsonl", "--since", "last"), 0, stream="out")
    assert len(r.out.splitlines()) == 40


def _eligibility_batch(path, n):
    from test_eligibility_batch import write_rows
    return write_rows(path, n)


def test_a_batch_partly_done_exits_7_and_resume_sends_only_the_rest(sandbox_factory, cli_factory, tmp_path):
    """Exit 5 meant both "the portal was down, nothing was done" and "999,999 rows done, one
    failed after its retries": a batch partly done now exits 7 and says how to send only the rest
    (issue #13, item 17)."""
    sandbox = sandbox_factory(extra_args=["--faults", "rate=0.4,kinds=500,seed=3,paths=/v1/eligibility"])
    cli = cli_factory(sandbox)
    from conftest import make_active_user
    expect(cli.login_email(make_active_user(sandbox, cli)), 0)
    src = _eligibility_batch(tmp_path / "b.csv", 30)
    results, journal = tmp_path / "r.jsonl", tmp_path / "j.db"
    args = ["check-eligibility", "--batch", str(src), "--results", str(results), "--journal", str(journal)]
    r = expect(cli.run(*args, "--max-attempts", "1"), 7, "no final answer after every retry", "--resume")
    outcomes = [json.loads(line)["outcome"] for line in results.read_text().splitlines()]
    failed = outcomes.count("failed")
    assert 0 < failed < 30 and outcomes.count("ok") == 30 - failed, outcomes
    # --resume sends only the failed rows; the others come from the journal.
    r = expect(cli.run(*args, "--resume", "--max-attempts", "10"), 0, f"{30 - failed} from the journal")
    outcomes = [json.loads(line)["outcome"] for line in results.read_text().splitlines()]
    assert outcomes == ["ok"] * 30, outcomes


def test_a_batch_of_which_no_row_was_done_exits_5(sandbox_factory, cli_factory, tmp_path):
    sandbox = sandbox_factory(extra_args=["--faults", "rate=1,kinds=500,seed=3,paths=/v1/eligibility"])
    cli = cli_factory(sandbox)
    from conftest import make_active_user
    expect(cli.login_email(make_active_user(sandbox, cli)), 0)
    src = _eligibility_batch(tmp_path / "b.csv", 5)
    results = tmp_path / "r.jsonl"
    expect(cli.run("check-eligibility", "--batch", str(src), "--results", str(results), "--max-attempts", "2"), 5)
    assert [json.loads(line)["outcome"] for line in results.read_text().splitlines()] == ["failed"] * 5
