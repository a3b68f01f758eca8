"""End-to-end: --help, help and man for every app, and the text tools
(sort, uniq, cut, tr, seq, xargs, yes, date, which) in real pipelines on a
booted machine.

Where GNU coreutils and the guest should agree, the same command line runs
in the guest and in the host's bash (LC_ALL=C, TZ=UTC), on the same input:
the guest's file is written with echo, the host's with Python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = sorted(p.stem for p in (ROOT / "apps").glob("*.js"))
STOPS_THE_MACHINE = {"poweroff", "reboot"}  # their --help is asked on a machine of its own

# The guest's input files, and the host's copies of them.
PASSWD = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
alice:x:1000:1000:Alice Liddell:/home/alice:/bin/sh
bob:x:1001:1000:Bob:/home/bob:/bin/sh
carol:x:999:100:Carol  Two:/home/carol:/bin/false
eve:x:1002:100:Eve:/home/eve
"""
WORDS = """\
the quick brown fox
jumps over  the lazy dog
The Quick Brown Fox
the quick brown fox
the quick brown fox
éclair and café
\ttabbed\tline\there
10 apples
9 pears
-3 plums
  7 figs
2.5 kiwis
apple
apple
Apple
banana
"""
FILES = {"/tmp/tt/passwd": PASSWD, "/tmp/tt/words": WORDS}

# Command lines whose output must be GNU's, byte for byte ({dir} is where
# the files are: /tmp/tt in the guest, a temporary directory on the host).
SAME_AS_GNU = [
    "sort {dir}/words",
    "sort -r {dir}/words",
    "sort -f {dir}/words",
    "sort -u {dir}/words",
    "sort -n {dir}/words",
    "sort -rn {dir}/words",
    "sort -k2 {dir}/words",
    "sort -b -k2 {dir}/words",
    "sort -s -k1,1 {dir}/words",
    "sort -t: -k3n {dir}/passwd",
    "sort -t: -k4,4n -k1,1r {dir}/passwd",
    "sort -t: -k5 {dir}/passwd {dir}/words",
    "uniq {dir}/words",
    "uniq -c {dir}/words",
    "sort {dir}/words | uniq -c",
    "sort {dir}/words | uniq -d",
    "sort {dir}/words | uniq -u",
    "sort -f {dir}/words | uniq -c | sort -rn",
    "cut -d: -f1,3 {dir}/passwd",
    "cut -d: -f7,1 {dir}/passwd",
    "cut -d: -f6- -s {dir}/passwd {dir}/words",
    "cut -c1-5 {dir}/words",
    "cut -c3- {dir}/passwd",
    "cut -f2 {dir}/words",
    "cut -f2 -s {dir}/words",
    "tr a-z A-Z < {dir}/words",
    "tr -d aeiou < {dir}/passwd",
    "tr -s ' ' < {dir}/words",
    "tr -cs 'A-Za-z' '\\n' < {dir}/words",
    "tr -d '[:digit:]' < {dir}/passwd",
    "tr ':' '\\t' < {dir}/passwd | cut -f1,7",
    "cat {dir}/words | tr -cs 'a-z' '\\n' | sort | uniq -c | sort -k1,1nr -k2 | head -5",
    "seq 5",
    "seq -w 1 10",
    "seq 0 0.25 2",
    "seq -s, 10 -2 1",
    "seq -w -5 5",
    "seq 100000 | tail -1",
    "seq 1 100000 | sort -rn | head -3",
    "seq 1000 | tr 0-9 a-j | sort | uniq -c | sort -rn | head -5",
    "seq 10 | xargs -n 3 echo",
    "echo a b c d e | xargs -n 2 echo",
    "cut -d: -f1 {dir}/passwd | xargs echo users:",
    "grep -A 1 apple {dir}/words",
    "grep -B 2 -n an {dir}/words",
    "grep -C 1 -i apple {dir}/words",
    "grep -m 2 a {dir}/words",
    "grep -m 1 -A 2 ':0:' {dir}/passwd",
    "grep -c -m 3 a {dir}/words",
    "date -u -d @0",
    "date -u -d @1709210096 '+%F %T %a %b %e %j %U %W %V %G %s %Z'",
]


def gnu(line: str, directory: str) -> subprocess.CompletedProcess:
    """The command line run by the host's bash and coreutils."""
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    return subprocess.run(
        ["bash", "-c", line.format(dir=directory)], capture_output=True, text=True, env=env, timeout=30
    )


def quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture(scope="module")
def files(machine, tmp_path_factory):
    """The input files, in the guest (by echo) and on the host: the host's directory."""
    status, _, err = machine.run("mkdir -p /tmp/tt")
    assert status == 0, err
    for path, text in FILES.items():
        lines = text.splitlines()
        script = "; ".join(
            f"echo {quoted(line)} {'>' if i == 0 else '>>'} {path}" for i, line in enumerate(lines)
        )
        status, _, err = machine.run(script)
        assert status == 0, err
        status, out, err = machine.run(f"cat {path}")
        assert (status, out) == (0, text), err
    host = tmp_path_factory.mktemp("text-tools")
    for path, text in FILES.items():
        (host / Path(path).name).write_text(text)
    return str(host)


# ---- --help, help, man -------------------------------------------------------


def declared_options(name: str) -> list[str]:
    """The keys of `module.exports.options = {...}` in apps/NAME.js."""
    source = (ROOT / "apps" / f"{name}.js").read_text()
    block = re.search(r"^module\.exports\.options\s*=\s*\{([^}]*)\}", source, re.M)
    assert block, f"{name} declares no options"
    # One key a line, at the line's start: a meaning may itself hold "'Name: value'".
    keys = re.findall(r"""^\s*(?:(['"])(.*?)\1|([A-Za-z_$][\w$]*))\s*:\s*['"`]""", block.group(1), re.M)
    return [quoted_key or bare for _, quoted_key, bare in keys]


def split_by_marker(out: str) -> dict[str, tuple[int, str]]:
    """'...text...@@ NAME STATUS' sections -> {NAME: (STATUS, text)}."""
    sections = {}
    for text, name, status in re.findall(r"(.*?)^@@ (\S+) (\d+)\n", out, re.S | re.M):
        sections[name] = (int(status), text)
    return sections


def check_help(machine, names):
    line = "; ".join(f'{name} --help; echo "@@ {name} $?"' for name in names)
    status, out, err = machine.run(line, timeout=60)
    assert (status, err) == (0, ""), err
    sections = split_by_marker(out)
    assert sorted(sections) == sorted(names)
    for name, (code, text) in sections.items():
        assert code == 0, f"{name} --help: status {code}\n{text}"
        assert text.startswith(f"usage: {name}"), f"{name} --help:\n{text}"
        assert re.search(r"^  --help +show this help and exit$", text, re.M), text
        for option in declared_options(name):
            assert re.search(rf"^  {re.escape(option)} ", text, re.M), (
                f"{name} --help lacks {option}:\n{text}"
            )


def test_every_app_answers_help_with_its_usage_and_options(machine):
    check_help(machine, [name for name in APPS if name not in STOPS_THE_MACHINE])


def test_poweroff_and_reboot_help_only_talk(fresh_machine):
    """On a machine of its own: if --help ran main, the machine would stop."""
    check_help(fresh_machine, sorted(STOPS_THE_MACHINE))
    assert fresh_machine.run("echo alive") == (0, "alive\n", "")


def test_help_name_prints_what_name_help_prints(machine):
    names = ["ls", "sort", "xargs", "date", "kill", "sh", "true"]
    line = "; ".join(
        f'{name} --help; echo "@@ {name} $?"; help {name}; echo "@@ help-{name} $?"' for name in names
    )
    status, out, err = machine.run(line)
    assert status == 0, err
    sections = split_by_marker(out)
    for name in names:
        assert sections[name][0] == sections[f"help-{name}"][0] == 0
        assert sections[name][1] == sections[f"help-{name}"][1], name


def test_ls_help_is_help_not_an_invalid_option(machine):
    status, out, err = machine.run("ls --help")
    assert (status, err) == (0, "")
    assert out.startswith("usage: ls [-l] [-a] [PATH...]\nlist directory contents\n\n")
    assert "  -l      long listing: mode, size, time\n" in out


