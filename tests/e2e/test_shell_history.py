"""End to end: the `history` builtin on a booted machine. The console's shell
and the REPL's session shell each keep the lines they read (not a blank
line, not one that repeats the one before); a run from a client that is not
a terminal (`jsksh run`) adds nothing, as a script or `sh -c` keeps nothing.
See docs/shell.md, "History".
"""

from __future__ import annotations

from tests.e2e.machine import PROMPT, PortClient, command

MACHINE_ARGS = ("--net", "none")  # for conftest.py's module machine


def test_the_console_shell_lists_what_was_typed(console):
    command(console, "history -c")  # the lines typed before (the attach's own marker)
    assert command(console, "echo one") == "one"
    assert command(console, "echo one") == "one"
    console.sendline("")
    console.expect(PROMPT)
    assert command(console, "for i in 1 2; do :; done") == ""
    assert command(console, "history").splitlines() == [
        "    1  echo one",
        "    2  for i in 1 2; do :; done",
        "    3  history",
    ]
    assert command(console, "history 1") == "    4  history 1"
    # In a pipeline, history runs in a child shell, which is given the list.
    assert command(console, "history | tail -2").splitlines() == [
        "    4  history 1",
        "    5  history | tail -2",
    ]
    assert command(console, "sh -c history") == ""  # a new shell that is not interactive keeps none


class Session(PortClient):
    def run(self, line: str) -> tuple[int, str, str]:
        self.send(t="run", id=line, line=line)
        status = self.until("exit", id=line)["status"]
        text = {
            kind: "".join(m.get("data", "") for m in self.seen if m["t"] == kind)
            for kind in ("stdout", "stderr")
        }
        return status, text["stdout"], text["stderr"]


def repl(machine) -> Session:
    """A client as the REPL is: a terminal (so the session shell is interactive)."""
    return Session(machine.control_path, {"version": 2, "rows": True, "terminal": True})


def test_the_sessions_shell_lists_the_repls_lines_and_not_jsksh_runs(machine):
    first = repl(machine)
    first.run("history -c")
    first.run("echo two")
    first.run("echo two")
    first.close()
    # A client that is not a terminal (jsksh run): its lines are not kept, it sees the list.
    assert machine.run("echo from-jsksh-run") == (0, "from-jsksh-run\n", "")
    assert machine.run("history") == (0, "    1  echo two\n", "")
    second = repl(machine)
    assert second.run("history") == (0, "    1  echo two\n    2  history\n", "")
    assert second.run("history -x") == (
        2,
        "",
        "sh: history: -x: invalid option\nhistory: usage: history [-c] [N]\n",
    )
    second.close()


def test_history_help(machine):
    status, out, err = machine.run("history --help")
    assert (status, err) == (0, "")
    assert out.startswith("usage: history [-c] [N]\nlist the command lines this shell has read")
    assert "-c" in out and "forget them all" in out
