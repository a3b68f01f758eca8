"""End to end: background jobs (`cmd &`, jobs, fg, wait, kill %N) on a booted machine.

The console tests type at the raw console under a real pty, as a person does;
the session tests speak the structured port's JSON lines (docs/protocol.md),
as the REPL does, and one attaches the REPL itself. The jobs wait on `sleep`,
and whatever decides when they end is done by the test (a kill from another
session, a Ctrl-C), so nothing depends on how fast the machine is.
See docs/shell.md, "Job control".
"""

from __future__ import annotations

import re

import pexpect
import pytest

from tests.client.repl_pty import attach as attach_repl
from tests.e2e.machine import PROMPT, PortClient, command, console_without_jobs, kill_jobs

MACHINE_ARGS = ("--net", "none")  # for conftest.py's module machine


def pid_of(where, argv: str) -> str | None:
    """The pid `ps` shows for a process whose command line is `argv`, or None.
    `where` runs the ps: the machine (a run on its control port) or a session Client."""
    _, out, _ = where.run("ps")
    return next((line.split()[0] for line in out.splitlines() if line.rstrip().endswith(" " + argv)), None)


# ---- the console ------------------------------------------------------------------


@pytest.fixture()
def console(machine):
    """The console's shell, with no jobs left over when the test ends."""
    yield from console_without_jobs(machine)


def interrupt_until_prompt(child: pexpect.spawn) -> None:
    """Ctrl-C until the prompt is back. A Ctrl-C that comes before the shell
    has made its command the terminal's foreground job reaches the shell
    itself, which lets it pass (as bash does), so we press again."""
    for _ in range(10):
        child.sendcontrol("c")
        try:
            child.expect(PROMPT, timeout=1)
            return
        except pexpect.TIMEOUT:
            continue
    raise AssertionError("Ctrl-C did not bring the prompt back")


def test_a_background_job_returns_at_once_and_is_listed(machine, console):
    started = command(console, "sleep 30 &")  # the prompt is back long before 30 s
    pid = re.fullmatch(r"\[1\] (\d+)", started).group(1)
    assert command(console, "echo $!") == pid
    assert pid_of(machine, "sleep 30") == pid
    assert command(console, "jobs") == "[1]+  Running                 sleep 30 &"
    assert command(console, "jobs -l") == f"[1]+ {pid:>5} Running                 sleep 30 &"
    lines = command(console, "sleep 31 & echo hi").splitlines()  # in either order: two processes print
    assert sorted(lines) == ["[2] " + pid_of(machine, "sleep 31"), "hi"]


def test_kill_job_spec_terminates_the_job(machine, console):
    pid = command(console, "sleep 30 &").split()[1]
    # The shell reports the job's end before its next prompt, then forgets it.
    assert command(console, "kill %1") == "[1]+  Terminated              sleep 30"
    assert command(console, "jobs") == ""
    assert pid_of(machine, "sleep 30") is None, f"sleep 30 ({pid}) still runs"
    assert command(console, "kill %1; echo $?") == "sh: kill: %1: no such job\n1"


def test_fg_waits_for_the_job_and_returns_its_status(machine, console):
    # The job's last command ends with 3 once the sleep before it is killed.
    command(console, "sleep 30 | sh -c 'cat; exit 3' &")
    sleep_pid = command(console, "jobs -l").split()[1]
    console.sendline("fg")
    console.expect_exact("\r\nsleep 30 | sh -c 'cat; exit 3'\r\n")  # fg shows the command, then waits
    assert machine.run(f"kill {sleep_pid}")[0] == 0
    console.expect(PROMPT)
    assert command(console, "echo $?") == "3"
    assert command(console, "jobs") == "", "a job that ended in the foreground is not reported"


def test_ctrl_c_during_fg_interrupts_the_job_and_not_the_shell(machine, console):
    command(console, "sleep 30 &")
    command(console, "sleep 31 &")
    console.sendline("fg %1")
    console.expect_exact("\r\nsleep 30\r\n")
    console.sendcontrol("c")
    console.expect(PROMPT)
    assert command(console, "echo $?") == "130"
    assert command(console, "jobs") == "[2]+  Running                 sleep 31 &"
    assert pid_of(machine, "sleep 30") is None
    assert command(console, "echo the shell lives") == "the shell lives"


def test_ctrl_c_during_a_foreground_command_spares_background_jobs(machine, console):
    pid = command(console, "sleep 30 &").split()[1]
    console.sendline("sleep 20")
    console.expect_exact("sleep 20\r\n")
    interrupt_until_prompt(console)
    assert pid_of(machine, "sleep 20") is None
    assert pid_of(machine, "sleep 30") == pid
    assert command(console, "jobs") == "[1]+  Running                 sleep 30 &"


