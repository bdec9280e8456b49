"""Hostile input and hostile servers (issue #6): the real CLI against a real sandbox, and against
tests/e2e/hostile_server.py.

1. Batches built to hurt a reader (JSON nested 100,000 deep, a YAML billion laughs, a 2 GB CSV
   line streamed through stdin, NUL bytes, invalid UTF-8): the bad row is reported with file,
   line and field and never sent, the good rows of the same file still reach the sandbox, the
   results file has one line per row and no .part is left behind, and memory stays bounded.
2. Text the user controls never reaches an HTTP header with a line break in it: a base URL whose
   host decodes to CR/LF/NUL, a damaged session cache, a `ref` with a line break.
3. A server that never stops answering, answers 10 GB, drips one byte at a time, or cuts TLS
   mid-body: exit 5 with a clear message, in bounded time and memory.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import (ELIGIBILITY_FIELDS, PINNED_TIME, REPO, Cli, Result, Sandbox, eligibility_row, expect,
                      make_active_user)
from hostile_server import HostileServer, make_pki

FIELDS = ELIGIBILITY_FIELDS
ASAN = any(k in os.environ for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"))
# Peak RSS allowed for a batch run, whatever its input: 64 MB in a release build; a sanitizer
# build adds its own shadow memory and quarantine on top of the same work.
RSS_LIMIT_KB = (64 if not ASAN else 512) * 1024


def good_row(i: int, ref: str | None = None) -> dict:
    """A well-formed row of an active member; its ref is unique, so no test replays another's."""
    return eligibility_row(i, ref or f"ok-{i}-{uuid.uuid4().hex[:8]}")


def csv_line(row: dict) -> bytes:
    return (",".join(row[f] for f in FIELDS) + "\n").encode()


@pytest.fixture(scope="module")
def shared_office(sandbox_bin, cli_bin, tmp_path_factory):
    """One sandbox and one logged-in office user for the batch tests of this file (each test
    counts what it adds to the portal, and its rows have refs of their own)."""
    base = tmp_path_factory.mktemp("hostile")
    sb = Sandbox(sandbox_bin, base / "sandbox")
    sb.start()
    sb.clock_set(PINNED_TIME)
    cli = Cli(cli_bin, base / "user", sb)
    try:
        expect(cli.login_email(make_active_user(sb, cli)), 0)
        yield cli
    finally:
        sb.stop()


@pytest.fixture
def office(shared_office):
    return shared_office


@pytest.fixture
def portal(shared_office):
    """The sandbox behind `office`, and how many idempotency keys it held when the test began."""
    sb = shared_office.sandbox
    sb.keys_before = idempotency_keys(sb)
    return sb


def run_measured(cli, args, stdin_chunks=None, timeout: float = 120, env=None) -> tuple[Result, int]:
    """Runs the CLI; returns its result and its peak RSS in KiB (from wait4, so exact per child).
    `stdin_chunks` (an iterable of bytes) is streamed into stdin from a thread."""
    cmd = [str(cli.binary), *cli.global_args, *args]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin_chunks is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli.env(env), cwd=cli.home / "work")
    out: dict[str, bytes] = {}

    def drain(name, f):
        out[name] = f.read()

    readers = [threading.Thread(target=drain, args=("out", p.stdout)),
               threading.Thread(target=drain, args=("err", p.stderr))]
    for t in readers:
        t.start()

    def feed():
        try:
            for chunk in stdin_chunks:
                p.stdin.write(chunk)
            p.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    feeder = None
    if stdin_chunks is not None:
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
    deadline = time.monotonic() + timeout
    status = rusage = None
    while time.monotonic() < deadline:
        pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.02)
    else:
        p.kill()
        os.wait4(p.pid, 0)
        raise AssertionError(f"timed out after {timeout}s: {' '.join(cmd)}")
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join(timeout=10)
    if feeder:
        try:
            p.stdin.close()
        except OSError:
            pass
    r = Result(cmd, p.returncode, out.get("out", b"").decode(errors="replace"),
               out.get("err", b"").decode(errors="replace"))
    cli.transcript.append(r)
    return r, rusage.ru_maxrss


