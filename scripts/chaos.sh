#!/usr/bin/env bash
# Chaos trials of the batch engine's exactly-once promise (SPEC §3: "killed at any moment (even
# kill -9), the same command with --resume finishes the batch with no row lost and no row
# submitted twice"), against a real sandbox that also injects faults (--faults).
#
#   scripts/chaos.sh [--trials-kill N] [--trials-restart M] [--rows R] [--seed S] [--quick]
#
#   --trials-kill N     SIGKILL provportal at a random moment of a run, then --resume (default 50)
#   --trials-restart M  SIGKILL the sandbox mid-run and serve again on the same data directory and
#                       port (every other trial SIGKILLs provportal too while the portal is down),
#                       then --resume until the batch is done (default 20)
#   --rows R            rows per batch (default 400)
#   --seed S            seed of the random moments and of the sandbox's faults (default: random)
#   --quick             5 kill trials and 3 restart trials (CI: under 90 s)
#   --strict            count the known sandbox bug below as a failure too
#
# Known bug (reported, not fixed here: lib/sandbox/idempotency.cpp): the sandbox answers an
# eligibility check before its batched writer has committed the Idempotency-Key, so a SIGKILL of
# the sandbox can lose the keys of requests it had already answered. A restart trial that finds
# fewer eligibility keys than rows, and nothing else wrong, is reported as "KNOWN BUG" and does
# not fail the run unless --strict. Too many keys, lost rows or anything else always fails.
#
# Each trial runs `provportal check-eligibility --batch` (and `submit-case --batch` when the
# binary has that subcommand and examples/cases.csv exists) on a fresh batch, then checks: the
# results file has exactly one line per row, in order, every row ok; the sandbox stored exactly
# one idempotency key per row (each row applied once; for cases: one order per row); PRAGMA
# integrity_check is ok on the sandbox's database and on the run's journal.
# Prints a summary (trials, failures, seconds); exits 1 on any failure, naming the trial, its
# seed and the directory kept for reproduction. Binaries: $PROVPORTAL_BIN_DIR (default build/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 - "$@" <<'PY'
import argparse, csv, json, os, random, re, shutil, signal, sqlite3, subprocess, sys, tempfile, time
from pathlib import Path

ap = argparse.ArgumentParser(prog="scripts/chaos.sh")
ap.add_argument("--trials-kill", type=int, default=50)
ap.add_argument("--trials-restart", type=int, default=20)
ap.add_argument("--rows", type=int, default=400)
ap.add_argument("--seed", type=int, default=None)
ap.add_argument("--quick", action="store_true")
ap.add_argument("--strict", action="store_true")
args = ap.parse_args()
if args.quick:
    args.trials_kill, args.trials_restart = 5, 3
seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
rng = random.Random(seed)

repo = Path.cwd()
bins = Path(os.environ.get("PROVPORTAL_BIN_DIR", "build/bin"))
bins = bins if bins.is_absolute() else repo / bins
cli_bin, sb_bin = bins / "provportal", bins / "provportal-sandbox"
for b in (cli_bin, sb_bin):
    if not os.access(b, os.X_OK):
        sys.exit(f"chaos: {b} is not built (scripts/build.sh, or set PROVPORTAL_BIN_DIR)")
work = Path(tempfile.mkdtemp(prefix="provportal-chaos."))
data = work / "sandbox"
home = work / "home"
for d in ("config", "state", "data", "cache"):
    (home / d).mkdir(parents=True)
faults = f"rate=0.05,kinds=429+503+500+reset+reset-after+truncate,seed={seed}"
env = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
    "XDG_STATE_HOME": str(home / "state"), "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache"),
    "NO_COLOR": "1", "LANG": "C.UTF-8", "TZ": "CST6CDT,M3.2.0,M11.1.0",
}
for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
    if k in os.environ:
        env[k] = os.environ[k]
started_at = time.monotonic()
print(f"chaos: seed {seed}, {args.trials_kill} kill trials, {args.trials_restart} restart trials, "
      f"{args.rows} rows, faults {faults}; work dir {work}", flush=True)


