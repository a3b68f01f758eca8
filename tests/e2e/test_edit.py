"""End to end: `edit`, the full-screen editor, driven through the raw console.

A person at `jsksh attach --raw` (a real pty under pexpect) runs `edit FILE`,
types, moves with the arrow keys, saves with ^S and quits with ^Q; `cat`
then shows what reached the file. The unsaved-changes question, the search,
a read-only file, a directory and a binary file are each tried once. The
screen is not parsed: the tests wait for the words the editor writes on its
status and bottom lines, then check the file.
"""

from __future__ import annotations

import pytest

from tests.e2e.machine import PROMPT, command, console_without_jobs

MACHINE_ARGS = ("--net", "none")
CTRL_S, CTRL_Q, CTRL_F = "\x13", "\x11", "\x06"
UP, DOWN, LEFT, RIGHT, HOME, END = "\x1b[A", "\x1b[B", "\x1b[D", "\x1b[C", "\x1b[H", "\x1b[F"
BACKSPACE, DELETE = "\x7f", "\x1b[3~"


@pytest.fixture()
def console(machine):
    session = console_without_jobs(machine)
    child = next(session)
    yield child
    stop_editors(machine)  # a test that failed in the middle leaves its editor running
    next(session, None)


def stop_editors(machine) -> None:
    _, out, _ = machine.run("ps")
    for line in out.splitlines()[1:]:
        cells = line.split()
        if "edit" in cells[-2:]:
            machine.run(f"kill {cells[0]}")


def start(console, path: str, message: str = "") -> None:
    """Run edit on path; wait for its first screen (with `message` on its bottom line)."""
    console.sendline(f"edit {path}")
    console.expect_exact(f" edit: {path}")  # the status line: the editor has the screen
    console.expect_exact(message)
    console.expect_exact("\x1b[?25h")  # the end of the first screen: the cursor shown


def test_type_save_quit_and_cat_shows_the_file(console):
    start(console, "/tmp/x")
    console.send("hello wrld" + LEFT * 3 + "o" + END + "\r" + "second line")
    console.expect_exact("[Modified]")
    console.send(CTRL_S)
    console.expect_exact("[ Wrote 2 lines ]")
    console.send(CTRL_Q)
    console.expect(PROMPT)
    assert command(console, "cat /tmp/x") == "hello world\nsecond line"
    assert command(console, "ls -a /tmp").count(".tmp") == 0, "no temporary file is left"


def test_arrows_backspace_delete_and_enter_edit_an_existing_file(console):
    command(console, "printf 'abc\\ndef\\n' > /tmp/two")
    start(console, "/tmp/two")
    # Down to "def", End, Backspace the f; Home, Delete the d; Up, Enter splits "abc" at 0.
    console.send(DOWN + END + BACKSPACE + HOME + DELETE + UP + RIGHT + "\r" + CTRL_S)
    console.expect_exact("[ Wrote 3 lines ]")
    console.send(CTRL_Q)
    console.expect(PROMPT)
    assert command(console, "cat /tmp/two") == "a\nbc\ne"


def test_quit_with_unsaved_changes_asks_and_n_leaves_the_file_as_it_was(console):
    command(console, "echo original > /tmp/keep")
    start(console, "/tmp/keep")
    console.send("changed ")
    console.send(CTRL_Q)
    console.expect_exact("Save changes? (y/n/Esc)")
    console.send("\x1b")  # Esc: back to the text
    console.expect_exact("Cancelled")
    console.send(CTRL_Q)
    console.expect_exact("Save changes? (y/n/Esc)")
    console.send("n")
    console.expect(PROMPT)
    assert command(console, "cat /tmp/keep") == "original"


def test_quit_with_unsaved_changes_and_y_saves_them(console):
    start(console, "/tmp/yes")
    console.send("kept")
    console.send(CTRL_Q)
    console.expect_exact("Save changes? (y/n/Esc)")
    console.send("y")
    console.expect(PROMPT)
    assert command(console, "cat /tmp/yes") == "kept"


def test_find_moves_to_the_next_match_and_wraps(console):
    command(console, "printf 'one\\ntwo\\nthree two\\n' > /tmp/find")
    start(console, "/tmp/find")
    console.send(CTRL_F)
    console.expect_exact("Search: ")
    console.send("two\r")
    console.expect_exact("line 2/3, col 1")
    console.send(CTRL_F + "\r")  # Enter alone: the same text again
    console.expect_exact("line 3/3, col 7")
    console.send(CTRL_F + "\r")
    console.expect_exact("line 2/3, col 1")  # the status line, then the bottom line
    console.expect_exact("Search wrapped")
    console.send(CTRL_F + "nowhere\r")
    console.expect_exact('"nowhere" not found')
    console.send(CTRL_Q)
    console.expect(PROMPT)


def test_a_long_line_scrolls_sideways(console):
    start(console, "/tmp/long")
    console.send("x" * 150 + "END")
    console.expect_exact("xxEND")  # the line's end is on the screen
    console.expect_exact("col 154")
    console.send(CTRL_S)
    console.expect_exact("[ Wrote 1 line ]")
    console.send(CTRL_Q)
    console.expect(PROMPT)
    assert command(console, "cat /tmp/long") == "x" * 150 + "END"


def test_a_read_only_file_says_why_it_cannot_be_saved_and_keeps_the_text(console):
    start(console, "/etc/motd", "read-only file system")
    console.send("more ")
    console.send(CTRL_S)
    console.expect_exact("cannot save /etc/motd: Read-only file system")
    console.send(CTRL_Q)
    console.expect_exact("Save changes? (y/n/Esc)")
    console.send("y")  # fails again: the editor stays
    console.expect_exact("cannot save /etc/motd")
    console.send(CTRL_Q)
    console.expect_exact("Save changes? (y/n/Esc)")
    console.send("n")
    console.expect(PROMPT)


def test_a_directory_and_a_binary_file_are_refused(console):
    assert command(console, "edit /tmp") == "edit: /tmp: Is a directory"
    assert command(console, "echo $?") == "1"
    command(console, "printf 'a\\0b' > /tmp/bin")
    assert command(console, "edit /tmp/bin").startswith("edit: /tmp/bin: a binary file")
    assert command(console, "edit").startswith("usage: edit FILE")


def test_edit_help(console):
    out = command(console, "edit --help")
    assert out.startswith("usage: edit FILE") and "^S save" in out


def test_a_killed_editor_leaves_the_console_editing_lines(machine, console):
    start(console, "/tmp/killed")
    console.send("unsaved")
    console.expect_exact("[Modified]")
    status, out, _ = machine.run("ps")
    pids = [line.split()[0] for line in out.splitlines() if line.rstrip().endswith("edit /tmp/killed")]
    assert len(pids) == 1, out
    assert machine.run(f"kill {pids[0]}")[0] == 0
    console.expect(PROMPT)
    console.send("echo wrld" + LEFT * 3 + "o\r")  # the tty edits lines again
    console.expect(r"\r\nworld\r\n" + PROMPT)
