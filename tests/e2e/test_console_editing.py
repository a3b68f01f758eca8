"""End to end: line editing on the raw console, as a person types it.

The kernel's line discipline (kernel/tty/line-discipline.js) edits the line
the shell reads: the arrow keys move and recall earlier lines, Tab asks the
reading program to complete. These tests boot a machine and type at its raw
console under pexpect (a real pty), byte for byte what a terminal sends.
"""

from __future__ import annotations

from tests.e2e.machine import PROMPT, command

UP = "\x1b[A"
LEFT = "\x1b[D"
KILL_LINE = "\x15"  # ^U


def test_up_up_enter_runs_an_earlier_line_again(console):
    command(console, "echo alpha1")
    command(console, "echo beta2")
    console.send(UP + UP + "\r")
    console.expect(r"\r\nalpha1\r\n" + PROMPT)


def test_the_line_being_typed_is_kept_while_walking_the_history(console):
    command(console, "echo gamma3")
    console.send("echo delta4" + UP + UP + "\x1b[B\x1b[B\r")
    console.expect(r"\r\ndelta4\r\n" + PROMPT)


def test_left_arrow_edits_in_the_middle_of_the_line(console):
    console.send("echo hllo" + LEFT * 3 + "e\r")
    console.expect(r"\r\nhello\r\n" + PROMPT)


def test_home_end_delete_and_kill_to_end(console):
    # ^A, Delete the 'x', End, then ^K at the end does nothing.
    console.send("xecho edited\x01\x1b[3~\x05\x0b\r")
    console.expect(r"\r\nedited\r\n" + PROMPT)


def test_a_broken_escape_sequence_loses_nothing(console):
    console.send("echo in\x1b[99~tact\x1b\x1b[1;5Z\r")
    console.expect(r"\r\nintact\r\n" + PROMPT)


def test_tab_completes_a_directory(console):
    console.send("ls /e\t")
    try:
        console.expect_exact("ls /etc/", timeout=3)
    finally:
        console.send(KILL_LINE + "\r")
        console.expect(PROMPT)


def test_tab_completes_a_command_with_a_space(console):
    console.send("ec\t")
    try:
        console.expect_exact("echo ", timeout=3)
        console.send("done\r")
        console.expect(r"\r\ndone\r\n" + PROMPT)
    finally:
        console.send(KILL_LINE + "\r")
        console.expect(PROMPT)