def read_results(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def check_results(path: Path, expected_lines: list[int], bad_line: int, sent: bool = True) -> list[dict]:
    """One result per row, in order; the bad row invalid; every other row answered by the portal."""
    assert path.exists(), f"no results file {path}"
    assert not list(path.parent.glob(path.name + ".part*")), "a .part file was left behind"
    rows = read_results(path)
    assert [r["line"] for r in rows] == expected_lines, rows
    for r in rows:
        if r["line"] == bad_line:
            assert r["outcome"] == "invalid", r
            assert "http_status" not in r or r["http_status"] in (None, 0), f"the bad row was sent: {r}"
        else:
            assert r["outcome"] == "ok", r
            if sent:
                status = r.get("status") or r.get("answer", {}).get("status")
                assert r["http_status"] == 200 and status == "active", f"not answered by the portal: {r}"
    return rows


def keys_added(portal, expected: int) -> int:
    """Idempotency keys the portal stored since the test began (its writer commits in batches,
    so wait a moment for `expected` to show up, and report what is there)."""
    deadline = time.monotonic() + 5
    while True:
        added = idempotency_keys(portal) - portal.keys_before
        if added >= expected or time.monotonic() > deadline:
            return added
        time.sleep(0.05)


def idempotency_keys(sandbox) -> int:
    out = subprocess.run(["sqlite3", f"file:{sandbox.data_dir / 'portal.db'}?mode=ro",
                          "SELECT count(*) FROM idempotency_keys"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


# ---- 1. hostile batches ------------------------------------------------------------------------


def test_jsonl_nested_100000_deep(office, portal, tmp_path):
    src = tmp_path / "deep.jsonl"
    deep = '{"ref": "deep", "member_id": ' + "[" * 100_000 + "]" * 100_000 + "}"
    src.write_text(json.dumps(good_row(0)) + "\n" + deep + "\n" + json.dumps(good_row(1)) + "\n")
    out = tmp_path / "r.jsonl"
    r, rss = run_measured(office, ["check-eligibility", "--batch", str(src), "--results", str(out)])
    expect(r, 1)
    assert f"{src}:2: " in r.err and "nested more than 64 levels" in r.err, r.describe()
    check_results(out, [1, 2, 3], 2)
    assert keys_added(portal, 2) == 2, "exactly the two good rows reached the portal"
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss} KiB"
    # The same with --dry-run: same verdicts, nothing sent.
    r = expect(office.run("check-eligibility", "--batch", str(src), "--dry-run"), 1)
    assert [json.loads(x)["outcome"] for x in r.out.splitlines()] == ["ok", "invalid", "ok"]
    assert "nested more than 64 levels" in r.err
    assert keys_added(portal, 2) == 2


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ['  lol0: &l0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"  lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines)


def test_yaml_billion_laughs(office, portal, tmp_path):
    src = tmp_path / "lol.yaml"
    g0, g1 = good_row(0), good_row(1)
    items = [yaml.safe_dump([g0], sort_keys=False).rstrip(),
             "- ref: laughs\n" + billion_laughs(),
             yaml.safe_dump([g1], sort_keys=False).rstrip()]
    src.write_text("\n".join(items) + "\n")
    bad_line = 1 + items[0].count("\n") + 1  # where the laughing item starts
    out = tmp_path / "r.jsonl"
    started = time.monotonic()
    r, rss = run_measured(office, ["check-eligibility", "--batch", str(src), "--results", str(out)])
    elapsed = time.monotonic() - started
    expect(r, 1)
    assert f"{src}:{bad_line}: " in r.err, r.describe()
    assert "100000" in r.err.replace(",", "").replace("'", "") or "alias" in r.err, r.describe()
    check_results(out, [1, bad_line, bad_line + 2 + billion_laughs().count("\n")], bad_line)
    assert keys_added(portal, 2) == 2
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss} KiB"
    assert elapsed < 20, f"the expansion was not cut short ({elapsed:.1f} s)"


def big_csv_stream(bad_bytes: int):
    """Header, a good row (line 2), a row whose last cell is `bad_bytes` long (line 3), a good
    row (line 4): made on the fly, never on disk."""
    yield (",".join(FIELDS) + "\n").encode()
    yield csv_line(good_row(0))
    row = good_row(5, "huge")
    yield ",".join(row[f] for f in FIELDS[:-1]).encode() + b","
    block = b"9" * (1 << 20)
    left = bad_bytes
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n
    yield b"\n"
    yield csv_line(good_row(1))


def test_csv_with_a_2gb_line_streamed_through_stdin(office, portal, tmp_path):
    out = tmp_path / "r.jsonl"
    r, rss = run_measured(office, ["check-eligibility", "--batch", "-", "--batch-format", "csv",
                                   "--results", str(out)], stdin_chunks=big_csv_stream(2 << 30), timeout=240)
    expect(r, 1)
    assert "stdin:3: line 3: the record is longer than 1 MiB" in r.err, r.describe()
    check_results(out, [2, 3, 4], 3)
    assert keys_added(portal, 2) == 2
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss} KiB for a 2 GB line (limit {RSS_LIMIT_KB} KiB)"


def test_nul_byte_and_invalid_utf8_in_csv_cells(office, portal, tmp_path):
    src = tmp_path / "bytes.csv"
    nul = good_row(2, "nul")
    nul["first_name"] = "Ja\0mes"
    latin1 = good_row(3, "latin1")
    data = (",".join(FIELDS) + "\n").encode() + csv_line(good_row(0))
    data += csv_line(nul)
    data += ",".join(latin1[f] for f in FIELDS[:3]).encode() + b",Whit\xe9ker," + \
        ",".join(latin1[f] for f in FIELDS[4:]).encode() + b"\n"
    data += csv_line(good_row(1))
    src.write_bytes(data)
    out = tmp_path / "r.csv"
    r = expect(office.run("check-eligibility", "--batch", str(src), "--results", str(out)), 1)
    assert f'{src}:3: line 3, column "first_name": the value contains a NUL byte' in r.err, r.describe()
    assert f'{src}:4: line 4, column "last_name": the value is not valid UTF-8' in r.err, r.describe()
    assert "\0" not in r.err and "Whit" not in r.err and "mes" not in r.err, "values (PHI) are never quoted"
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(row["line"], row["outcome"]) for row in rows] == \
        [("2", "ok"), ("3", "invalid"), ("4", "invalid"), ("5", "ok")], rows
    assert [row["http_status"] for row in rows] == ["200", "", "", "200"], rows
    assert not list(tmp_path.glob("r.csv.part*"))
    assert keys_added(portal, 2) == 2


