"""Man pages (issue #13, item 16): provportal(1), provportal-sandbox(1) and one page per
subcommand at every depth (provportal-config-set.1, provportal-sandbox-admin-clock-set.1), written
by the build into build/man/ from the text of --help, each rendering cleanly with `man -l` and
listing the options --help lists; `cmake --install` puts the programs in bin/ and the pages in
share/man/man1/.

The commands are found here by walking `--help` itself (its "Subcommands:" lists), not by the
code that writes the pages, so a subcommand without a page, or a stale page of a removed one,
fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, bin_dir

PROGRAMS = ["provportal", "provportal-sandbox"]
SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO"]
# An option line of CLI11's --help: "  -o,--output FORMAT ...", "  --date-of-birth,--dob DATE".
OPTION_LINE = re.compile(r"^\s{2}((?:-\w,)?--[\w-]+(?:,--[\w-]+)*)")


def build_dir() -> Path:
    return bin_dir().resolve().parent


def help_text(program: str, path: tuple[str, ...]) -> str:
    p = subprocess.run([str(bin_dir() / program), *path, "--help"], capture_output=True, text=True,
                       timeout=30, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert p.returncode == 0, f"{program} {' '.join(path)} --help exited {p.returncode}: {p.stderr}"
    return p.stdout


def listed_subcommands(text: str) -> list[str]:
    names, inside = [], False
    for line in text.splitlines():
        if line == "Subcommands:":
            inside = True
        elif inside and re.match(r"^  \S", line):
            names.append(line.split()[0])
        elif inside:
            inside = False
    return names


def commands(program: str) -> dict[tuple[str, ...], str]:
    """Every command --help reaches, with its --help text: () for the program itself."""
    found: dict[tuple[str, ...], str] = {}
    todo: list[tuple[str, ...]] = [()]
    while todo:
        path = todo.pop()
        found[path] = help_text(program, path)
        todo += [path + (name,) for name in listed_subcommands(found[path])]
    return found


def page_name(program: str, path: tuple[str, ...]) -> str:
    return "-".join((program, *path)) + ".1"


@pytest.fixture(scope="module")
def tree() -> dict[str, dict[tuple[str, ...], str]]:
    return {program: commands(program) for program in PROGRAMS}


@pytest.fixture(scope="module")
def man_dir() -> Path:
    d = build_dir() / "man"
    if not d.is_dir():
        pytest.fail(f"{d} is missing: the build writes the man pages there (cmake --build)",
                    pytrace=False)
    return d


def render(page: Path) -> subprocess.CompletedProcess:
    """`man -l PAGE` as a reader on an 80-column terminal gets it, with groff's warnings on."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "MANWIDTH": "80",
           "MANPAGER": "cat", "PAGER": "cat"}
    return subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", str(page)], capture_output=True,
                          text=True, timeout=60, env=env)


def sections(text: str) -> dict[str, str]:
    """The rendered page's sections by heading (headings start in column 0)."""
    out: dict[str, str] = {}
    heading = None
    for line in text.splitlines()[1:-1]:  # the header and footer lines are not sections
        if re.fullmatch(r"[A-Z][A-Z ]+", line):
            heading = line
            out[heading] = ""
        elif heading:
            out[heading] += line + "\n"
    return out


def test_every_command_has_its_page_and_no_page_is_stale(tree, man_dir):
    expected = {page_name(program, path) for program in PROGRAMS for path in tree[program]}
    present = {p.name for p in man_dir.glob("*.1")}
    assert expected - present == set(), f"commands of --help without a page in {man_dir}"
    assert present - expected == set(), f"pages in {man_dir} of no command --help lists"
    # Nested subcommands are there, named as git names its pages.
    for name in ("provportal.1", "provportal-check-eligibility.1", "provportal-config.1",
                 "provportal-config-set.1", "provportal-sandbox.1", "provportal-sandbox-admin.1",
                 "provportal-sandbox-admin-clock-advance.1"):
        assert name in present, name


