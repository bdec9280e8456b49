"""Harness of the end-to-end tests: a real sandbox per test, the CLI run as a user would run it.

Run from the repository root:

    PROVPORTAL_BIN_DIR=build/bin /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e

PROVPORTAL_BIN_DIR is the directory holding the built `provportal` and `provportal-sandbox`
(default: build/bin, relative to the repository root).

Every sandbox is started with the maintenance window switched off and its clock pinned to a
Tuesday (PINNED_TIME), so the suite passes on any day at any hour, Sunday afternoon in Chicago
included; the tests about the window or the real clock move the clock themselves. Its seeded
claims are dated from that Tuesday too (`--claims-epoch`), so they stand where the tests expect.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hmac
import json
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OTP_SCRIPT = REPO / "examples" / "otp-from-outbox.sh"

PASSWORD = "violet kettle sunrise"
NEW_PASSWORD = "amber harbor lantern 42"
THIRD_PASSWORD = "copper meadow whistle 7"
PINNED_TIME = "2026-11-17T15:00:00Z"  # a Tuesday, 09:00 CST
# America/Chicago as a POSIX TZ rule: needs no tz database, and what the CLI's "local time" is.
CHICAGO_TZ = "CST6CDT,M3.2.0,M11.1.0"
SUPPORT_PHONE_DEFAULT = "1-800-555-0100"

ORG_NPI = "1234567893"  # one organisation: org_lakeshore

# The sandbox's seeded members, and the columns of an eligibility batch.
ROSTER = yaml.safe_load((REPO / "examples" / "sandbox" / "members.yaml").read_text())["members"]
ELIGIBILITY_FIELDS = ["ref", "member_id", "first_name", "last_name", "date_of_birth", "health_plan",
                      "provider_npi", "service_date"]


def eligibility_row(i: int, ref: str, npi: str = ORG_NPI, service_date: str = "2026-11-16") -> dict:
    """A well-formed eligibility row of the i-th seeded member (cycling), found and named right."""
    m = ROSTER[i % len(ROSTER)]
    return {"ref": ref, "member_id": m["member_id"], "first_name": m["first_name"], "last_name": m["last_name"],
            "date_of_birth": m["date_of_birth"], "health_plan": m["plan"], "provider_npi": npi,
            "service_date": service_date}


def write_eligibility_rows(path: Path, n: int, ref=lambda i: f"r{i:07d}", bad: int = 0,
                           service_date: str = "2026-11-16") -> Path:
    """A CSV batch of n well-formed rows cycling through the roster, then `bad` rows with an NPI
    that fails its check digit."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=ELIGIBILITY_FIELDS)
        w.writeheader()
        for i in range(n + bad):
            w.writerow(eligibility_row(i, ref(i), ORG_NPI if i < n else "1234567890", service_date))
    return path
TWO_ORG_NPI = "1679576722"  # two organisations: org_riverside_cardio, org_riverside_cardio_north
UNKNOWN_NPI = "1987654328"  # a valid check digit, but no organisation on file has it
# The Tax ID on file for each organisation (examples/sandbox/organizations.yaml): a registration's
# must match the organisation it joins.
ORG_TAX_IDS = {
    "org_lakeshore": "36-1234567",
    "org_prairie_imaging": "37-7654321",
    "org_riverside_cardio": "39-2468135",
    "org_riverside_cardio_north": "39-2468136",
}
NPI_TAX_IDS = {ORG_NPI: "36-1234567", "1245319599": "37-7654321", TWO_ORG_NPI: "39-2468135"}

CLI_TIMEOUT = 60
SANDBOX_START_TIMEOUT = 30


# ---- binaries ------------------------------------------------------------------------------


def bin_dir() -> Path:
    d = Path(os.environ.get("PROVPORTAL_BIN_DIR", "build/bin"))
    return d if d.is_absolute() else REPO / d