def test_invalid_utf8_in_jsonl_and_yaml(office, portal, tmp_path):
    src = tmp_path / "bad.jsonl"
    bad = json.dumps(good_row(0, "bad")).encode().replace(b'"Whitaker"', b'"Whit\xc0\xafaker"')  # overlong '/'
    assert b"\xc0" in bad
    src.write_bytes(json.dumps(good_row(0)).encode() + b"\n" + bad + b"\n" + json.dumps(good_row(1)).encode() + b"\n")
    out = tmp_path / "r.jsonl"
    r = expect(office.run("check-eligibility", "--batch", str(src), "--results", str(out)), 1)
    assert f"{src}:2: line 2, column " in r.err and "not valid UTF-8" in r.err, r.describe()
    check_results(out, [1, 2, 3], 2)
    # YAML cannot be read past invalid UTF-8 (libyaml stops): the file is an input error that
    # names the line; the rows before it were answered, no results file claims to be complete.
    ysrc = tmp_path / "bad.yaml"
    ysrc.write_bytes(yaml.safe_dump([good_row(6)], sort_keys=False).encode() + b"- ref: bad\n  last_name: Wh\xffit\n")
    yout = tmp_path / "ry.jsonl"
    r = expect(office.run("check-eligibility", "--batch", str(ysrc), "--results", str(yout)), 3)
    assert "bad.yaml: line 10" in r.err and "not valid YAML text" in r.err, r.describe()
    assert not yout.exists() and not list(tmp_path.glob("ry.jsonl.part*")), "no half-written results"


# ---- 2. line breaks never reach a header -------------------------------------------------------


