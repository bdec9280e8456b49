#!/usr/bin/python3
"""Checks that includes point one way through the layers of ARCHITECTURE.md.

    util → records, http, log, config, pull, output → api → wire → batch, auth → ops → cmd

A module may include its own layer's headers only within itself, and lower layers freely.
lib/x12 and lib/caqh (the CAQH CORE envelopes) depend on nothing of the project but themselves.
The library uses caqh/ from its wires up, as it uses x12/. The sandbox (lib/sandbox,
cmd/provportal-sandbox) may use util, records, x12, caqh and auth's TOTP only; the CLI
(cmd/provportal) never includes the sandbox. No two headers of lib/sandbox include each other, directly or through others.

Prints each include that breaks a rule as FILE:LINE: what and why, and exits 1. Run by
scripts/test.sh; tests/e2e/test_layers.py shows it failing on an upward include.

Usage: scripts/check_layers.py [--root DIR]
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# The layer of each module of lib/portal (a module may include modules of a lower layer).
LAYERS = {
    "util": 0,
    "records": 1, "http": 1, "log": 1, "config": 1, "pull": 1, "output": 1,
    "api": 2,
    "wire": 3,
    "batch": 4, "auth": 4,
    "ops": 5,
}
# What the sandbox may use of lib/portal (module, or module/header).
SANDBOX_ALLOWED = {"util", "records", "auth/totp.hpp"}

# Includes that break a rule today, each with the work that removes it. The check fails when
# one of them is gone too, so this list only shrinks.
KNOWN: dict[tuple[str, str], str] = {}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def includes(path: Path):
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        m = INCLUDE.match(line)
        if m:
            yield n, m.group(1)


def check(root: Path) -> tuple[list[str], set]:
    problems: list[str] = []
    seen_known: set = set()

    def report(f: Path, n: int, target: str, why: str) -> None:
        rel = f.relative_to(root).as_posix()
        if (rel, target) in KNOWN:
            seen_known.add((rel, target))
            return
        problems.append(f"{rel}:{n}: includes {target}: {why}")

    for f in sorted(root.glob("lib/portal/*/*.[ch]pp")) + sorted(root.glob("lib/portal/*/*/*.[ch]pp")):
        module = f.relative_to(root / "lib/portal").parts[0]
        if module not in LAYERS:
            problems.append(f"{f.relative_to(root)}: module {module}/ has no layer: add it to "
                            "LAYERS in scripts/check_layers.py and to ARCHITECTURE.md")
            continue
        for n, target in includes(f):
            parts = target.split("/")
            if parts[0] == "sandbox":
                report(f, n, target, "the library never includes the sandbox")
            elif parts[0] in ("x12", "caqh"):
                if LAYERS[module] < LAYERS["wire"]:
                    report(f, n, target, f"{module}/ is below the wires that use lib/{parts[0]}")
            elif parts[0] == "portal" and len(parts) > 2:
                other = parts[1]
                if other != module and other in LAYERS and LAYERS[other] >= LAYERS[module]:
                    report(f, n, target, f"{module}/ (layer {LAYERS[module]}) may not include "
                           f"{other}/ (layer {LAYERS[other]}): includes point down")

    for lib in ("x12", "caqh"):
        for f in sorted(root.glob(f"lib/{lib}/**/*.[ch]pp")):
            for n, target in includes(f):
                if not target.startswith(f"{lib}/"):
                    report(f, n, target,
                           f"lib/{lib} is standalone: it includes nothing of the project")

    sandbox_files = sorted(root.glob("lib/sandbox/*.[ch]pp")) + sorted(
        root.glob("cmd/provportal-sandbox/*.[ch]pp"))
    for f in sandbox_files:
        for n, target in includes(f):
            parts = target.split("/")
            if parts[0] == "portal" and len(parts) > 2:
                if parts[1] not in SANDBOX_ALLOWED and "/".join(parts[1:3]) not in SANDBOX_ALLOWED:
                    report(f, n, target, "the sandbox uses only util, records, x12, caqh and "
                           "auth's TOTP of the library")

    for f in sorted(root.glob("cmd/provportal/*.[ch]pp")):
        for n, target in includes(f):
            if target.startswith("sandbox/"):
                report(f, n, target, "the CLI never includes the sandbox")

    # No cycles among the sandbox's headers.
    graph: dict[str, list[tuple[int, str]]] = {}
    for h in sorted(root.glob("lib/sandbox/*.hpp")):
        graph[f"sandbox/{h.name}"] = [(n, t) for n, t in includes(h) if t.startswith("sandbox/")]
    for start in graph:
        stack = [(start, [start])]
        visited = set()
        while stack:
            node, path = stack.pop()
            for n, t in graph.get(node, []):
                if t == start:
                    f = root / "lib" / path[-1]
                    report(f, n, t, "sandbox headers include each other: " +
                           " → ".join(path + [t]))
                elif t not in visited:
                    visited.add(t)
                    stack.append((t, path + [t]))
    return problems, seen_known


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    problems, seen_known = check(args.root)
    for (f, target), why in sorted(KNOWN.items()):
        if (f, target) not in seen_known:
            problems.append(f"{f}: no longer includes {target}: remove it from KNOWN in "
                            "scripts/check_layers.py")
    for p in sorted(set(problems)):
        print(f"check_layers: {p}", file=sys.stderr)
    if problems:
        return 1
    known = f" ({len(KNOWN)} known exceptions: " + "; ".join(sorted(set(KNOWN.values()))) + ")"
    print("check_layers: includes point one way" + (known if KNOWN else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