def _require_binary(name: str) -> Path:
    path = bin_dir() / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} is not an executable: build it first (scripts/build.sh) or set "
            f"PROVPORTAL_BIN_DIR to the directory holding provportal and provportal-sandbox",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def sandbox_bin() -> Path:
    return _require_binary("provportal-sandbox")


@pytest.fixture(scope="session")
def cli_bin() -> Path:
    return _require_binary("provportal")


# ---- results -------------------------------------------------------------------------------


@dataclass
class Result:
    args: list[str]
    rc: int
    out: str
    err: str
    stdin: str = ""
    env_extra: dict = field(default_factory=dict)

    def describe(self) -> str:
        shown = " ".join(shlex.quote(a) for a in self.args)
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env_extra.items())
        return (
            f"\n$ {env + ' ' if env else ''}{shown}\n"
            f"exit code: {self.rc}\n"
            f"--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}\n--------------"
        )

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise AssertionError(f"stdout is not JSON ({e}):{self.describe()}") from None


def expect(result: Result, rc: int, *needles: str, stream: str = "err") -> Result:
    """Asserts the exit code and that each needle (case-insensitive) is in stderr (or stdout)."""
    assert result.rc == rc, f"expected exit code {rc}, got {result.rc}:{result.describe()}"
    text = (result.err if stream == "err" else result.out if stream == "out" else result.out + result.err).lower()
    for needle in needles:
        assert needle.lower() in text, f"expected {needle!r} in {stream}:{result.describe()}"
    return result


def expect_rc(result: Result, allowed, why: str = "") -> Result:
    assert result.rc in allowed, f"expected exit code in {sorted(allowed)} {why}, got {result.rc}:{result.describe()}"
    return result


