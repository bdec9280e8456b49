#!/usr/bin/python3
"""Checks that scripts/setup.sh installs everything the project's scripts and tests use.

A fresh Debian 12 machine has the minbase packages (priority "required", plus apt) and nothing
else; scripts/setup.sh installs its package list with --no-install-recommends, so what a test run
can rely on is that list's dependency closure (Depends and Pre-Depends, not Recommends) plus
minbase. This script collects what the project uses:

  - commands: every word in command position in the shell scripts (scripts/, examples/), the
    first item of every argument list and every shutil.which() of the Python tests and tools,
    that names a program in Debian's standard PATH;
  - Python modules imported by the tests and tools (resolved by /usr/bin/python3);
  - C and C++ headers included by the sources (#include <...>, resolved in /usr/include);

finds the Debian package that ships each one (dpkg -S), and fails naming the command, module or
header, the file that uses it and its package when that package is neither in the closure nor
in minbase. Run by scripts/test.sh; `--without PKG` drops a package from setup.sh's list (the
self-test in tests/e2e/test_setup_deps.py shows the check failing that way).

Usage: scripts/check_deps.py [--without PKG]... [-v]
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STANDARD_PATH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]  # /usr/local is not Debian's
# scripts/clean_root.sh is left out: it runs outside the tests and installs what it needs itself.
SHELL_FILES = ["scripts/[!c]*.sh", "scripts/chaos.sh", "scripts/check*.sh", "examples/**/*.sh",
               ".ci/run"]
PYTHON_FILES = ["tests/e2e/*.py", "scripts/*.py", "scripts/bench/*.py", "tests/fuzz/*.py"]
SOURCE_FILES = ["lib/**/*.[ch]pp", "cmd/**/*.[ch]pp", "tests/**/*.[ch]pp"]
INCLUDE_DIRS = ["/usr/include", "/usr/include/x86_64-linux-gnu", "/usr/include/c++/12",
                "/usr/include/x86_64-linux-gnu/c++/12"]
# Shell words that are never commands of their own (keywords and builtins that also exist as
# programs in coreutils are harmless: coreutils is in minbase).
SHELL_WORDS = {"if", "then", "else", "elif", "fi", "for", "while", "do", "done", "case", "esac",
               "in", "function", "select", "until", "time"}


def setup_packages() -> list[str]:
    out = subprocess.run([str(REPO / "scripts/setup.sh"), "--list"], capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def closure(packages: list[str]) -> set[str]:
    """The packages apt installs for `packages` without recommends (over-approximated where a
    dependency has alternatives: every alternative counts)."""
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *packages],
        capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"^\|?(?:Pre)?Depends: <?([^>\s]+)>?", line)
        if m:
            names.add(m.group(1).split(":")[0])
        elif line and not line.startswith(("Recommends", "Suggests", "Conflicts", "Breaks",
                                           "Replaces", "Enhances", "|")):
            names.add(line.strip("<>").split(":")[0])
    return names


def minbase() -> set[str]:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority} ${Essential}\n"],
                         capture_output=True, text=True, check=True).stdout
    names = {"apt"}
    for line in out.splitlines():
        name, priority, essential = (line.split() + ["", "", ""])[:3]
        if priority == "required" or essential == "yes":
            names.add(name)
    return names


def files(patterns: list[str]) -> list[Path]:
    found = set()
    for pattern in patterns:
        found.update(p for p in REPO.glob(pattern) if p.is_file() and "build" not in p.parts[
            len(REPO.parts):len(REPO.parts) + 1][0])
    return sorted(found)


def find_program(name: str) -> str | None:
    for d in STANDARD_PATH:
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


RUNTIME_FILES = [
    ("/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a", "tests/fuzz/CMakeLists.txt"),
    ("/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a", "tests/fuzz/CMakeLists.txt"),
]
# Words that may precede a command on a line: keywords and wrappers that run the next word.
PREFIX_WORDS = {"then", "do", "else", "elif", "if", "while", "until", "!", "exec", "command",
                "-v", "sudo", "time", "env", "nice", "xargs", "-q", "-p"}
SEGMENT_SPLIT = re.compile(r"\|\||&&|[|;`({]|\$\(")


def shell_commands(line: str) -> list[str]:
    """The words of a shell line that stand where a command does (after |, &&, ;, $( ...)."""
    code = re.sub(r"(^|\s)#.*$", "", line)  # comments are not commands
    words = []
    for segment in SEGMENT_SPLIT.split(code):
        tokens = segment.split()
        while tokens and (tokens[0] in PREFIX_WORDS or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=",
                                                                 tokens[0])
                          or tokens[0].startswith(('"$', "$", "'$"))
                          or (tokens[0] == "-c" and len(tokens) > 1)):
            tokens = tokens[2:] if tokens[0] == "-c" else tokens[1:]
        if tokens and tokens[0] == "taskset":  # taskset -c CPU PROGRAM
            words.append("taskset")
            tokens = tokens[3:]
        if tokens and tokens[0] == "timeout":  # timeout SECONDS PROGRAM
            words.append("timeout")
            tokens = tokens[2:]
        if tokens:
            words.append(tokens[0])
    return words


def commands_used() -> dict[str, Path]:
    used: dict[str, Path] = {}
    for f in files(SHELL_FILES):
        for line in f.read_text(errors="replace").splitlines():
            words = shell_commands(line)
            # Programs that CMake runs: the generator and the compiler named on its command line.
            words += ["ninja"] if re.search(r"-G\s*Ninja", line) else []
            words += re.findall(r"CMAKE_CXX_COMPILER=([\w+.-]+)", line)
            for word in words:
                word = word[len("/usr/bin/"):] if word.startswith("/usr/bin/") else word
                if re.fullmatch(r"[a-z][a-z0-9_+.-]*", word) and word not in SHELL_WORDS \
                        and find_program(word):
                    used.setdefault(word, f)
    for f in files(PYTHON_FILES):
        try:
            tree = ast.parse(f.read_text(errors="replace"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            # A program is the first item of an argument list (["openssl", "req", ...]) or what
            # shutil.which() looks for.
            word = None
            if isinstance(node, (ast.List, ast.Tuple)) and node.elts and isinstance(
                    node.elts[0], ast.Constant):
                word = node.elts[0].value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "which" and node.args
                  and isinstance(node.args[0], ast.Constant)):
                word = node.args[0].value
            if isinstance(word, str) and re.fullmatch(r"[a-z][a-z0-9_+.-]*", word) \
                    and find_program(word):
                used.setdefault(word, f)
    return used


def modules_used() -> dict[str, Path]:
    local = {p.stem for f in PYTHON_FILES for p in REPO.glob(f)}
    used: dict[str, Path] = {}
    for f in files(PYTHON_FILES):
        try:
            tree = ast.parse(f.read_text(errors="replace"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for n in names:
                top = n.split(".")[0]
                if top not in local and top != "__future__":
                    used.setdefault(top, f)
    return used


def module_files(modules: list[str]) -> dict[str, str | None]:
    script = ("import importlib.util, sys\n"
              "for m in sys.argv[1:]:\n"
              "    s = importlib.util.find_spec(m)\n"
              "    print(m, s.origin if s and s.origin and s.origin not in ('built-in', 'frozen')"
              " else '-')\n")
    out = subprocess.run(["/usr/bin/python3", "-c", script, *modules], capture_output=True,
                         text=True, check=True).stdout
    result = {}
    for line in out.splitlines():
        m, origin = line.split(" ", 1)
        result[m] = None if origin == "-" else origin
    return result


def headers_used() -> dict[str, Path]:
    used: dict[str, Path] = {}
    for f in files(SOURCE_FILES):
        for m in re.finditer(r"^\s*#\s*include\s*<([^>]+)>", f.read_text(errors="replace"), re.M):
            used.setdefault(m.group(1), f)
    return used


def find_header(name: str) -> str | None:
    for d in INCLUDE_DIRS:
        p = os.path.join(d, name)
        if os.path.isfile(p):
            return p
    return None


def dpkg_files() -> dict[str, str]:
    """Every path dpkg installed, with its package (read from dpkg's lists: one pass, not one
    `dpkg -S` per path)."""
    owner: dict[str, str] = {}
    for lst in Path("/var/lib/dpkg/info").glob("*.list"):
        package = lst.stem.split(":")[0]
        for path in lst.read_text(errors="replace").splitlines():
            owner.setdefault(path, package)
    return owner


def packages_of(paths: list[str]) -> dict[str, str | None]:
    """The package shipping each path; merged-/usr and symbolic-link spellings tried in turn."""
    owner = dpkg_files()
    result: dict[str, str | None] = {}
    for path in paths:
        candidates = [path]
        if path.startswith(("/usr/bin/", "/usr/sbin/", "/usr/lib/")):
            candidates.append(path[len("/usr"):])
        elif path.startswith(("/bin/", "/sbin/", "/lib/")):
            candidates.append("/usr" + path)
        candidates.append(os.path.realpath(path))
        result[path] = next((owner[c] for c in candidates if c in owner), None)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without", action="append", default=[],
                        help="leave PKG out of setup.sh's list (to show the check failing)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every item checked")
    args = parser.parse_args()

    listed = [p for p in setup_packages() if p not in args.without]
    allowed = closure(listed) | minbase()
    # Packages named only with --without must not sneak back in through minbase's dependencies.
    allowed -= set(args.without) - minbase()

    items: list[tuple[str, str, Path, str | None]] = []  # kind, name, used in, path
    for name, f in sorted(commands_used().items()):
        items.append(("command", name, f, find_program(name)))
    mods = modules_used()
    for name, origin in sorted(module_files(sorted(mods)).items()):
        if origin:  # None: built into the interpreter or frozen (the standard library)
            items.append(("python module", name, mods[name], origin))
    for name, f in sorted(headers_used().items()):
        path = find_header(name)
        if path:
            items.append(("header", name, f, path))

    # Files the build uses that no #include names: libFuzzer's runtime (-fsanitize=fuzzer) and
    # the sanitizers' runtimes of clang.
    for pattern, user in RUNTIME_FILES:
        found = sorted(Path("/").glob(pattern.lstrip("/")))
        items.append(("library", pattern, REPO / user, str(found[-1]) if found else None))

    owners = packages_of([p for _, _, _, p in items if p])
    problems = []
    for kind, name, f, path in items:
        where = f.relative_to(REPO)
        if path is None:
            problems.append(f"{kind} {name!r} (used in {where}) is not installed at all")
            continue
        package = owners.get(path)
        if args.verbose:
            print(f"{kind:13} {name:40} {package or '?':28} {where}")
        if package is None:
            problems.append(f"{kind} {name!r} (used in {where}): {path} belongs to no Debian "
                            "package")
        elif package not in allowed:
            problems.append(f"{kind} {name!r} (used in {where}) comes from the Debian package "
                            f"{package}, which scripts/setup.sh does not install: add it to "
                            "its list")
    for p in problems:
        print(f"check_deps: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_deps: {len(items)} commands, Python modules and headers, all from the "
          f"{len(listed)} packages of scripts/setup.sh or a minbase Debian 12")
    return 0


if __name__ == "__main__":
    sys.exit(main())
