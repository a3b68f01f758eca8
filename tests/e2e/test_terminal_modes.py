"""End to end: the terminal's modes on the raw console (kernel/tty/termios.js).

An app makes the console raw with sys.stdin.setMode({raw: true}): its reads
get the keys as they are typed, escape sequences unmodified, and Ctrl-C
interrupts it unless it asked for `signals: false`. However the app ends (it
returns, is interrupted, is killed from elsewhere, throws), the console's
line editing comes back: these tests type an edited line afterwards and see
the shell run the edited text. `top` reads the key q this way.
"""

from __future__ import annotations

import re

import pexpect
import pytest

from tests.e2e.machine import ENV, JSKSH, PROMPT, command, console_without_jobs

MACHINE_ARGS = ("--net", "none")
LEFT = "\x1b[D"


@pytest.fixture()
def console(machine):
    yield from console_without_jobs(machine)


def line_editing_works(console) -> None:
    """Left arrow moves back and the insertion lands mid-line: the tty edits lines."""
    console.send("echo wrld" + LEFT * 3 + "o\r")
    console.expect(r"\r\nworld\r\n" + PROMPT)


def raw_app(console, then: str) -> None:
    """Start an eval that goes raw, says so ('ready', written so that the
    command's own echo does not match), then runs `then`."""
    console.sendline('eval \'await sys.stdin.setMode({raw: true}); sys.print("rea" + "dy"); ' + then + "'")
    console.expect_exact("ready")


def test_keys_reach_a_raw_app_as_typed_and_the_mode_goes_back_when_it_returns(console):
    raw_app(console, "const k = await sys.stdin.read(); sys.print(JSON.stringify(k))")
    console.send("\x1b[A")
    console.expect_exact('"\\u001b[A"')
    console.expect(PROMPT)
    line_editing_works(console)


def test_ctrl_c_interrupts_a_raw_app_and_the_console_edits_lines_again(console):
    raw_app(console, "await sys.sleep(60000)")
    console.sendcontrol("c")
    console.expect(PROMPT)
    assert command(console, "echo $?") == "130"
    line_editing_works(console)


def test_with_signals_off_ctrl_c_is_a_byte(console):
    console.sendline(
        'eval \'await sys.stdin.setMode({raw: true, signals: false}); sys.print("rea" + "dy"); '
        "const k = await sys.stdin.read(); sys.print(JSON.stringify(k))'"
    )
    console.expect_exact("ready")
    console.sendcontrol("c")
    console.expect_exact('"\\u0003"')
    console.expect(PROMPT)
    assert command(console, "echo $?") == "0"


def test_a_raw_app_killed_from_elsewhere_leaves_the_console_canonical(machine, console):
    raw_app(console, "await sys.sleep(60000)")
    status, out, _ = machine.run("ps")
    pids = re.findall(r"^\s*(\d+)\s.*\beval await sys\.stdin", out, re.M)
    assert len(pids) == 1, out
    assert machine.run(f"kill -KILL {pids[0]}")[0] == 0
    console.expect(PROMPT)
    line_editing_works(console)


def test_a_raw_app_that_throws_leaves_the_console_canonical(console):
    raw_app(console, 'throw new Error("bo" + "om")')
    console.expect_exact("boom")
    console.expect(PROMPT)
    line_editing_works(console)


def test_set_mode_of_a_pipe_is_enotty(console):
    out = command(console, "echo | eval 'await sys.stdin.setMode({raw: true}).catch((e) => e.code)'")
    assert "ENOTTY" in out, out


def test_top_quits_on_q(console):
    console.sendline("top -d 0.2")
    console.expect_exact("\x1b[H\x1b[2J")
    console.expect_exact("top - ")
    console.send("q")
    console.expect(PROMPT)
    assert command(console, "echo $?") == "0"
    line_editing_works(console)


def test_top_still_stops_on_ctrl_c(console):
    console.sendline("top -d 0.2")
    console.expect_exact("top - ")
    console.sendcontrol("c")
    console.expect(PROMPT)
    assert command(console, "echo $?") == "130"
    line_editing_works(console)


def window_size(child) -> tuple[int, int]:
    out = command(child, "eval 'JSON.stringify(await sys.stdout.windowSize())'")
    found = re.search(r'\{"columns":(\d+),"rows":(\d+)\}', out)
    assert found, out
    return int(found.group(1)), int(found.group(2))


def test_the_window_size_reaches_apps_at_the_start_and_on_a_resize():
    """`jsksh --raw` runs the machine in its own process: the window's size
    goes to the console device (virtio F_SIZE), at the start and on SIGWINCH.
    (`jsksh attach --raw` cannot say it: a socket carries only bytes.)"""
    child = pexpect.spawn(
        JSKSH[0],
        [*JSKSH[1:], "--raw", "--net", "none"],
        env=ENV,
        encoding="utf-8",
        timeout=30,
        dimensions=(30, 100),
    )
    try:
        child.expect(PROMPT)
        assert window_size(child) == (100, 30)
        child.setwinsize(40, 132)
        for _ in range(50):  # the resize travels as an interrupt: ask until it has arrived
            if window_size(child) == (132, 40):
                break
        assert window_size(child) == (132, 40)
    finally:
        child.sendcontrol("]")
        child.expect(pexpect.EOF)
        child.close()
