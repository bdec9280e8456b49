"""scripts/setup.sh installs what every stage of scripts/test.sh, demo.sh and bench.sh uses
(issue: the fuzz stage failed on a fresh Debian 12 because clang was never installed), and
scripts/check_deps.py, which CI runs, fails when it does not."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import REPO

CHECK = [str(REPO / "scripts/check_deps.py")]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["/usr/bin/python3", *CHECK, *args], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env=env)


def test_setup_installs_everything_the_scripts_and_tests_use():
    p = run()
    assert p.returncode == 0, p.stderr
    assert "check_deps:" in p.stdout


def test_setup_lists_clang_and_the_libfuzzer_runtime():
    listed = subprocess.run([str(REPO / "scripts/setup.sh"), "--list"], capture_output=True,
                            text=True, check=True).stdout.split()
    assert "clang" in listed and "libclang-rt-14-dev" in listed


def test_a_package_left_out_of_setup_is_named_with_what_uses_it():
    p = run("--without", "libclang-rt-14-dev", "--without", "oathtool")
    assert p.returncode == 1
    assert "libclang_rt.fuzzer-x86_64.a" in p.stderr and "libclang-rt-14-dev" in p.stderr
    assert "command 'oathtool'" in p.stderr and "tests/e2e/" in p.stderr
    assert "add it to its list" in p.stderr


def test_fuzz_sh_without_clang_names_the_package(tmp_path: Path):
    # A PATH with only what fuzz.sh needs before its check: no clang++.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname",):
        (bin_dir / tool).symlink_to(f"/usr/bin/{tool}")
    p = subprocess.run(["/bin/bash", str(REPO / "scripts/fuzz.sh"), "all", "1"],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PATH": str(bin_dir)})
    assert p.returncode == 2, p.stderr
    assert "clang++ is not installed" in p.stderr and "libclang-rt-14-dev" in p.stderr
