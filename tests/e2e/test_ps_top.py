"""End to end: `ps`, `top` and `tail` on a booted machine.

ps and top read the per-isolate statistics of `sys.proc.list()` (CPU time,
heap, ArrayBuffers, messages in and out); here they run against a real
machine, at its raw console (a tty: top draws over itself) and on its
structured port (plain frames), with background `sleep`s as processes whose
pid the shell tells us (`$!`). Nothing waits on the clock: where a count must
grow, the test makes it grow (it runs a command) or polls until it has.
"""

from __future__ import annotations

import json
import re
import socket

import pytest

from tests.e2e.machine import PROMPT, command, console_without_jobs

MACHINE_ARGS = ("--net", "none")  # for conftest.py's module machine


@pytest.fixture()
def console(machine):
    """The console's shell; its background jobs are killed when the test ends."""
    yield from console_without_jobs(machine)


def ps_table(out: str) -> list[dict]:
    """ps's text table as one dict per row, keyed by the column names.
    Every column but the last (COMMAND) is one word, so split() finds them."""
    lines = out.strip("\n").splitlines()
    names = lines[0].split()
    assert names[-1] == "COMMAND", lines[0]
    rows = []
    for line in lines[1:]:
        cells = line.split(None, len(names) - 1)
        rows.append(dict(zip(names, cells, strict=False)))
    return rows


def row_of(out: str, pid: str) -> dict | None:
    return next((r for r in ps_table(out) if r["PID"] == pid), None)


def background(machine, line: str) -> str:
    """Start `line &` in the structured port's session shell; its pid ($!)."""
    status, out, err = machine.run(f"{line} & echo $!")
    assert status == 0, err
    return out.split()[-1]


# ---- ps -----------------------------------------------------------------------------------


def test_ps_shows_a_background_sleep_under_the_pid_the_shell_gave(console):
    started = command(console, "sleep 30 &")
    pid = re.fullmatch(r"\[1\] (\d+)", started).group(1)
    assert command(console, "echo $!") == pid
    out = command(console, "ps")
    header = out.splitlines()[0].split()
    for name in ("PID", "PPID", "STAT", "TIME", "HEAP", "HLIM", "EXT", "MSGIN", "MSGOUT", "COMMAND"):
        assert name in header, out
    assert header[:3] == ["PID", "PPID", "STAT"] and header[-1] == "COMMAND"
    row = row_of(out, pid)
    assert row is not None, out
    assert row["COMMAND"] == "sleep 30" and row["STAT"] == "S"
    assert row_of(out, row["PPID"])["COMMAND"] == "sh", "its parent is the console's shell"
    assert re.fullmatch(r"\d+\.\d\d", row["TIME"]) and row["HLIM"] == "64MiB", row
    assert row["MSGIN"].isdigit() and row["MSGOUT"].isdigit(), row


def test_ps_long_adds_the_queue_and_the_limits(machine):
    status, out, _ = machine.run("ps -l")
    assert status == 0
    shell = next(r for r in ps_table(out) if r["COMMAND"] == "sh --session")
    assert shell["QUEUE"].isdigit()
    assert shell["CPULIM"] == "30" and shell["EXTLIM"] == "64MiB", shell


def test_message_counts_grow_as_a_process_talks(machine, console):
    # The console's shell sends messages to the kernel for every command it runs.
    sh = command(console, "echo $$")
    _, before, _ = machine.run(f"ps {sh}")
    command(console, "true")
    _, after, _ = machine.run(f"ps {sh}")
    first, second = row_of(before, sh), row_of(after, sh)
    assert int(second["MSGOUT"]) > int(first["MSGOUT"]), (before, after)
    assert int(second["MSGIN"]) > int(first["MSGIN"]), (before, after)


def test_a_process_that_sleeps_in_a_loop_keeps_counting(machine):
    pid = background(machine, "eval 'for (;;) await sys.sleep(20)'")
    try:
        counts = []
        for _ in range(200):  # each sleep is one call out and one reply in
            _, out, _ = machine.run(f"ps {pid}")
            row = row_of(out, pid)
            assert row is not None, out
            counts.append((int(row["MSGIN"]), int(row["MSGOUT"])))
            if counts[-1][0] > counts[0][0] and counts[-1][1] > counts[0][1]:
                break
        assert counts[-1][0] > counts[0][0] and counts[-1][1] > counts[0][1], counts
    finally:
        machine.run(f"kill {pid}")