def test_every_page_renders_cleanly_with_its_options_exit_status_and_see_also(tree, man_dir):
    problems = []
    for program in PROGRAMS:
        for path, text in tree[program].items():
            page = man_dir / page_name(program, path)
            r = render(page)
            if r.returncode != 0 or r.stderr:
                problems.append(f"{page.name}: man -l exited {r.returncode}: {r.stderr.strip()}")
                continue
            s = sections(r.stdout)
            missing = [h for h in SECTIONS if h not in s]
            if missing:
                problems.append(f"{page.name}: no {', '.join(missing)} section")
                continue
            name = page.name[:-2]
            if not re.match(rf"\s+{re.escape(name)} - \S", s["NAME"]):
                problems.append(f"{page.name}: NAME is not `{name} - summary`: {s['NAME']!r}")
            if " ".join((program, *path)) not in s["SYNOPSIS"]:
                problems.append(f"{page.name}: SYNOPSIS does not show the command: {s['SYNOPSIS']!r}")
            # Every option --help lists, in OPTIONS; every subcommand, in COMMANDS.
            for line in text.splitlines():
                m = OPTION_LINE.match(line)
                for option in (m.group(1).split(",") if m else []):
                    if not re.search(rf"(^|[\s,]){re.escape(option)}\b", s["OPTIONS"], re.M):
                        problems.append(f"{page.name}: OPTIONS lacks {option}")
            for sub in listed_subcommands(text):
                if sub not in s.get("COMMANDS", "") or f"{name}-{sub}(1)" not in s["SEE ALSO"]:
                    problems.append(f"{page.name}: does not point to its subcommand {sub}")
            # The exit status table of the program's --help.
            top = tree[program][()]
            for code in re.findall(r"^  (\d+) ", top.split("Exit status:", 1)[1], re.M):
                if not re.search(rf"^\s+{code}\s+\S", s["EXIT STATUS"], re.M):
                    problems.append(f"{page.name}: EXIT STATUS lacks {code}")
            if page.name != "provportal.1" and "provportal(1)" not in s["SEE ALSO"]:
                problems.append(f"{page.name}: SEE ALSO does not name provportal(1)")
    assert not problems, "\n".join(problems)


def test_check_eligibility_page_reads_as_its_help(man_dir):
    """The example of the issue: `man -l build/man/provportal-check-eligibility.1`."""
    r = render(man_dir / "provportal-check-eligibility.1")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    s = sections(r.stdout)
    assert re.match(r"\s+provportal-check-eligibility - Check members' coverage", s["NAME"]), s["NAME"]
    assert "provportal check-eligibility [OPTIONS]" in s["SYNOPSIS"]
    for option in ("--member-id ID", "--date-of-birth, --dob DATE", "--batch FILE", "--resume"):
        assert option in s["OPTIONS"], option
    assert "Batch options" in s["OPTIONS"] and "options of provportal(1)" in s["OPTIONS"]
    assert "provportal check-eligibility --batch examples/eligibility.csv" in s["EXAMPLES"]
    assert re.search(r"^\s+130\s+interrupted", s["EXIT STATUS"], re.M)
    # Options and shell examples keep ASCII hyphen-minus and quotes, to be copied.
    assert "‐" not in r.stdout and "’" not in r.stdout


def test_pages_hold_no_path_or_setting_of_the_build_machine(man_dir):
    pages = sorted(man_dir.glob("*.1"))
    assert pages
    home = os.environ.get("HOME", "")
    forbidden = [str(REPO), str(build_dir()), "/home/", "/root", "/tmp/", "/work/"]
    forbidden += [home] if len(home) > 1 else []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for needle in forbidden:
            assert needle not in text, f"{page.name} contains {needle!r}"


def test_cmake_install_puts_programs_and_pages_in_place(man_dir, tmp_path):
    build = build_dir()
    if not (build / "CMakeCache.txt").is_file():
        pytest.skip(f"{build} is not a CMake build directory (PROVPORTAL_BIN_DIR is not build/bin)")
    prefix = tmp_path / "prefix"
    try:
        p = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        for program in PROGRAMS:
            exe = prefix / "bin" / program
            assert exe.is_file() and os.access(exe, os.X_OK), exe
        v = subprocess.run([str(prefix / "bin" / "provportal"), "--version"], capture_output=True,
                           text=True, timeout=30)
        assert v.returncode == 0 and v.stdout.startswith("provportal "), v.stdout + v.stderr
        installed = prefix / "share" / "man" / "man1"
        assert {p.name for p in installed.glob("*.1")} == {p.name for p in man_dir.glob("*.1")}
        # man finds them by name under the prefix.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
               "MANPATH": str(prefix / "share" / "man"), "MANWIDTH": "80", "MANPAGER": "cat"}
        w = subprocess.run(["man", "-w", "provportal-config-set"], capture_output=True, text=True,
                           env=env, timeout=60)
        assert w.stdout.strip() == str(installed / "provportal-config-set.1"), w.stdout + w.stderr
        shown = subprocess.run(["man", "provportal-sandbox-admin-clock"], capture_output=True,
                               text=True, env=env, timeout=60)
        assert shown.returncode == 0 and "provportal-sandbox-admin-clock-advance(1)" in shown.stdout
    finally:
        shutil.rmtree(prefix, ignore_errors=True)  # two programs with debug information
