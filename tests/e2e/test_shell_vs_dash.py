"""The shell language against dash: each line runs as `sh -c LINE` in a booted
machine and as `dash -c LINE` on the host, in a directory prepared the same
way in both, and their stdout and status must be equal.

jsksh differs from dash on purpose in a few places (DIFFERENCES below, each
with its reason, and in docs/shell.md, "Where jsksh differs from POSIX"):
for those the guest's own answer is checked, and that dash's is another, so
an entry that stops being a difference is noticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

MACHINE_ARGS = ("--net", "none")  # for conftest.py's module machine

DASH = shutil.which("dash") or "/usr/bin/dash"
WORKDIR = "/tmp/vs"

# The files both shells see, relative to the working directory.
FILES = {
    "a.txt": "apple\nbanana\ncherry\n",
    "b.txt": "one\n",
    "c.md": "# title\n",
    ".hidden": "secret\n",
    "sub/x.txt": "in sub\n",
    "sub/y.log": "log\n",
    "lib.sh": 'greeting=hello\nsay() { echo "$greeting $1"; }\nreturn 4\necho never\n',
    "script.sh": '#!/bin/sh\necho "script $# $1"\nexit 7\n',
}

CASES = [
    # A here-document without its end word takes the rest of the text (dash, bash).
    "echo first; cat <<EOF\nno end word",
    # compound commands and control flow (§2.9.4)
    "for i in 1 2 3; do echo $i; done",
    "for i in; do echo never; done; echo after",
    "set -- x 'y z'; for a; do echo \"[$a]\"; done",
    "for i in a b; do for j in 1 2; do echo $i$j; done; done",
    "for i in 1 2 3 4 5; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done",
    "for i in 1 2; do for j in a b c; do [ $j = b ] && continue 2; echo $i$j; done; done",
    "for i in 1 2; do for j in a b; do break 2; done; done; echo $i$j",
    "i=0; while [ $i -lt 3 ]; do echo $i; i=$((i + 1)); done",
    "i=5; until [ $i -le 2 ]; do i=$((i - 1)); done; echo $i",
    "while false; do :; done; echo $?",
    "for x in 1 2 3; do if [ $x = 1 ]; then echo one; elif [ $x = 2 ]; then echo two; else echo many; fi; done",
    "if false; then echo no; fi; echo $?",
    "if ! false; then echo negated; fi",
    "for f in a.txt c.md x.c Makefile; do case $f in *.txt|*.md) echo doc $f;; *.[ch]) echo code;; [A-Z]*) echo upper;; esac; done",
    "case 'a*' in 'a*') echo quoted;; a*) echo glob;; esac",
    "case abc in (a*) echo paren;; esac",
    "x=3; case $x in 1) echo one;; *) echo other $x;; esac",
    "{ echo a; echo b; } | wc -l",
    "x=1; { x=2; }; echo $x",
    "x=1; (x=2; echo in $x); echo out $x",
    "(cd sub && echo ${PWD##*/}); echo ${PWD##*/}",
    "(exit 3); echo $?",
    "{ echo out; echo err >&2; } 2>/dev/null",
    "for i in 1 2; do echo $i; done > o.tmp; cat o.tmp",
    'while read line; do echo "<$line>"; done < a.txt',
    "cat a.txt | while read l; do echo got $l; done",
    "if true; then echo y; fi | cat",
    "true && { echo and; } || echo or",
    "false || (echo sub; exit 2); echo $?",
    # functions and positional parameters (§2.9.5)
    'f() { echo $# "$1" "$2"; }; f a \'b c\'',
    "f() { return 3; }; f; echo $?",
    'f() { echo "$@"; echo $*; }; f 1 "2  3" 4',
    "f() { shift; echo $1; shift 2; echo $# $@; }; f a b c d e",
    "set -- 1 2 3 4 5 6 7 8 9 10 11; echo ${10} ${11} $#",
    "x=global; f() { local x=inner; echo $x; }; f; echo $x",
    "fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }; fact 6",
    "f() { echo in-f; }; f | cat",
    "f() { for a; do echo [$a]; done; }; f x y",
    "f() { echo first; }; f() { echo second; }; f",
    "f() { echo fn; }; unset -f f; f 2>/dev/null; echo $?",
    # expansions (§2.6)
    "echo $(echo hello) `echo back`",
    'echo "[$(printf "a\\n\\n\\n")]"',
    "echo $(echo $(echo nested))",
    "x=$(false); echo $?",
    "x=$(exit 5); echo $?",
    "echo $((1 + 2 * 3)) $((10 / 3)) $((10 % 3)) $(((1 + 2) * 3)) $((-7 / 2))",
    "a=5; b=3; echo $((a > b)) $((a == b)) $((a && 0)) $((a || 0)) $((a != b))",
    "n=4; echo $((n * n)) $(($n + 1))",
    "i=1; : $((i += 4)); echo $i",
    "echo ${U:-default} ${U-unset}",
    "E=; echo [${E:-empty}] [${E-set}]",
    "echo ${U:=assigned}; echo $U",
    "S=val; echo ${S:+alt} [${U:+alt}]",
    "S=hello; echo ${#S}",
    "F=archive.tar.gz; echo ${F%.*} ${F%%.*} ${F#*.} ${F##*.}",
    "P=/usr/local/bin; echo ${P##*/} ${P%/*}",
    "X='a  b   c'; echo $X; echo \"$X\"",
    "IFS=:; X=a:b::c; for f in $X; do echo [$f]; done",
    "X=' lead trail '; for f in $X; do echo [$f]; done",
    "set -- 'a b' c; for f in \"$@\"; do echo [$f]; done; for f in $*; do echo [$f]; done",
    'set --; for f in "$@"; do echo never; done; echo none',
    "echo *.txt",
    "echo *.none",
    "echo '*.txt' \\*.txt",
    "echo sub/*",
    "echo */*.txt",
    "echo [ab].txt",
    "echo ?.md",
    "cd sub && echo *",
    "cat <<EOF\nline $((1 + 1))\nEOF",
    "cat <<'EOF'\nno $expansion here\nEOF",
    "cat <<-EOF\n\tindented\n\tEOF",
    'read a b <<EOF\none two three\nEOF\necho "$a|$b"',
    # builtins
    "[ -f a.txt ] && echo file; [ -d sub ] && echo dir; [ -e nope ] || echo missing",
    "[ -s a.txt ] && echo nonempty; [ -d a.txt ]; echo $?",
    "[ abc = abc ]; echo $?; [ abc != abc ]; echo $?; [ -n '' ]; echo $?; [ -z '' ]; echo $?",
    "[ 2 -lt 10 ]; echo $?; [ 10 -le 2 ]; echo $?; test 3 -eq 3; echo $?",
    "[ ! -f nope ]; echo $?; [ 1 = 1 -a 2 = 2 ]; echo $?; [ 1 = 2 -o 2 = 2 ]; echo $?",
    "[ 1 -lt x ] 2>/dev/null; echo $?",
    "printf '%s-%s\\n' a b c d",
    "printf '%d %5d %-4d| %05d %x %X %o\\n' 42 7 3 9 255 255 8",
    "printf '%s\\t%c|%%|%3s|%.2s\\n' tab xyz r abcdef",
    "printf 'no newline'; printf '\\n'",
    "printf '%s\\n' 'a b' c",
    "IFS=, read -r x y <<EOF\n1,2,3\nEOF\necho $x $y",
    "printf 'x\\\\y\\n' | { read v; echo $v; }",
    "printf 'x\\\\y\\n' | { read -r v; echo $v; }",
    "printf 'a\\n' | { read v; read w; echo $? [$v] [$w]; }",
    "set -e; false; echo never",
    "set -e; if false; then :; fi; false || true; echo survived",
    "set -u; echo ${U:-ok}",
    "set -u; echo $U; echo never",
    "set -- a b c; echo $#; set --; echo $#",
    ". ./lib.sh; echo $?; say world",
    "sh ./script.sh arg1 arg2; echo $?",
    "./script.sh one; echo $?",
    "exec > o2.tmp; echo redirected; exec >&2; cat o2.tmp >&2",
    "type cd; type :",
    "command -v cd",
    "trap 'echo trapped' EXIT; echo body",
    "trap 'echo bye' EXIT; exit 3",
    "export V=1; sh -c 'echo $V'; unset V; sh -c 'echo [$V]'",
    "true; echo $?; false; echo $?; :; echo $?",
    "exit 4",
    "echo ${PWD##*/}; pwd | wc -l",
    "cd sub | cat; echo ${PWD##*/}",
    "echo a; break; echo b",
    "echo a > o3.tmp; echo b >> o3.tmp; cat < o3.tmp",
    'f() { while read l; do echo "f:$l"; done; }; cat a.txt | f',
    "f() { cat <<EOF\nin func $1\nEOF\n}; f arg",
    "for i in 1 2; do cat <<EOF\nloop $i\nEOF\ndone",
    'IFS=: read a b c <<EOF\n1:2:3:4\nEOF\necho "$a|$b|$c"',
    "! true | false; echo $?; true | false | true; echo $?",
    "(sleep 0; exit 3) & wait $!; echo $?",
    "x=1; { x=2; echo $x; } | cat; echo $x",
    "x=aXbXc; echo ${x#*X} ${x##*X} ${x%X*} ${x%%X*}",
    "echo $((0x10 + 010 + 10)) $(( 5 - -3 )) $(( -(2+3) ))",
    "f() { exit 9; }; f; echo never",
    "(f() { echo sub-f; }; f); f 2>/dev/null || echo gone",
    "unset -v a.txt 2>/dev/null; echo never",
    ": <<EOF\nignored $(echo nothing)\nEOF\necho done",
    "readonly r=1; echo $r; r=2; echo never",
    "x=1; readonly x; unset x; echo never",
    'while getopts ab:c opt -a -b val -c -bX rest; do echo "$opt [$OPTARG] $OPTIND"; done; echo end $OPTIND',
    "f() { OPTIND=1; while getopts v o; do echo $o; done; shift $((OPTIND - 1)); echo $@; }; f -v -v file",
    'while getopts :b: o -b; do echo "$o $OPTARG"; done',
    "f() { local a=1; g; }; g() { echo dynamic $a; }; f",
    "if (exit 1); then :; else echo $?; fi",
    'echo "$( (echo sub) )" $(( $(echo 3) + 1 ))',
    "x=$(echo a; exit 3); echo $? $x",
    "echo `echo \\`echo nested\\``",
    'f() { echo "$#:$*"; }; f "" ""; f',
    "for i in 1 2 3; do echo $i; done | { read a; read b; echo $a$b; }",
    '[ "(" ]; echo $?; [ -f ]; echo $?; [ = ]; echo $?; test; echo $?',
    "printf '%b|%5.2s|%i\\n' 'a\\tb' abc 10",
    # errors: both say something on stderr; the status must agree
    "if true; then echo x",
    "for; do",
    "echo a; fi",
    "case x in",
    "echo $((1 / 0))",
    "echo ${U?not set here}",
]

# Where jsksh differs from dash on purpose: (line, jsksh's stdout, jsksh's status, why).
DIFFERENCES = [
    (
        "printf 'a\\nb\\n' | { read x; cat; }",
        "",
        0,
        "read cannot give back what it read past the line: the shell has no byte-at-a-time read of a pipe, "
        "so a program started after `read` does not see the rest of the input",
    ),
    (
        "echo 'a\\tb'",
        "a\\tb\n",
        0,
        "echo (the builtin, as /bin/echo.js) is bash's: escapes only with -e; dash's echo always expands backslashes",
    ),
    (
        "echo -e 'a\\tb'; echo -E x",
        "a\tb\nx\n",
        0,
        "echo (the builtin, as /bin/echo.js) is bash's: -e and -E are flags; dash's echo takes only -n and prints them",
    ),
    (
        "echo hi 3>/dev/null",
        "",
        1,
        "only descriptors 0, 1 and 2 exist for a command: `3>file` is an error",
    ),
    (
        "echo $((9007199254740993))",
        "9007199254740992\n",
        0,
        "arithmetic uses JavaScript numbers: integers are exact up to 2^53, not 2^63",
    ),
    (
        "echo .*",
        ".hidden\n",
        0,
        "a pattern never matches . and .. (the directory listing has no such entries); dash's `.*` gives `. ..` too",
    ),
]


@pytest.fixture(scope="module")
def guest(machine):
    """The machine with /tmp/vs prepared; returns run(line) -> (status, stdout)."""
    setup = [f"mkdir {WORKDIR}", f"mkdir {WORKDIR}/sub"]
    for name, text in FILES.items():
        setup.append(f"printf '%s' {quote(text)} > {WORKDIR}/{name}")
    for line in setup:
        status, _, err = machine.run(line)
        assert status == 0, f"{line}: {err}"

    def run(line: str) -> tuple[int, str]:
        status, out, _ = machine.run(f"cd {WORKDIR} && sh -c {quote(line)}")
        return status, out

    return run


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """dash in a directory with the same files; returns run(line) -> (status, stdout)."""
    root = tmp_path_factory.mktemp("vs", numbered=False)  # named as the guest's, for ${PWD##*/}
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    os.chmod(root / "script.sh", 0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "LC_ALL": "C"}

    def run(line: str) -> tuple[int, str]:
        p = subprocess.run([DASH, "-c", line], cwd=root, env=env, capture_output=True, text=True, timeout=20)
        return p.returncode, p.stdout

    return run


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_the_table_is_big_enough():
    assert len(CASES) >= 60
    assert len(set(CASES)) == len(CASES), "a line is in the table twice"


@pytest.mark.parametrize("line", CASES)
def test_same_as_dash(guest, host, line):
    assert guest(line) == host(line), f"jsksh differs from dash for: {line}"


@pytest.mark.parametrize(("line", "stdout", "status", "why"), DIFFERENCES)
def test_documented_difference(guest, host, line, stdout, status, why):
    assert guest(line) == (status, stdout), why
    assert host(line) != (status, stdout), f"dash now agrees; take this out of DIFFERENCES: {line}"
