"""scripts/check_layers.py keeps the layers of ARCHITECTURE.md true: it passes on the tree and
fails, naming the file, line and rule, when an include points upward."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import REPO

CHECK = str(REPO / "scripts/check_layers.py")


def check(root: Path | None = None) -> subprocess.CompletedProcess:
    args = ["/usr/bin/python3", CHECK] + (["--root", str(root)] if root else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for d in ("lib", "cmd"):
        shutil.copytree(REPO / d, root / d)
    return root


def add_include(path: Path, target: str) -> int:
    lines = path.read_text().splitlines()
    at = next(i for i, l in enumerate(lines) if l.startswith("#include"))
    lines.insert(at, f'#include "{target}"')
    path.write_text("\n".join(lines) + "\n")
    return at + 1


def test_the_tree_passes():
    p = check()
    assert p.returncode == 0, p.stderr


def test_an_upward_include_fails_naming_file_line_and_rule(tmp_path):
    root = copy_tree(tmp_path)
    line = add_include(root / "lib/portal/util/clock.cpp", "portal/batch/runner.hpp")
    p = check(root)
    assert p.returncode == 1
    assert f"lib/portal/util/clock.cpp:{line}: includes portal/batch/runner.hpp" in p.stderr
    assert "util/ (layer 0) may not include batch/ (layer 4)" in p.stderr


def test_the_cli_including_the_sandbox_fails(tmp_path):
    root = copy_tree(tmp_path)
    add_include(root / "cmd/provportal/main.cpp", "sandbox/portal.hpp")
    p = check(root)
    assert p.returncode == 1 and "the CLI never includes the sandbox" in p.stderr


def test_sandbox_headers_including_each_other_fail(tmp_path):
    root = copy_tree(tmp_path)
    headers = sorted((root / "lib/sandbox").glob("*.hpp"))
    a, b = headers[0], headers[1]
    add_include(a, f"sandbox/{b.name}")
    add_include(b, f"sandbox/{a.name}")
    p = check(root)
    assert p.returncode == 1 and "sandbox headers include each other" in p.stderr