class Sandbox:
    def __init__(self):
        self.proc = None
        self.port = 0
        self.starts = 0

    def start(self):
        self.starts += 1
        (data / "address").unlink(missing_ok=True)
        listen = f"127.0.0.1:{self.port}"
        log = open(work / f"sandbox.{self.starts}.log", "wb")
        self.proc = subprocess.Popen([str(sb_bin), "serve", "--data-dir", str(data), "--listen", listen,
                                      "--maintenance-window", "off", "--log-level", "warn", "--faults", faults],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            a = data / "address"
            if a.exists() and a.read_text().strip():
                self.port = int(a.read_text().strip().rsplit(":", 1)[1])
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        sys.exit(f"chaos: the sandbox did not start (see {work}/sandbox.{self.starts}.log)")

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def admin(*a):
    p = subprocess.run([str(sb_bin), "admin", "--data-dir", str(data), *a], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        sys.exit(f"chaos: admin {' '.join(a)} failed: {p.stderr}")
    return p.stdout


def cli(*a, stdin="", check=True, timeout=300):
    e = dict(env, PROVPORTAL_BASE_URL=f"https://127.0.0.1:{sb.port}", PROVPORTAL_CA_FILE=str(data / "ca.pem"))
    p = subprocess.run([str(cli_bin), *a], input=stdin, capture_output=True, text=True, env=e, timeout=timeout)
    if check and p.returncode != 0:
        sys.exit(f"chaos: provportal {' '.join(a)} exited {p.returncode}: {p.stderr}")
    return p


def cli_env():
    return dict(env, PROVPORTAL_BASE_URL=f"https://127.0.0.1:{sb.port}", PROVPORTAL_CA_FILE=str(data / "ca.pem"))


def db_query(path, sql):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


sb = Sandbox()
sb.start()
admin("clock", "set", "2026-11-17T15:00:00Z")  # a Tuesday: sessions and keys never age
email = "chaos@clinic.example"
password = "violet kettle sunrise"
cli("register", "--provider-type", "physician", "--npi", "1234567893", "--tax-id", "36-1234567", "--first-name",
    "Chaos", "--last-name", "Monkey", "--email", email, "--phone", "312-555-0142", "--fax", "312-555-0143",
    "--accept-terms", "--password-stdin", stdin=password + "\n")
admin("approve", email)
code = subprocess.run(["sh", "examples/otp-from-outbox.sh", str(data), email, "verify-email"], capture_output=True,
                      text=True, check=True).stdout.strip()
cli("verify-email", "--email", email, "--code", code)
cli("login", "--email", email, "--password-stdin", "--otp-command",
    f"sh {repo}/examples/otp-from-outbox.sh {data} {email}", stdin=password + "\n")

import yaml  # Debian's python3-yaml
roster = yaml.safe_load((repo / "examples/sandbox/members.yaml").read_text())["members"]
FIELDS = ["ref", "member_id", "first_name", "last_name", "date_of_birth", "health_plan", "provider_npi", "service_date"]

has_cases = False
p = subprocess.run([str(cli_bin), "submit-case", "--help"], capture_output=True, text=True)
if p.returncode == 0 and "Usage: provportal submit-case" in p.stdout and (repo / "examples/cases.csv").exists():
    has_cases = True
print(f"chaos: submit-case {'found: cases are tried too' if has_cases else 'not in this build: eligibility only'}",
      flush=True)


def make_batch(trial_dir, tag, kind):
    src = trial_dir / f"{kind}.csv"
    if kind == "eligibility":
        with src.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(FIELDS)
            for i in range(args.rows):
                m = roster[i % len(roster)]
                w.writerow([f"{tag}-{i:06d}", m["member_id"], m["first_name"], m["last_name"], m["date_of_birth"],
                            m["plan"], "1234567893", "2026-11-16"])
    else:
        with (repo / "examples/cases.csv").open(newline="") as f:
            # The example cases that need no upload and are valid: each is submitted under many refs.
            rows = [r for r in csv.DictReader(f)
                    if not r.get("attachments") and r.get("service_end", "") >= r.get("service_start", "")]
        with src.open("w", newline="") as f:
            # The copies repeat approved orders' members, codes and dates: each says it is new.
            w = csv.DictWriter(f, fieldnames=[*rows[0].keys(), "not_duplicate"])
            w.writeheader()
            for i in range(args.rows // 4):
                r = dict(rows[i % len(rows)])
                r["ref"] = f"{tag}-{i:06d}"
                r["not_duplicate"] = "true"
                r["additional_info"] = ((r.get("additional_info") or "") + f" (chaos copy {i})").strip()
                w.writerow(r)
    return src


def count_applied(kind, tag):
    if kind == "eligibility":
        return db_query(data / "portal.db", "SELECT count(*) FROM idempotency_keys")[0][0]
    return db_query(data / "portal.db", "SELECT count(*) FROM orders")[0][0]


def batch_args(kind, src, results, journal):
    sub = "check-eligibility" if kind == "eligibility" else "submit-case"
    return [sub, "--batch", str(src), "--results", str(results), "--journal", str(journal),
            "--concurrency", "8", "--max-attempts", "12"]


durations = {}  # kind -> seconds of an undisturbed run, to aim the kills
failures = []
known_bugs = []
stats = {"kill": 0, "restart": 0, "killed_before_end": 0, "resumes": 0}


def run_trial(n, what, kind):
    tag = f"t{n:03d}{what[0]}{kind[0]}"
    tdir = work / tag
    tdir.mkdir()
    src = make_batch(tdir, tag, kind)
    rows = sum(1 for _ in src.open()) - 1
    results, journal = tdir / "results.jsonl", tdir / "journal.db"
    before = count_applied(kind, tag)
    a = batch_args(kind, src, results, journal)
    aim = durations.get(kind, 2.0)
    delay = rng.uniform(0.0, aim * 1.1)
    t0 = time.monotonic()
    proc = subprocess.Popen([str(cli_bin), *a], env=cli_env(), stdin=subprocess.DEVNULL,
                            stdout=open(tdir / "run.out", "wb"), stderr=open(tdir / "run.err", "wb"))
    time.sleep(delay)
    if what == "kill":
        if proc.poll() is None:
            proc.kill()
            stats["killed_before_end"] += 1
        proc.wait()
    else:
        sb.kill()
        # Every other restart trial also kills provportal while the portal is down, so that
        # --resume meets a portal that lost its in-memory state (sessions, pending key writes).
        if n % 2 == 0 and proc.poll() is None:
            proc.kill()
            stats["killed_before_end"] += 1
        time.sleep(rng.uniform(0.0, 0.5))
        sb.start()
        proc.wait(timeout=600)
    first_rc = proc.returncode
    rc, attempts = first_rc, 0
    while rc != 0 and attempts < 4:
        attempts += 1
        stats["resumes"] += 1
        p = subprocess.run([str(cli_bin), *a, "--resume"], env=cli_env(), capture_output=True, text=True, timeout=600)
        (tdir / f"resume{attempts}.err").write_text(p.stderr)
        rc = p.returncode
    elapsed = time.monotonic() - t0
    problems = []
    if rc != 0:
        problems.append(f"the batch did not finish after {attempts} resumes (exit {rc}; see {tdir}/resume*.err)")
    if results.exists():
        lines = [json.loads(x) for x in results.read_text().splitlines()]
        if len(lines) != rows:
            problems.append(f"results has {len(lines)} lines for {rows} rows")
        if [r["line"] for r in lines] != list(range(2, rows + 2)):
            problems.append("results are not one per row in input order")
        bad = [r for r in lines if r.get("outcome") != "ok"]
        if bad:
            problems.append(f"{len(bad)} rows not ok, e.g. {bad[0]}")
    else:
        problems.append("no results file")
    if list(tdir.glob("results.jsonl.part*")):
        problems.append("a results .part file was left behind")
    # The sandbox stores idempotency keys in batches: give its writer a moment to commit.
    deadline = time.monotonic() + 3
    applied = count_applied(kind, tag) - before
    while applied < rows and time.monotonic() < deadline:
        time.sleep(0.05)
        applied = count_applied(kind, tag) - before
    known = []
    if applied != rows:
        what_ = f"the sandbox holds {applied} {('keys' if kind == 'eligibility' else 'orders')} for {rows} rows"
        if what == "restart" and kind == "eligibility" and applied < rows and not args.strict:
            known.append(what_ + " (keys of answered requests lost with the killed sandbox)")
        else:
            problems.append(what_)
    for name, path in (("sandbox database", data / "portal.db"), ("journal", journal)):
        if path.exists():
            ic = db_query(path, "PRAGMA integrity_check")
            if ic != [("ok",)]:
                problems.append(f"integrity_check of the {name}: {ic}")
        elif name == "journal":
            problems.append("no journal")
    status = "FAILED" if problems else ("KNOWN BUG" if known else "ok")
    print(f"  trial {n:3d} {what:7s} {kind:11s} at {delay:5.2f}s  first exit {first_rc:4d}  resumes {attempts}  "
          f"{elapsed:5.1f}s  {status}", flush=True)
    if problems:
        failures.append((n, what, kind, tdir, problems))
    elif known:
        known_bugs.append((n, known))
        shutil.rmtree(tdir, ignore_errors=True)
    else:
        shutil.rmtree(tdir, ignore_errors=True)
    stats[what] += 1


kinds = ["eligibility"] + (["case"] if has_cases else [])
try:
    # Calibrate: one undisturbed run of each kind says how long a run lasts.
    for kind in kinds:
        tdir = work / f"calibrate-{kind}"
        tdir.mkdir()
        src = make_batch(tdir, f"cal{kind[0]}", kind)
        t0 = time.monotonic()
        p = subprocess.run([str(cli_bin), *batch_args(kind, src, tdir / "r.jsonl", tdir / "j.db")], env=cli_env(),
                           capture_output=True, text=True, timeout=600)
        durations[kind] = max(0.3, time.monotonic() - t0)
        if p.returncode != 0:
            sys.exit(f"chaos: an undisturbed {kind} batch failed (exit {p.returncode}): {p.stderr[-2000:]}")
        print(f"chaos: an undisturbed {kind} run of {sum(1 for _ in src.open()) - 1} rows takes {durations[kind]:.2f}s", flush=True)
    n = 0
    for what, count in (("kill", args.trials_kill), ("restart", args.trials_restart)):
        for i in range(count):
            n += 1
            run_trial(n, what, kinds[i % len(kinds)])
finally:
    sb.stop()

secs = time.monotonic() - started_at
total = stats["kill"] + stats["restart"]
print(f"chaos: {total} trials ({stats['kill']} kill, {stats['restart']} sandbox restarts; provportal killed "
      f"mid-run {stats['killed_before_end']} times), "
      f"{stats['resumes']} resumes, {len(failures)} failures, {len(known_bugs)} known-bug trials, {secs:.0f} s, "
      f"seed {seed}")
for n, notes in known_bugs:
    print(f"KNOWN BUG in trial {n}: {'; '.join(notes)} (lib/sandbox/idempotency.cpp; --strict fails on it)")
if failures:
    for n, what, kind, tdir, problems in failures:
        print(f"FAILED trial {n} ({what}, {kind}), files kept in {tdir}:", file=sys.stderr)
        for pr in problems:
            print(f"  - {pr}", file=sys.stderr)
    print(f"chaos: reproduce with scripts/chaos.sh --seed {seed} "
          f"--trials-kill {args.trials_kill} --trials-restart {args.trials_restart} --rows {args.rows}; "
          f"sandbox data in {data}", file=sys.stderr)
    sys.exit(1)
shutil.rmtree(work, ignore_errors=True)
PY