@pytest.fixture
def bare_cli(cli_factory):
    """A CLI with no sandbox behind it (the hostile server is the portal)."""
    return cli_factory(None)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A throw-away CA and a server certificate for localhost and 127.0.0.1 (shared: read-only)."""
    return make_pki(tmp_path_factory.mktemp("pki"))


def login_args():
    return ["login", "--email", "nobody@clinic.example", "--password-stdin", "--otp-code", "123456"]


@pytest.mark.parametrize("host", ["localhost%00%0d%0aX-Evil%3A%20yes", "localhost%0d%0aX-Evil%3A%20yes",
                                  "localhost%0aX-Evil%3A%20yes", "local%20host"])
def test_base_url_host_that_decodes_to_a_line_break_is_refused(bare_cli, pki, host):
    cli = bare_cli
    with HostileServer(pki, "ok") as srv:
        url = srv.url_for(host)
        r = cli.run("--base-url", url, *login_args(), stdin="violet kettle sunrise\n",
                    env={"PROVPORTAL_CA_FILE": str(pki.ca)})
        expect(r, 2, "invalid base url", "host name")
        assert "\n" not in r.err.split("invalid base URL", 1)[1].split("':", 1)[0], \
            f"the URL is echoed with a raw line break:{r.describe()}"
        assert srv.connections == 0 and srv.received() == b"", f"the server got {srv.received()!r}"


def test_a_profile_base_url_with_a_line_break_is_refused(bare_cli, pki):
    cli = bare_cli
    with HostileServer(pki, "ok") as srv:
        evil = f"https://localhost:{srv.port}/\r\nX-Evil: yes"
        expect(cli.run("config", "set", "base_url", evil), 0)
        r = cli.run(*login_args(), stdin="violet kettle sunrise\n", env={"PROVPORTAL_CA_FILE": str(pki.ca)})
        expect(r, 2, "invalid base url")
        assert "\\x0d\\x0a" in r.err and "\r\nX-Evil" not in r.err, f"shown escaped:{r.describe()}"
        assert srv.connections == 0 and srv.received() == b"", f"the server got {srv.received()!r}"


def test_a_plain_host_name_still_works_against_the_same_server(bare_cli, pki):
    cli = bare_cli
    # The control for the test above: the same server, a clean URL, a request that arrives.
    with HostileServer(pki, "ok") as srv:
        cli.run("--base-url", srv.url_for("localhost"), *login_args(), stdin="violet kettle sunrise\n",
                env={"PROVPORTAL_CA_FILE": str(pki.ca)})
        assert srv.received().startswith(b"POST /v1/auth/login HTTP/1.1\r\nHost: localhost:"), srv.received()


def write_session(cli, base_url: str, token: str) -> None:
    d = cli.config_dir / "sessions"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    f = d / "default.json"
    f.write_text(json.dumps({"base_url": base_url, "email": "nobody@clinic.example", "token": token,
                             "expires_at": "2099-01-01T00:00:00Z"}))
    f.chmod(0o600)


@pytest.mark.parametrize("token", ["pps_abcdefghijklmnopqrstuvwx\r\nX-Evil: yes", "pps_abcdefghijklmnopqrst\0uvwx",
                                   "pps_abcdefghijklmnopqrstuvwx\nX-Evil: yes"])
def test_a_session_token_with_a_line_break_is_never_sent(bare_cli, pki, tmp_path, token):
    cli = bare_cli
    with HostileServer(pki, "ok") as srv:
        write_session(cli, srv.url, token)
        env = {"PROVPORTAL_BASE_URL": srv.url, "PROVPORTAL_CA_FILE": str(pki.ca)}
        batch = tmp_path / "b.csv"
        batch.write_bytes((",".join(FIELDS) + "\n").encode() + csv_line(good_row(0)))
        m = good_row(0)
        for args in (["whoami"],
                     ["check-eligibility", "--member-id", m["member_id"], "--first-name", m["first_name"],
                      "--last-name", m["last_name"], "--dob", m["date_of_birth"], "--health-plan",
                      m["health_plan"], "--provider-npi", "1234567893", "--service-date", "2026-11-16"],
                     ["check-eligibility", "--batch", str(batch), "--results", str(tmp_path / "r.jsonl")]):
            r = expect(cli.run(*args, env=env), 4, "session token is damaged", "provportal login")
            assert "X-Evil" not in r.err
        assert srv.connections == 0 and srv.received() == b"", f"the server got {srv.received()!r}"


def test_a_server_that_closes_every_kept_alive_connection(bare_cli, pki, tmp_path):
    # Each connection answers once and is then closed (close_notify, FIN) though the answer
    # kept it alive: a batch's next row on it meets the closed connection, while a connection
    # with no row waiting stirs. Every row still ends ok, each sent again on a new connection.
    cli = bare_cli
    rows = 60
    with HostileServer(pki, "one-answer") as srv:
        write_session(cli, srv.url, "pps_abcdefghijklmnopqrstuvwx")
        env = {"PROVPORTAL_BASE_URL": srv.url, "PROVPORTAL_CA_FILE": str(pki.ca)}
        batch = tmp_path / "b.csv"
        batch.write_bytes((",".join(FIELDS) + "\n").encode()
                          + b"".join(csv_line(good_row(i)) for i in range(rows)))
        out = tmp_path / "r.jsonl"
        r = expect(cli.run("check-eligibility", "--batch", str(batch), "--concurrency", "4",
                           "--results", str(out), env=env, timeout=120), 0)
        results = read_results(out)
        assert [x["line"] for x in results] == list(range(2, rows + 2)), r.describe()
        assert {x["outcome"] for x in results} == {"ok"}, results
        assert srv.connections >= rows, f"{srv.connections} connections for {rows} rows"
        # Only whole requests reached the server; each row's key, as many times as it was answered.
        keys = [line.split(b":", 1)[1].strip() for req in srv.requests
                for line in req.split(b"\r\n") if line.lower().startswith(b"idempotency-key:")]
        assert len(set(keys)) == rows, f"{len(set(keys))} keys for {rows} rows"


def test_a_ref_with_a_line_break_is_an_invalid_row(office, portal, tmp_path):
    src = tmp_path / "refs.csv"
    evil = good_row(2)
    src.write_bytes((",".join(FIELDS) + "\n").encode() + csv_line(good_row(0))
                    + b'"r1\r\nX-Evil: yes",' + ",".join(evil[f] for f in FIELDS[1:]).encode() + b"\n"
                    + csv_line(good_row(1)))
    out = tmp_path / "r.jsonl"
    r = expect(office.run("check-eligibility", "--batch", str(src), "--results", str(out)), 1)
    assert f"{src}:3: ref:" in r.err, r.describe()
    rows = read_results(out)
    assert [(x["line"], x["outcome"]) for x in rows] == [(2, "ok"), (3, "invalid"), (5, "ok")], rows
    assert keys_added(portal, 2) == 2


# ---- 3. hostile servers ------------------------------------------------------------------------

# Each case: (mode, the words the error must say). whoami is a GET: the CLI retries it (4
# attempts with backoff), so a bound on the wall time also bounds the retries.
HOSTILE = [
    ("endless", []),  # ends by the 64 MiB body cap or by the deadline, whichever comes first
    ("huge-length", ["response too large", "more than"]),
    ("huge-headers", ["cannot read the response", "header"]),
    ("slowloris", ["timed out after 0.5s", "waiting for the response"]),
    ("truncate", ["cannot read the response", "closed"]),
]


@pytest.mark.parametrize("mode,words", HOSTILE, ids=[m for m, _ in HOSTILE])
def test_hostile_server_ends_with_exit_5(bare_cli, pki, mode, words):
    cli = bare_cli
    with HostileServer(pki, mode, drip=0.2) as srv:
        write_session(cli, srv.url, "pps_abcdefghijklmnopqrstuvwx")
        cli.global_args = ["--timeout", "0.5" if mode in ("endless", "slowloris") else "1"]
        cli_env = {"PROVPORTAL_BASE_URL": srv.url, "PROVPORTAL_CA_FILE": str(pki.ca)}
        started = time.monotonic()
        r, rss = run_measured(cli, ["whoami", "-o", "json"], timeout=60, env=cli_env)
        elapsed = time.monotonic() - started
        expect(r, 5, *words)
        if mode == "endless":
            assert "response too large" in r.err or "timed out after 0.5s" in r.err, r.describe()
        assert srv.url in r.err, f"the message names the portal:{r.describe()}"
        assert r.out == "", r.describe()
        assert elapsed < 25, f"took {elapsed:.1f} s"
        # The body cap is 64 MiB: a response may cost that much once, never more.
        assert rss < RSS_LIMIT_KB + 160 * 1024, f"peak RSS {rss} KiB"
        assert srv.received().startswith(b"GET /v1/profile HTTP/1.1"), srv.received()[:200]


def test_timeout_from_the_environment_and_bad_values(bare_cli, pki):
    # A server that reads the request and never answers: PROVPORTAL_TIMEOUT ends the wait.
    cli = bare_cli
    with HostileServer(pki, "silent") as srv:
        write_session(cli, srv.url, "pps_abcdefghijklmnopqrstuvwx")
        env = {"PROVPORTAL_BASE_URL": srv.url, "PROVPORTAL_CA_FILE": str(pki.ca), "PROVPORTAL_TIMEOUT": "0.5"}
        started = time.monotonic()
        expect(cli.run("whoami", env=env), 5, "timed out after 0.5s")
        assert time.monotonic() - started < 20
        expect(cli.run("whoami", env={**env, "PROVPORTAL_TIMEOUT": "soon"}), 2, "PROVPORTAL_TIMEOUT")
        expect(cli.run("--timeout", "0", "whoami", env=env), 2, "--timeout")


def test_certificate_for_another_name_is_refused_naming_the_mismatch(bare_cli, tmp_path):
    cli = bare_cli
    pki = make_pki(tmp_path / "other", names=("portal.other.example",))
    with HostileServer(pki, "ok") as srv:
        r = cli.run("--base-url", srv.url_for("localhost"), *login_args(), stdin="violet kettle sunrise\n",
                    env={"PROVPORTAL_CA_FILE": str(pki.ca)})
        expect(r, 5, "certificate", "hostname mismatch")
        assert srv.received() == b"", "nothing (no password) was sent to the wrong host"