# ---- time and TOTP -------------------------------------------------------------------------


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def totp(secret: str, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (HMAC-SHA1), written here independently of the product's code."""
    s = re.sub(r"\s", "", secret).upper().rstrip("=")
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // step), "sha1").digest()
    off = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(value).zfill(digits)


def unique_email(prefix: str = "jane") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@clinic.example"


# ---- the sandbox ---------------------------------------------------------------------------


class Sandbox:
    def __init__(self, binary: Path, data_dir: Path, extra_args=(), log_level="warn", maintenance="off"):
        self.binary = binary
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.log_level = log_level
        self.maintenance = maintenance
        self.proc: subprocess.Popen | None = None
        self.address = ""
        self.starts = 0

    # -- process
    def start(self, listen: str = "127.0.0.1:0", extra_args=None) -> "Sandbox":
        if extra_args is not None:
            self.extra_args = list(extra_args)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.out_log = self.data_dir.parent / f"{self.data_dir.name}.stdout.{self.starts}.log"
        self.err_log = self.data_dir.parent / f"{self.data_dir.name}.stderr.{self.starts}.log"
        addr_file = self.data_dir / "address"
        if addr_file.exists():
            addr_file.unlink()
        args = [
            str(self.binary), "serve", "--data-dir", str(self.data_dir), "--listen", listen,
            "--maintenance-window", self.maintenance, "--log-level", self.log_level, *self.extra_args,
        ]
        with open(self.out_log, "wb") as out, open(self.err_log, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        deadline = time.monotonic() + SANDBOX_START_TIMEOUT
        while time.monotonic() < deadline:
            if addr_file.exists():
                text = addr_file.read_text().strip()
                if text:
                    self.address = text
                    return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        rc = self.proc.poll()
        self.stop()
        pytest.fail(
            f"the sandbox did not write {addr_file} within {SANDBOX_START_TIMEOUT}s "
            f"(exit code {rc}): {' '.join(args)}\n--- stderr ---\n{self.err_log.read_text(errors='replace')}"
            f"\n--- stdout ---\n{self.out_log.read_text(errors='replace')}",
            pytrace=False,
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def logs(self) -> str:
        text = ""
        for i in range(1, self.starts + 1):
            for kind in ("stdout", "stderr"):
                p = self.data_dir.parent / f"{self.data_dir.name}.{kind}.{i}.log"
                if p.exists():
                    text += p.read_text(errors="replace")
        return text

    # -- where it is
    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    @property
    def url(self) -> str:
        return f"https://{self.address}"

    @property
    def ca(self) -> Path:
        return self.data_dir / "ca.pem"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    # -- administration
    def admin(self, *args: str, check: bool = True) -> Result:
        cmd = [str(self.binary), "admin", "--data-dir", str(self.data_dir), *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
        r = Result(cmd, p.returncode, p.stdout, p.stderr)
        if check:
            assert r.rc == 0, f"admin command failed:{r.describe()}"
        return r

    def clock_set(self, when: str) -> None:
        self.admin("clock", "set", when)

    def clock_advance(self, duration: str) -> None:
        self.admin("clock", "advance", duration)

    def clock_reset(self) -> None:
        self.admin("clock", "reset")

    def now(self) -> dt.datetime:
        return parse_time(self.admin("clock", "show").json()["now"])

    def registrations(self) -> list:
        return self.admin("registrations").json()["registrations"]

    # -- the outbox
    def emails(self, to: str | None = None, purpose: str | None = None) -> list[dict]:
        """Emails in the outbox, oldest first: {name, path, headers, body}."""
        found = []
        if not self.outbox.is_dir():
            return found
        for path in sorted(self.outbox.glob("*.eml"), key=lambda p: p.name):
            raw = path.read_text(errors="replace").replace("\r\n", "\n")
            head, _, body = raw.partition("\n\n")
            headers = {}
            for line in head.split("\n"):
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            if to is not None and headers.get("to", "").lower() != to.lower():
                continue
            if purpose is not None and purpose not in path.name:
                continue
            found.append({"name": path.name, "path": path, "headers": headers, "body": body})
        return found

    def latest_code(self, email: str, purpose: str = "login-passcode") -> str:
        mails = self.emails(to=email, purpose=purpose)
        assert mails, f"no {purpose} email to {email} in {self.outbox}: {sorted(p.name for p in self.outbox.glob('*'))}"
        m = re.search(r"(?:code|passcode)[^:\n]*:\s*(\d{6,10})\s*$", mails[-1]["body"], re.M | re.I)
        assert m, f"no code in {mails[-1]['path']}:\n{mails[-1]['body']}"
        return m.group(1)

    def otp_command(self, email: str, purpose: str | None = None, before: str = "") -> str:
        """An --otp-command that prints the newest code; `before` is a shell command run first."""
        cmd = f"sh {shlex.quote(str(OTP_SCRIPT))} {shlex.quote(str(self.data_dir))} {shlex.quote(email)}"
        if purpose:
            cmd += f" {shlex.quote(purpose)}"
        if before:
            cmd = f"{before} >/dev/null && {cmd}"
        return cmd

    def admin_command(self, *args: str) -> str:
        return " ".join(shlex.quote(a) for a in [str(self.binary), "admin", "--data-dir", str(self.data_dir), *args])


@pytest.fixture
def sandbox_factory(sandbox_bin, tmp_path):
    """Starts sandboxes on demand (maintenance window off, clock pinned); stops them at teardown."""
    started: list[Sandbox] = []
    counter = [0]

    def make(extra_args=(), pin: str | None = PINNED_TIME, log_level="warn", maintenance="off", start=True):
        counter[0] += 1
        if pin and "--claims-epoch" not in extra_args:
            extra_args = [*extra_args, "--claims-epoch", pin[:10]]
        sb = Sandbox(sandbox_bin, tmp_path / f"sandbox{counter[0]}", extra_args, log_level, maintenance)
        started.append(sb)
        if start:
            sb.start()
            if pin:
                sb.clock_set(pin)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def sandbox(sandbox_factory) -> Sandbox:
    return sandbox_factory()


# ---- the CLI -------------------------------------------------------------------------------


class Cli:
    """Runs `provportal` as a user would: its own HOME and XDG directories, stdin never a tty."""

    def __init__(self, binary: Path, home: Path, sandbox: Sandbox | None, global_args=()):
        self.binary = binary
        self.home = home
        self.sandbox = sandbox
        self.transcript: list[Result] = []
        self.global_args = list(global_args)
        for d in ("config", "state", "data", "cache", "work"):
            (home / d).mkdir(parents=True, exist_ok=True)

    @property
    def config_dir(self) -> Path:
        return self.home / "config" / "provportal"

    def session_file(self, profile: str = "default") -> Path:
        return self.config_dir / "sessions" / f"{profile}.json"

    def env(self, extra: dict | None = None, remove=()) -> dict:
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "NO_COLOR": "1",
            "TZ": CHICAGO_TZ,
            "LANG": "C.UTF-8",
        }
        # A sanitizer build's settings reach the CLI too (scripts/test.sh sets them).
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        if self.sandbox is not None:
            env["PROVPORTAL_BASE_URL"] = self.sandbox.url
            env["PROVPORTAL_CA_FILE"] = str(self.sandbox.ca)
        env.update(extra or {})
        for k in remove:
            env.pop(k, None)
        return env

    def peak_rss_kib(self, *args: str, timeout: float = 600) -> int:
        """Runs the CLI under GNU time; returns its peak resident set size (KiB). It must exit 0.

        A sanitizer build holds freed memory in a quarantine (256 MB by default), so its peak
        follows what was ever allocated; the quarantine is off here so a measure of flat memory
        means the same in both builds."""
        time_bin = shutil.which("time") or "/usr/bin/time"
        env = self.env()
        if "ASAN_OPTIONS" in env:
            env["ASAN_OPTIONS"] += ":quarantine_size_mb=0"
        p = subprocess.run([time_bin, "-f", "%M", str(self.binary), *self.global_args, *args], capture_output=True,
                           text=True, env=env, cwd=self.home / "work", timeout=timeout)
        assert p.returncode == 0, p.stderr[-2000:]
        return int(p.stderr.strip().splitlines()[-1])

    def run(self, *args: str, stdin: str = "", env: dict | None = None, remove_env=(), timeout: float = CLI_TIMEOUT) -> Result:
        cmd = [str(self.binary), *self.global_args, *args]
        try:
            p = subprocess.run(
                cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                env=self.env(env, remove_env), cwd=self.home / "work",
            )
        except subprocess.TimeoutExpired as e:
            r = Result(cmd, -999, (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""),
                       (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or ""),
                       stdin, dict(env or {}))
            self.transcript.append(r)
            raise AssertionError(f"timed out after {timeout}s:{r.describe()}") from None
        r = Result(cmd, p.returncode, p.stdout, p.stderr, stdin, dict(env or {}))
        self.transcript.append(r)
        return r

    # -- the account lifecycle in the contract's words
    def register(self, email: str, password: str = PASSWORD, *extra: str, npi: str = ORG_NPI,
                 tax_id: str | None = None) -> Result:
        """Registers a physician; the Tax ID defaults to the one on file for the organisation joined."""
        if tax_id is None:
            chosen = extra[extra.index("--organization-id") + 1] if "--organization-id" in extra else None
            tax_id = ORG_TAX_IDS[chosen] if chosen in ORG_TAX_IDS else NPI_TAX_IDS.get(npi, "36-1234567")
        return self.run(
            "register", "--provider-type", "physician", "--npi", npi, "--tax-id", tax_id,
            "--first-name", "Jane", "--last-name", "Doe", "--email", email,
            "--phone", "312-555-0142", "--fax", "312-555-0143", "--accept-terms", "--password-stdin",
            *extra, stdin=password + "\n",
        )

    def login_email(self, email: str, password: str = PASSWORD, *extra: str, before: str = "") -> Result:
        """Logs in with the emailed passcode fetched from the sandbox's outbox by --otp-command."""
        return self.run(
            "login", "--email", email, "--password-stdin",
            "--otp-command", self.sandbox.otp_command(email, before=before), *extra,
            stdin=password + "\n",
        )

    def login_totp(self, email: str, secret_file: Path, password: str = PASSWORD, *extra: str) -> Result:
        return self.run(
            "login", "--email", email, "--password-stdin", "--totp-secret-file", str(secret_file), *extra,
            stdin=password + "\n",
        )


@pytest.fixture
def cli_factory(cli_bin, tmp_path):
    counter = [0]

    def make(sandbox: Sandbox | None) -> Cli:
        counter[0] += 1
        return Cli(cli_bin, tmp_path / f"user{counter[0]}", sandbox)

    return make


@pytest.fixture
def cli(cli_factory, sandbox) -> Cli:
    return cli_factory(sandbox)


# ---- composite steps -----------------------------------------------------------------------


def make_active_user(sandbox: Sandbox, cli: Cli, email: str | None = None, password: str = PASSWORD) -> str:
    """Registers, approves and verifies an account; returns its email."""
    email = email or unique_email()
    expect(cli.register(email, password), 0)
    sandbox.admin("approve", email)
    code = sandbox.latest_code(email, "verify-email")
    expect(cli.run("verify-email", "--email", email, "--code", code), 0)
    return email


@pytest.fixture
def office(sandbox, cli) -> Cli:
    """A logged-in office user (an emailed passcode); its email is cli.email."""
    email = make_active_user(sandbox, cli)
    expect(cli.login_email(email), 0)
    cli.email = email
    return cli


def enroll_totp(sandbox: Sandbox, cli: Cli) -> tuple[Path, str]:
    """Enrols an authenticator app for the logged-in user; returns (secret file, secret)."""
    secret_file = cli.home / "totp.secret"
    expect(cli.run("update-profile", "--enroll-totp", "--totp-secret-out", str(secret_file)), 0)
    assert secret_file.is_file(), f"{secret_file} was not written"
    secret = secret_file.read_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), f"not a Base32 secret: {secret!r}"
    return secret_file, secret


def first_order_id(cli: Cli, seconds: float = 10.0) -> str | None:
    """The first order search-orders lists, polled for until one is there (a submission running
    in the background), or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = expect(cli.run("search-orders", "-o", "jsonl"), 0)
        if r.out.strip():
            return json.loads(r.out.splitlines()[0])["order_id"]
        time.sleep(0.1)
    return None


def whoami(cli: Cli) -> dict:
    return expect(cli.run("whoami", "-o", "json"), 0).json()


def session_tokens(cli: Cli, profile: str = "default") -> list[str]:
    """The token-like values of the cached session file (values of keys naming a token)."""
    path = cli.session_file(profile)
    if not path.exists():
        return []
    found: list[str] = []

    def walk(v, key=""):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
        elif isinstance(v, str) and "token" in key.lower() and len(v) >= 16:
            found.append(v)

    walk(json.loads(path.read_text()))
    return found


# ---- the raw HTTP API ----------------------------------------------------------------------


@dataclass
class ApiAnswer:
    status: int
    headers: dict
    body: object

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.headers} {self.body}"


def api(sandbox: Sandbox, method: str, path: str, body=None, token: str | None = None, raw: str | None = None) -> ApiAnswer:
    """One request to the sandbox over verified TLS (its CA, its host name), with Python's stdlib."""
    import http.client
    import ssl

    ctx = ssl.create_default_context(cafile=str(sandbox.ca))
    host, port = sandbox.address.rsplit(":", 1)
    conn = http.client.HTTPSConnection(host.strip("[]"), int(port), context=ctx, timeout=30)
    try:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return ApiAnswer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed)
    finally:
        conn.close()