def test_help_is_the_apps_own_when_it_declares_nothing_or_ownhelp(machine):
    status, out, err = machine.run(
        "echo 'module.exports = (argv) => { sys.print(argv.join(\"|\")); };' > /tmp/plain.js; /tmp/plain.js --help"
    )
    assert (status, out, err) == (0, "/tmp/plain.js|--help\n", "")
    # One that declares itself but answers --help on its own (ownHelp).
    own = 'module.exports = (argv) => { sys.print(argv.join("|")); }; module.exports.description = "mine";'
    status, out, err = machine.run(f"echo '{own}' > /tmp/own.js; /tmp/own.js --help | head -1")
    assert (status, out) == (0, "usage: own\n"), err
    status, out, err = machine.run(
        f"echo '{own} module.exports.ownHelp = true;' > /tmp/own.js; /tmp/own.js --help"
    )
    assert (status, out, err) == (0, "/tmp/own.js|--help\n", "")


def test_man_ls_is_a_page(machine):
    status, out, err = machine.run("man ls")
    assert (status, err) == (0, "")
    assert re.match(
        r"LS\(1\) +jsksh +LS\(1\)\n\nNAME\n {7}ls - list directory contents\n\nSYNOPSIS\n {7}ls \[-l\] \[-a\] \[PATH\.\.\.\]\n",
        out,
    ), out
    assert "\nDESCRIPTION\n       List directory contents, in columns on a terminal" in out
    assert "\nOPTIONS\n       -l      long listing: mode, size, time\n" in out
    status, out, err = machine.run("man nosuch; echo $?")
    assert (out, err) == ("16\n", "No manual entry for nosuch\n")


# ---- the text tools, beside GNU ---------------------------------------------


@pytest.mark.skipif(shutil.which("sort") is None, reason="no host coreutils")
@pytest.mark.parametrize("line", SAME_AS_GNU)
def test_same_output_as_gnu(machine, files, line):
    expected = gnu(line, files)
    assert expected.returncode == 0, expected.stderr
    status, out, err = machine.run(line.format(dir="/tmp/tt"))
    assert (status, err) == (0, ""), f"{line}: {err}"
    assert out == expected.stdout, line


def test_sort_of_a_hundred_thousand_numbers(machine):
    status, out, err = machine.run("seq 1 100000 | sort -rn | head -3")
    assert (status, out, err) == (0, "100000\n99999\n99998\n", "")
    status, out, _ = machine.run("seq 1 100000 | sort | uniq -c | sort -rn | wc -l")
    assert (status, out.strip()) == (0, "100000")


def test_yes_ends_when_its_reader_goes(machine):
    start = time.monotonic()
    status, out, err = machine.run("yes | head -3; yes jsksh | head -c 12; echo; echo done")
    assert (status, out, err) == (0, "y\ny\ny\njsksh\njsksh\n\ndone\n", "")
    assert time.monotonic() - start < 10
    # A reader that never reads, and one that ends at once: yes ends quietly.
    status, out, err = machine.run("yes | true; yes a b | head -1 > /tmp/y; cat /tmp/y")
    assert (status, out, err) == (0, "a b\n", "")


def test_date_is_the_machines_clock(machine):
    before = time.gmtime()
    status, out, err = machine.run("date +%Y; date -u +%s; date")
    after = time.gmtime()
    assert (status, err) == (0, "")
    year, seconds, default = out.splitlines()
    assert year in {str(before.tm_year), str(after.tm_year)}
    assert abs(int(seconds) - time.time()) < 30
    assert re.fullmatch(
        r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \d{4}", default
    ), default


def test_which_finds_apps_and_builtins(machine):
    status, out, err = machine.run("which ls sort cd; echo $?; which nosuch; echo $?")
    assert out == "/bin/ls.js\n/bin/sort.js\ncd: shell built-in\n0\n1\n"
    assert err == "which: no nosuch in (/bin)\n"
    # What which names, the shell runs.
    status, out, _ = machine.run("$(which seq) 2")
    assert (status, out) == (0, "1\n2\n")


def test_xargs_status_and_missing_command(machine):
    status, out, err = machine.run("seq 3 | xargs -n 1 false; echo $?; echo x | xargs nosuchcmd; echo $?")
    assert out == "123\n127\n"
    assert err == "xargs: nosuchcmd: No such file or directory\n"


def test_text_tools_reject_unknown_options(machine):
    for name in ("sort", "uniq", "cut", "tr", "seq", "xargs", "date", "which"):
        status, out, err = machine.run(f"{name} -Z")
        assert status == 2, f"{name}: {status} {err}"
        assert err.startswith(f"{name}: invalid option -- 'Z'\nusage: {name} "), err
