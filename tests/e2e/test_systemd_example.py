"""The systemd example (examples/systemd/) reads provportal's exit statuses as the README says:
1 is a success, 5 and 7 are tried again later (the batches resume from their journals), 2, 3, 4
and 70 need a person and are not retried; `systemd-analyze verify` accepts the units."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

from conftest import REPO

SYSTEMD = REPO / "examples" / "systemd"
NIGHTLY = REPO / "examples" / "cron" / "nightly.sh"


def unit(name: str) -> configparser.ConfigParser:
    c = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    c.optionxform = str
    c.read_string((SYSTEMD / name).read_text())
    return c


def test_the_service_reads_each_exit_status_as_the_readme_says():
    s = unit("provportal-nightly.service")
    service = s["Service"]
    assert service["Type"] == "oneshot"
    assert service["SuccessExitStatus"].split() == ["1"]
    assert service["Restart"] == "on-failure"
    prevent = set(service["RestartPreventExitStatus"].split())
    assert prevent == {"2", "3", "4", "70"}, prevent
    assert "5" not in prevent and "7" not in prevent  # transient: tried again
    assert s["Unit"]["OnFailure"].startswith("provportal-alert@")
    assert int(s["Unit"]["StartLimitBurst"]) >= 2
    assert "nightly.sh" in service["ExecStart"]
    # The codes it names are the README's.
    readme = (REPO / "README.md").read_text()
    for code in ("1", "2", "3", "4", "5", "7", "70"):
        assert re.search(rf"^\| {code} \|", readme, re.M), f"exit {code} is not in the README's table"
    assert "examples/systemd/" in readme


def test_the_timer_runs_nightly_on_the_portals_clock():
    t = unit("provportal-nightly.timer")
    assert "America/Chicago" in t["Timer"]["OnCalendar"]
    assert t["Timer"]["Persistent"] == "true"
    assert t["Install"]["WantedBy"] == "timers.target"


def test_systemd_accepts_the_units(tmp_path):
    # ExecStart must name an existing program for `verify`: point it at the repository's script,
    # and drop User= (no such user on a test machine).
    for name in ("provportal-nightly.service", "provportal-nightly.timer", "provportal-alert@.service"):
        text = (SYSTEMD / name).read_text()
        text = text.replace("/usr/local/lib/provportal/nightly.sh", str(NIGHTLY))
        text = re.sub(r"^(User|Group)=.*$", "", text, flags=re.M)
        (tmp_path / name).write_text(text)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "provportal-nightly.service"),
                        str(tmp_path / "provportal-nightly.timer")],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    problems = [line for line in p.stderr.splitlines()
                if "provportal" in line and "Documentation" not in line]
    assert p.returncode == 0 and not problems, p.stderr