def test_ps_of_a_pid_that_does_not_exist_prints_the_header_and_fails(machine):
    status, out, err = machine.run("ps 99999")
    assert status == 1 and err == ""
    assert out.split() == [
        "PID",
        "PPID",
        "STAT",
        "START",
        "TIME",
        "HEAP",
        "HLIM",
        "EXT",
        "MSGIN",
        "MSGOUT",
        "COMMAND",
    ]


def test_ps_rejects_an_unknown_option(machine):
    status, out, err = machine.run("ps --bogus")
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "ps: unrecognized option '--bogus'",
        "usage: ps [-l] [PID...]",
        "Try 'ps --help' for more information.",
    ]


# ---- top ----------------------------------------------------------------------------------


def frames(out: str) -> list[str]:
    return re.split(r"(?m)^(?=top - )", out)[1:]


def test_top_batch_prints_frames_with_a_header_and_the_processes(machine):
    pid = background(machine, "sleep 31")
    try:
        status, out, err = machine.run("top -b -n 2 -d 0.2")
    finally:
        machine.run(f"kill {pid}")
    assert (status, err) == (0, "")
    assert "\x1b" not in out
    shown = frames(out)
    assert len(shown) == 2, out
    for frame in shown:
        assert re.search(
            r"^top - \d\d:\d\d:\d\d up .*\d+ isolates: \d+ running, \d+ sleeping, \d+ exited$", frame, re.M
        ), frame
        assert re.search(r"^Mem: \S+ used of \S+: heap \S+, ArrayBuffers \S+", frame, re.M), frame
        assert re.search(r"^Msg: [\d.]+ in/s, [\d.]+ out/s$", frame, re.M), frame
        assert re.search(
            r"^\s+PID\s+S\s+%CPU\s+TIME\s+MSGIN/s\s+MSGOUT/s\s+HEAP\s+EXT\s+COMMAND$", frame, re.M
        ), frame
        assert re.search(
            rf"^\s*{pid}\s+S\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\S+\s+\S+\s+sleep 31$", frame, re.M
        ), frame


def test_top_on_the_console_redraws_in_place(console):
    console.sendline("top -n 2 -d 0.2")
    console.expect_exact("\x1b[H\x1b[2J")  # the first frame clears the screen
    console.expect_exact("top - ")
    console.expect_exact("\x1b[H")  # the second goes home and draws over it
    console.expect_exact("top - ")
    console.expect(PROMPT)
    assert command(console, "echo $?") == "0"


def test_top_to_the_repl_client_prints_plain_frames(machine):
    # A terminal client, as the REPL is: programs see a tty, but its stdout is
    # printed above a live prompt, so top must not address the cursor.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(machine.control_path)
        s.settimeout(30)
        reader = s.makefile("rb")

        def send(**message):
            s.sendall(json.dumps(message).encode() + b"\n")

        send(t="hello", version=2, rows=False, terminal=True)
        send(t="run", id="top", line="top -n 2 -d 0.2")
        out = []
        while True:
            line = reader.readline()
            assert line, "the port closed"
            msg = json.loads(line)
            if msg["t"] == "stdout" and msg.get("id") == "top":
                out.append(msg["data"])
            if msg["t"] == "exit" and msg.get("id") == "top":
                break
        reader.close()
    text = "".join(out)
    assert msg["status"] == 0
    assert "\x1b" not in text and len(frames(text)) == 2, text


def test_top_rejects_bad_options(machine):
    status, out, err = machine.run("top -n zero")
    assert (status, out) == (2, "")
    assert err.startswith("top: invalid number of frames 'zero'\nusage: top"), err


# ---- tail ---------------------------------------------------------------------------------


def test_tail_of_a_file_of_standard_input_and_of_a_missing_file(machine):
    status, _, _ = machine.run(
        "echo one > /tmp/tail-f; echo two >> /tmp/tail-f; echo three >> /tmp/tail-f; echo four >> /tmp/tail-f"
    )
    assert status == 0
    assert machine.run("tail -n 2 /tmp/tail-f") == (0, "three\nfour\n", "")
    assert machine.run("tail -3 /tmp/tail-f") == (0, "two\nthree\nfour\n", "")
    assert machine.run("cat /tmp/tail-f | tail -n 1") == (0, "four\n", "")
    assert machine.run("tail /tmp/nope") == (
        1,
        "",
        "tail: cannot open '/tmp/nope' for reading: No such file or directory\n",
    )
