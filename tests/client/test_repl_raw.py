"""End to end: a raw-mode program under the REPL (jsksh/client/passthrough.py).

When a program makes the session's terminal raw (sys.stdin.setMode), the
guest tells the REPL (`mode`), which leaves its prompt and sends each key
as it is typed; when the mode is canonical again, or the run ends, the
prompt comes back. A `jsksh boot` machine is shared by the module and the
REPL attaches to it under a real pty, in the simple prompt as scripts use it.
"""

from __future__ import annotations

import re

from tests.client.repl_pty import PROMPT
from tests.e2e.machine import command


def test_keys_reach_a_raw_program_unmodified_and_the_prompt_comes_back(session):
    session.send(
        'eval \'await sys.stdin.setMode({raw: true}); sys.print("rea" + "dy"); '
        "const k = await sys.stdin.read(); sys.print(JSON.stringify(k))'\r"
    )
    session.expect_exact("ready")
    session.send("\x1b[Bz")  # Down, then z: no Enter, no echo
    session.expect_exact('"\\u001b[Bz"')
    session.expect(PROMPT)
    assert session.line("echo $?") == "0\n"
    assert session.line("echo back") == "back\n"


def test_top_draws_in_place_and_quits_on_q(session):
    session.send("top -d 0.2\r")
    session.expect_exact("\x1b[H\x1b[2J")  # in place: the REPL's prompt stepped aside
    session.expect_exact("top - ")
    session.send("q")
    session.expect(PROMPT)
    assert session.line("echo $?") == "0\n"


def test_ctrl_c_still_stops_a_raw_program(session):
    session.send("top -d 0.2\r")
    session.expect_exact("top - ")
    session.control("c")
    session.expect(PROMPT)
    assert session.line("echo $?") == "130\n"
    assert session.line("echo after") == "after\n"


def test_a_raw_program_killed_from_elsewhere_gives_the_prompt_back(booted, session):
    session.send(
        'eval \'await sys.stdin.setMode({raw: true}); sys.print("rea" + "dy"); await sys.sleep(60000)\'\r'
    )
    session.expect_exact("ready")
    # The console's shell kills it (the control port has one client: the REPL).
    console = booted.attach()
    try:
        table = command(console, "ps")
        pids = re.findall(r"^\s*(\d+)\s.*sys\.sleep\(60000\)", table, re.M)
        assert len(pids) == 1, table
        command(console, f"kill -KILL {pids[0]}")
    finally:
        console.sendcontrol("]")
        console.close()
    session.expect(PROMPT)
    assert session.line("echo $?") == "137\n"
    assert session.line("echo alive") == "alive\n"


def test_edit_in_the_repl_types_saves_and_quits(session):
    session.send("edit /tmp/from-repl\r")
    session.expect_exact(" edit: /tmp/from-repl")
    session.send("typed in the REPL")
    session.expect_exact("[Modified]")
    session.send("\x13")  # ^S
    session.expect_exact("[ Wrote 1 line ]")
    session.send("\x11")  # ^Q
    session.expect(PROMPT)
    assert session.line("cat /tmp/from-repl") == "typed in the REPL\n"