def test_wait_returns_the_status_of_what_it_waited_for(machine, console):
    command(console, "sh -c 'exit 3' &")
    assert command(console, "wait $!; echo $?").splitlines() == [
        "3",
        "[1]+  Exit 3                  sh -c 'exit 3'",
    ]
    out = command(console, "false & sh -c 'exit 4' & wait %1; echo $?; wait; echo $?")
    assert out.splitlines()[2:4] == ["1", "0"], out  # wait with no operands: 0 (POSIX)
    assert command(console, "wait 99999; echo $?") == "sh: wait: pid 99999 is not a child of this shell\n127"


def test_ctrl_c_ends_a_wait_and_the_job_goes_on(machine, console):
    pid = command(console, "sleep 30 &").split()[1]
    console.sendline("wait")
    console.expect_exact("wait\r\n")
    interrupt_until_prompt(console)
    assert command(console, "echo $?") == "130"
    assert pid_of(machine, "sleep 30") == pid


# ---- the structured port's session ---------------------------------------------------


class Client(PortClient):
    """One connection to the structured port, as the REPL makes it."""

    def __init__(self, path: str):
        self.runs = 0
        super().__init__(
            path, {"version": 2, "rows": False, "terminal": True}
        )  # a terminal: an interactive session

    def start(self, line: str) -> str:
        self.runs += 1
        rid = f"jobs{self.runs}"
        self.send(t="run", id=rid, line=line)
        return rid

    def run(self, line: str) -> tuple[int, str, str]:
        rid = self.start(line)
        end = self.until("exit", id=rid)
        return end["status"], self.text("stdout", rid), self.text("stderr", rid)

    def text(self, stream: str, rid: str) -> str:
        return "".join(m["data"] for m in self.seen if m["t"] == stream and m.get("id") == rid)


@pytest.fixture()
def client(machine):
    c = Client(machine.control_path)
    yield c
    kill_jobs(lambda line: c.run(line)[1])
    c.close()


def test_session_ctrl_c_stops_the_foreground_job_only(machine, client):
    status, _, err = client.run("sleep 30 &")
    assert (status, err) == (0, f"[1] {pid_of(client, 'sleep 30')}\n")
    # A job of an earlier line and one of this line both survive the Ctrl-C.
    rid = client.start("sleep 31 & sleep 20")
    client.send(t="interrupt", id=rid)
    assert client.until("exit", id=rid)["status"] == 130
    assert pid_of(client, "sleep 20") is None
    status, out, _ = client.run("jobs")
    assert out == "[1]-  Running                 sleep 30 &\n[2]+  Running                 sleep 31 &\n"
    assert pid_of(client, "sleep 30") and pid_of(client, "sleep 31")


def test_session_fg_and_wait_are_interrupted_by_ctrl_c(machine, client):
    client.run("sleep 30 &")
    rid = client.start("wait")
    client.send(t="interrupt", id=rid)
    assert client.until("exit", id=rid)["status"] == 130
    assert client.run("jobs")[1] == "[1]+  Running                 sleep 30 &\n"
    rid = client.start("fg")
    client.until("stdout", id=rid)  # "sleep 30": the job is the foreground now
    client.send(t="interrupt", id=rid)
    assert client.until("exit", id=rid)["status"] == 130
    assert client.run("jobs")[1] == ""
    assert pid_of(client, "sleep 30") is None


def test_background_output_reaches_the_client_after_its_run_ended(machine, client):
    rid = client.start("sleep 30 | sh -c 'cat; echo late output' &")
    client.until("exit", id=rid)
    sleep_pid = client.run("jobs -l")[1].split()[1]
    # Nothing runs in the session now; the console ends the sleep, the job prints.
    console = machine.attach()
    try:
        command(console, f"kill {sleep_pid}")
    finally:
        console.sendcontrol("]")
        console.close()
    late = client.until("stdout", data="late output\n")
    assert late["id"] is None, "output while no run is going belongs to no run"


def test_the_repl_shows_background_output_above_its_prompt(machine):
    repl = attach_repl(machine.control_path)
    try:
        repl.line("sleep 30 | sh -c 'cat; echo late-from-the-job' &")
        sleep_pid = repl.line("jobs -l").split()[1]
        console = machine.attach()
        try:
            command(console, f"kill {sleep_pid}")
        finally:
            console.sendcontrol("]")
            console.close()
        repl.expect_exact("late-from-the-job")
        out = repl.line("echo after")
        assert out.endswith("after\n"), out
    finally:
        repl.close()


def test_jobs_outlive_the_shell_that_started_them(machine, client):
    client.run("sleep 33 &")
    pid = pid_of(client, "sleep 33")
    client.send(t="run", id="bye", line="exit")
    client.until("session")
    _, out, _ = client.run("ps")
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == [pid])
    assert row[1] == "0", "reparented to the kernel, still running"
    assert client.run(f"kill {pid}")[0] == 0
