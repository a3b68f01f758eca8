"""Batch mode (jsksh/client/batch.py) and `jsksh run` (runner.py) against a machine in this process.

Command lines come from a stream; continuation lines are joined by asking
the guest; a program asking for input gets the following lines; the status
is the last run's.
"""

from __future__ import annotations

import io
import socket

from jsksh.client.batch import run_batch
from jsksh.client.runner import run_line
from tests.client.driver import play


def batch(machine, script: str):
    out, err = io.StringIO(), io.StringIO()
    result = play(run_batch(machine.control.connect_local(), io.StringIO(script), out, err))
    return result, out.getvalue(), err.getvalue()


def test_lines_run_in_order_and_the_status_is_the_last_ones(machine):
    result, out, err = batch(machine, "echo hi; cd /tmp\npwd\ncat /nope\n")
    assert (result.status, out) == (1, "hi\n/tmp\n")
    assert err == "cat: /nope: No such file or directory\n"


def test_continuation_lines_are_joined_by_asking_the_guest(machine):
    result, out, _ = batch(machine, "echo 'two\nlines'\necho a b c |\nwc -w\n")
    assert result.status == 0
    assert out == "two\nlines\n3\n"


def test_a_program_reading_input_gets_the_following_lines(machine):
    result, out, _ = batch(machine, "eval\n1+2\nfunction f() {\nreturn 5 }\nf()\n")
    assert result.status == 0
    assert out.split() == ["3", "undefined", "5"]


def test_tables_come_as_text_and_exit_ends_the_script(machine):
    result, out, _ = batch(machine, "ps\nexit 4\necho not reached\n")
    assert out.splitlines()[0].split()[:2] == ["PID", "PPID"]
    assert "not reached" not in out
    assert result.status == 4


def test_run_line_answers_input_from_its_stdin(machine):
    out, err = io.BytesIO(), io.BytesIO()
    status = run_line(
        machine.control.connect_local(), "cat; echo done", out, err, io.StringIO("fed\nlines\n")
    )
    assert (status, out.getvalue(), err.getvalue()) == (0, b"fed\nlines\ndone\n", b"")


def test_run_line_on_a_busy_port_is_a_clear_error():
    ours, theirs = socket.socketpair()
    theirs.sendall(b"jsksh: org.jsksh.shell.0 is busy: another client is attached\r\n")
    theirs.close()
    err = io.BytesIO()
    assert run_line(ours, "echo hi", io.BytesIO(), err, io.StringIO()) == 1
    assert err.getvalue() == b"jsksh: org.jsksh.shell.0 is busy: another client is attached\n"
