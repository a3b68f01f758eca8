"""End to end: the shell language on a booted machine, where dash is not the
judge: multi-line input at the console (the > prompt) and the REPL's
is-complete, scripts (`sh FILE`, `#!/bin/sh`), and bad input that must get a
clear error and lose nothing (an unfinished script, a binary file, deep
recursion, a glob of 10,000 names, a here-document without its end word, a
$(...) of more than 10 MB). See docs/shell.md.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.machine import PROMPT, PortClient, command

MACHINE_ARGS = ("--net", "none")  # for conftest.py's module machine


def run(machine, line: str, timeout: float = 60) -> tuple[int, str, str]:
    return machine.run(line, timeout)


def write(machine, path: str, text: str) -> None:
    quoted = "'" + text.replace("'", "'\\''") + "'"
    status, _, err = machine.run(f"printf '%s' {quoted} > {path}")
    assert status == 0, err


# ---- the console ------------------------------------------------------------------


def test_a_loop_typed_over_several_lines_continues_with_the_ps2_prompt(console):
    console.sendline("for i in 1 2; do")
    console.expect_exact("> ")
    console.sendline("  echo item $i")
    console.expect_exact("> ")
    out = command(console, "done")
    assert out.splitlines() == ["item 1", "item 2"]
    console.sendline("f() {")  # the function is not finished: PS2 again
    console.expect_exact("> ")
    assert command(console, "echo in-f $1; }") == ""
    assert command(console, "f x") == "in-f x"


def test_builtins_in_a_pipeline_at_the_console(console):
    assert command(console, "cd /etc; pwd | cat; cd /") == "/etc"
    assert command(console, "for i in a b c; do echo $i; done | wc -l").strip() == "3"


def test_ctrl_c_ends_a_loop_of_builtins_and_a_loop_of_programs(console):
    console.sendline("while :; do :; done")
    console.expect_exact("while :; do :; done")
    time.sleep(0.5)  # the echo comes before the shell has read the line; a Ctrl-C earlier would drop it
    console.sendcontrol("c")
    console.expect(PROMPT, timeout=10)
    assert command(console, "echo $?") == "130"
    console.sendline("i=0; while sleep 1; do i=$((i + 1)); done")
    console.expect_exact("done")
    time.sleep(0.5)
    console.sendcontrol("c")
    console.expect(PROMPT, timeout=10)
    assert command(console, "echo $?") == "130"


def test_read_at_the_console_takes_the_typed_line(console):
    console.sendline("read a b")
    console.expect_exact("read a b")
    console.sendline("first second third")
    console.expect(PROMPT)
    assert command(console, 'echo "$a|$b"') == "first|second third"


# ---- the REPL's is-complete follows the parser ------------------------------------


@pytest.fixture()
def client(machine):
    c = PortClient(machine.control_path, {"version": 2, "rows": True, "terminal": True})
    yield c
    c.close()


def test_the_sessions_interrupt_ends_a_loop_of_builtins(client):
    # The loop never waits for the kernel but pauses for it now and then, so
    # the interrupt gets in; echo (a program) says it has started.
    client.send(t="run", id="spin", line="echo started; i=0; while :; do i=$((i + 1)); done")
    client.until("stdout", id="spin")
    client.send(t="interrupt", id="spin")
    assert client.until("exit", id="spin")["status"] == 130
    client.send(t="run", id="after", line='echo "alive $?"; [ $i -gt 0 ] && echo counted')
    client.until("exit", id="after")
    out = "".join(m.get("data", "") for m in client.seen if m["t"] == "stdout")
    assert out == "alive 130\ncounted\n"


def test_is_complete_follows_the_grammar(client):
    def status(code: str) -> str:
        client.send(t="is-complete", id=1, code=code)
        return client.until("is-complete", id=1)["status"]

    assert status("for i in 1 2; do") == "incomplete"
    assert status("if true; then echo x") == "incomplete"
    assert status("f() {") == "incomplete"
    assert status("case x in") == "incomplete"
    assert status("cat <<EOF\nline") == "incomplete"
    assert status("echo $(ls") == "incomplete"
    assert status("for i in 1 2; do echo $i; done") == "complete"
    assert status("echo a; fi") == "invalid"


# ---- scripts ----------------------------------------------------------------------


def test_a_script_file_with_arguments_and_a_shebang(machine):
    write(machine, "/tmp/s.sh", '#!/bin/sh\ncount() { echo "$# args: $*"; }\ncount "$@"\nexit 5\n')
    assert run(machine, "sh /tmp/s.sh a 'b c'") == (5, "2 args: a b c\n", "")
    assert run(machine, "/tmp/s.sh x") == (5, "1 args: x\n", "")
    assert run(machine, "cd /tmp && ./s.sh y z") == (5, "2 args: y z\n", "")


def test_an_unfinished_script_is_an_error_not_a_hang(machine):
    write(machine, "/tmp/open.sh", "echo before\nwhile true; do\n  echo inside\n")
    status, out, err = run(machine, "sh /tmp/open.sh", timeout=20)
    assert (status, out) == (2, "before\n")
    assert "unexpected end of file" in err


def test_a_syntax_error_in_a_script_names_the_line_and_the_token(machine):
    write(machine, "/tmp/bad.sh", "echo one\nif true; then\n  echo two\ndone\necho three\n")
    assert run(machine, "sh /tmp/bad.sh") == (
        2,
        "one\n",
        "sh: line 4: syntax error near unexpected token `done'\n",
    )


def test_a_binary_file_is_not_run_as_a_script(machine):
    assert run(machine, "printf 'ELF\\000\\001\\002echo no\\n' > /tmp/bin.dat")[0] == 0
    assert run(machine, "sh /tmp/bin.dat; echo $?") == (
        0,
        "126\n",
        "sh: /tmp/bin.dat: cannot execute binary file\n",
    )


def test_a_here_document_without_its_end_word_ends_at_the_end_of_the_script(machine):
    # As dash and bash: the rest of the text is the document, and bash's warning says so.
    write(machine, "/tmp/hd.sh", "echo first\ncat <<END\nline\nlast")
    status, out, err = run(machine, "sh /tmp/hd.sh; echo status=$?")
    assert (status, out) == (0, "first\nline\nlaststatus=0\n")
    assert err == "sh: warning: here-document at line 2 delimited by end-of-file (wanted `END')\n"


# ---- limits -----------------------------------------------------------------------


def test_deep_recursion_in_a_function_stops_with_a_message(machine):
    status, out, err = run(machine, "sh -c 'f() { f; }; f; echo never'")
    assert (status, out) == (2, "")
    assert "functions nested too deeply (more than 1000 calls)" in err
    assert run(machine, "echo still here") == (0, "still here\n", "")


def test_break_outside_a_loop_says_so(machine):
    assert run(machine, "sh -c 'break; echo after'") == (
        0,
        "after\n",
        "sh: break: only meaningful in a loop\n",
    )


def test_a_glob_of_ten_thousand_names(machine):
    status, _, err = run(
        machine,
        "mkdir /tmp/many && cd /tmp/many && i=0; while [ $i -lt 10000 ]; do : > f$i; i=$((i + 1)); done",
        timeout=120,
    )
    assert status == 0, err
    status, out, err = run(machine, "cd /tmp/many && set -- f*; echo $# $1 $2 ${10000}", timeout=60)
    assert (status, out) == (0, "10000 f0 f1 f9999\n"), err
    # sorted as bytes: f0 f1 f10 f100 ...
    assert run(machine, "cd /tmp/many && set -- f1*; echo $# $1 $2 $3")[1] == "1111 f1 f10 f100\n"


def test_a_huge_command_substitution_is_an_error_and_memory_stays_bounded(machine):
    # 11 characters doubled 20 times: 11,534,336 characters, over the 10 MB limit.
    make = "s=0123456789x; i=0; while [ $i -lt 20 ]; do s=$s$s; i=$((i + 1)); done; printf '%s' \"$s\" > /tmp/huge"
    assert run(machine, make)[0] == 0
    status, out, err = run(machine, "x=$(cat /tmp/huge); echo status $? ${#x}")
    assert "command substitution: output larger than 10485760 characters" in err
    assert (status, out) == (
        0,
        "status 1 0\n",
    )  # the assignment failed (status 1), nothing was kept, the shell went on
    # Less than the limit is kept whole.
    assert run(machine, "x=$(head -c 1000000 /tmp/huge); echo ${#x}") == (0, "1000000\n", "")
    # The session shell keeps its variables, and a child shell (a builtin in a pipeline) gets a copy of them all.
    assert run(machine, "rm /tmp/huge; unset s x")[0] == 0


# ---- echo, a builtin; help and man for the builtins ----------------------------------


def test_echo_is_a_builtin_that_prints_what_bin_echo_js_prints(machine):
    assert run(machine, "type echo; command -v echo; which echo") == (
        0,
        "echo is a shell builtin\necho\necho: shell built-in\n",
        "",
    )
    for words in ("a  b", "-n x", "-e 'a\\tb\\x41'", "-E 'a\\tb'", "-x y", "-e 'stop\\chere' more", "-"):
        status, out, err = run(machine, f"echo {words} | sha256sum; /bin/echo.js {words} | sha256sum")
        builtin, program = out.splitlines()
        assert (status, err, builtin) == (0, "", program), words
    # pids are handed out one after another: five echos in a loop start no process, five /bin/echo.js five.
    count = "true & a=$!; for i in 1 2 3 4 5; do {} $i; done > /dev/null; true & echo $(( $! - a ))"
    assert run(machine, count.format("echo")) == (0, "1\n", "")
    assert run(machine, count.format("/bin/echo.js")) == (0, "6\n", "")


def test_help_man_and_help_option_agree_for_builtins(machine):
    line = 'history --help; echo "@@ $?"; help history; echo "@@ $?"; cd --help; echo "@@ $?"'
    status, out, err = run(machine, line)
    own, helped, cd, _ = out.split("@@ ")
    assert (status, err) == (0, "")
    assert own == (
        "usage: history [-c] [N]\n"
        "list the command lines this shell has read (at the console or in the REPL, since boot)\n\n"
        "  N       only the last N lines\n"
        "  -c      forget them all\n"
        "  --help  show this help and exit\n"
    )
    assert helped == "0\n" + own and cd.startswith("0\nusage: cd [DIR | -]\n")
    status, out, err = run(machine, "man history")
    assert (status, err) == (0, "")
    assert "\nSYNOPSIS\n       history [-c] [N]\n" in out and "\n       -c      forget them all\n" in out
    # help alone: the programs, then the builtins.
    status, out, _ = run(machine, "help")
    programs, builtins = out.split("\nBUILTIN ")
    assert status == 0 and "\nls " in programs and "\nhistory " in builtins and "\necho " in builtins
    # test's words are operands: --help is a string, and true.
    assert run(machine, "test --help; echo $?; [ --help ]; echo $?") == (0, "0\n0\n", "")
