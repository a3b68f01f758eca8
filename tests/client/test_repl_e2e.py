"""End to end: `jsksh attach`, `jsksh`, `jsksh run --attach` and batch mode, as a person or a script uses them.

A `jsksh boot` machine (tests/e2e/machine.py) is shared by the module; each
test attaches the REPL to its control socket under a real pty
(`--simple-prompt`, PROMPT_TOOLKIT_NO_CPR=1) and types at it.
"""

from __future__ import annotations

import re
import subprocess

from tests.client.repl_pty import PROMPT, attach, repl
from tests.e2e.machine import ENV, JSKSH


def test_output_errors_tables_and_the_directory(session):
    assert session.line("echo hello world") == "hello world\n"
    assert session.line("cat /nope") == "cat: /nope: No such file or directory\n"
    table = session.line("ps").splitlines()
    assert table[0].split()[:3] == ["PID", "PPID", "STAT"] and set(table[1]) == {"─"}
    assert any(re.match(r"\s+\d+\s+\d+\s+\S+.*\bps\s*$", row) for row in table[2:]), table
    session.line("cd /tmp")
    assert session.child.after == "jsksh:/tmp$ "  # the next prompt shows the new directory
    assert session.line("pwd") == "/tmp\n"
    session.line("cd /")


def test_ctrl_c_interrupts_a_loop_and_the_shell_lives_on(session):
    session.send("eval 'sys.print(\"spin\"); sys.kernel.info(); while(true){}'\r")
    session.expect("spin\r\n")
    session.control("c")
    session.expect(PROMPT)
    assert session.line("echo $?") == "130\n"


def test_ctrl_c_at_the_prompt_throws_the_line_away(session):
    session.send("echo never")
    session.control("c")
    session.expect(r"echo never\^C\r+\n")
    assert session.line("echo after") == "after\n"


def test_the_eval_repl_continues_lines_and_completes(session):
    session.send("eval\r")
    session.expect("> ")
    session.send("function f() {\r")
    session.expect(r"\.\.\. ")  # the continuation prompt, eval's own indent after it
    session.send("return 'multi' }\r")
    session.expect("> ")
    session.send("f()\r")
    assert "'multi'" in session.expect("> ")
    session.send("Math.ma\t")
    session.expect("Math.max")
    session.control("u")
    session.control("d")  # end of eval's input
    session.expect(PROMPT)
    assert session.line("echo $?") == "0\n"


def test_lines_typed_ahead_into_the_eval_repl_continue_and_run(session):
    # All at once, before any is-complete answer: the redraw of the grown
    # (multi-line) input once failed here.
    session.send("eval\r")
    session.expect("> ")
    session.send("function ahead(x) {\rreturn x * x }\rahead(7)\r")
    session.expect("49")
    session.control("d")
    session.expect(PROMPT)


def test_tab_completes_commands_and_paths(session):
    session.send("ec\t")
    session.expect("echo ")
    session.send("hi\r")
    assert session.expect(PROMPT).endswith("hi\n")
    session.send("ls /e\t")
    session.expect("/etc/")
    session.send("\r")
    assert "motd" in session.expect(PROMPT)


def test_resize_reaches_ls(session):
    session.child.setwinsize(30, 32)
    session.line("true")  # a redraw after SIGWINCH sends the new size
    narrow = session.line("ls /bin").splitlines()
    session.child.setwinsize(30, 200)
    session.line("true")
    wide = session.line("ls /bin").splitlines()
    assert len(narrow) > len(wide) > 0
    assert max(len(line.rstrip()) for line in narrow) <= 32


def test_kernel_messages_arrive_as_log_lines(session):
    session.send("echo note-for-dmesg > /dev/kmsg\r")
    session.expect(r"\x1b\[2m\[\s*\d+\.\d{6}\] note-for-dmesg")  # dim, stamped as dmesg prints


def test_ctrl_d_detaches_and_the_machine_keeps_running(booted):
    s = attach(booted.control_path)
    s.line("greeting=kept")
    s.control("d")
    status, said = s.end()
    assert status == 0 and "jsksh: detached; the machine keeps running" in said
    again = attach(booted.control_path)
    try:
        assert again.line("echo $greeting") == "kept\n"  # the same session shell
    finally:
        again.close()


def test_ctrl_bracket_detaches_and_reattaching_replays(booted):
    s = attach(booted.control_path)
    s.line("echo replay-marker-e2e")
    s.send("sleep 30\r")
    s.expect(r"sleep 30\r+\n")
    s.send("\x1d")  # Ctrl-] with the run going
    status, said = s.end()
    assert status == 0 and "detached" in said
    again = repl("attach", "--simple-prompt", booted.control_path, wait=False)
    try:
        out = again.expect(r"still running: sleep 30")
        assert "--- replay ---" in out and "replay-marker-e2e" in out
        again.control("c")  # the adopted run is interrupted
        again.expect(PROMPT)
        assert again.line("echo $?") == "130\n"
    finally:
        again.close()


def test_exit_ends_the_session_and_the_repl_with_its_status(booted):
    s = attach(booted.control_path)
    s.send("exit 3\r")
    status, said = s.end()
    assert status == 3 and "the session ended" in said


def test_a_second_client_is_told_the_port_is_busy(session, booted):
    r = subprocess.run(
        [*JSKSH, "run", "--attach", booted.control_path, "echo hi"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert r.returncode == 1
    assert "busy" in r.stderr and "\n" == r.stderr[-1] and r.stderr.count("\n") == 1
    second = repl("attach", "--simple-prompt", booted.control_path, wait=False)
    status, said = second.end()
    assert status == 1 and "busy" in said
    assert session.line("echo first still here") == "first still here\n"


def test_run_attach_runs_one_line_and_forwards_stdin(booted):
    r = subprocess.run(
        [*JSKSH, "run", "--attach", booted.control_path, "cat; echo status=$?; false"],
        input="from stdin\n",
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert (r.returncode, r.stdout, r.stderr) == (1, "from stdin\nstatus=0\n", "")


def test_batch_mode_on_a_running_machine(booted):
    r = subprocess.run(
        [*JSKSH, "attach", booted.control_path],
        input="echo one\necho two |\nwc -l\nnosuchcommand\n",
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert r.stdout == "one\n1\n"
    assert "nosuchcommand: command not found" in r.stderr
    assert r.returncode == 127


def test_batch_mode_boots_its_own_machine_and_feeds_input():
    r = subprocess.run(
        [*JSKSH, "--net", "none"],
        input="eval\n1+2\nps\n",
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "3"  # eval read 1+2, then `ps` (eval's input too), then end of input


def test_the_embedded_machine_repl_leaves_on_ctrl_d_with_the_last_status():
    s = repl("--simple-prompt", "--net", "none")
    assert s.line("echo embedded") == "embedded\n"
    s.line("false")
    s.control("d")
    status, _ = s.end()
    assert status == 1  # the machine powered off with the last status


def test_poweroff_in_the_embedded_repl_ends_it():
    s = repl("--simple-prompt", "--net", "none")
    s.send("poweroff\r")
    status, _ = s.end()
    assert status == 0


def test_ctrl_bracket_in_the_embedded_repl_powers_off():
    s = repl("--simple-prompt", "--net", "none")
    s.send("\x1d")
    status, _ = s.end()
    assert status == 0
