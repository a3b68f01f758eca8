"""End-to-end: `jsksh run`, the scripting interface, and power control."""

from __future__ import annotations

import subprocess

import pexpect

from tests.e2e.machine import ENV, JSKSH, PROMPT, BootedMachine, command


def jsksh_run(*args, timeout=60):
    return subprocess.run([*JSKSH, "run", *args], capture_output=True, text=True, timeout=timeout, env=ENV)


def test_run_echo():
    r = jsksh_run("echo hello")
    assert r.returncode == 0
    assert r.stdout == "hello\n"
    assert r.stderr == ""


def test_run_separates_stderr_and_returns_status():
    r = jsksh_run("cat /nope; echo out; false")
    assert r.returncode == 1
    assert r.stdout == "out\n"
    assert r.stderr == "cat: /nope: No such file or directory\n"


def test_run_unknown_command_is_127():
    r = jsksh_run("nosuchcmd")
    assert r.returncode == 127
    assert "nosuchcmd: command not found" in r.stderr


def test_run_pipeline():
    r = jsksh_run("echo a b c | wc -w")
    assert r.stdout.strip() == "3"


def test_run_output_that_cannot_be_written_is_said_once():
    # A full disk behind stdout: one line on stderr, status 1, no traceback.
    with open("/dev/full", "wb") as full:
        r = subprocess.run(
            [*JSKSH, "run", "--net", "none", "cat /etc/motd"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=ENV,
        )
    assert r.returncode == 1
    assert r.stderr == "jsksh: cannot write the output: No space left on device\n"


def test_run_into_a_reader_that_leaves_ends_as_sigpipe_would():
    # `jsksh run 'seq 100000' | head -1`: the reader goes after one line, and
    # jsksh ends quietly with SIGPIPE's status, as a shell reports for `yes`.
    p = subprocess.Popen(
        [*JSKSH, "run", "--net", "none", "seq 100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert p.stdout.readline() == b"1\n"
    p.stdout.close()
    _, err = p.communicate(timeout=60)
    assert p.returncode == 141
    assert err == b""


def test_the_console_shell_starts_when_a_terminal_opens_the_console():
    # As getty waits for carrier: until a terminal attaches, only the
    # session's shell runs; attaching starts the console's, with its welcome.
    m = BootedMachine("--net", "none")
    try:
        status, out, _ = m.run("ps | grep -c ' sh$'; dmesg | grep -c 'terminal opens it'")
        assert (status, out) == (0, "0\n1\n")
        console = m.attach()
        assert command(console, "echo $$ >/tmp/console-pid; echo ok") == "ok"
        status, out, _ = m.run("ps | grep -c ' sh$'; dmesg | grep -c 'a terminal opened the console'")
        assert (status, out) == (0, "1\n1\n")
        console.close(force=True)
        # It stays when the terminal goes, as a getty's login session would not, and
        # a second terminal finds the same shell.
        console = m.attach()
        pid = m.run("cat /tmp/console-pid")[1].strip()
        assert pid.isdigit() and command(console, "echo $$") == pid
        console.close(force=True)
    finally:
        m.stop()


def test_run_on_booted_machine(machine):
    status, out, err = machine.run("echo via control; eval 2+2")
    assert (status, out, err) == (0, "via control\n4\n", "")


def test_run_poweroff_ends_with_the_machines_status_and_no_complaint():
    # The line powered the machine off: that is how the run ends, not a lost channel (125).
    r = jsksh_run("echo bye; poweroff", "--net", "none")
    assert (r.returncode, r.stdout, r.stderr) == (0, "bye\n", "")


def test_run_reboot_ends_the_run_with_status_0_not_a_wait_forever():
    # The run went with the old kernel: the reboot's emergency log line ends it.
    r = jsksh_run("echo before; reboot; echo never", "--net", "none", timeout=30)
    assert (r.returncode, r.stdout, r.stderr) == (0, "before\n", "")


def test_poweroff_stops_machine_and_client_exits_0():
    child = pexpect.spawn(JSKSH[0], [*JSKSH[1:], "--raw"], env=ENV, timeout=30, encoding="utf-8")
    child.expect(PROMPT)
    child.sendline("poweroff")
    child.expect("Power down")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_reboot_boots_again_on_same_console():
    m = BootedMachine()
    try:
        child = m.attach()
        child.sendline("reboot")
        child.expect("Restarting system")
        child.expect(r"boot #2")
        child.expect(PROMPT)
        assert command(child, "echo after reboot") == "after reboot"
        child.sendline("poweroff")
        child.expect(pexpect.EOF)
        assert m.wait() == 0
    finally:
        m.stop()


def test_socat_raw_console(machine):
    import shutil

    import pytest

    if not shutil.which("socat"):
        pytest.skip("socat is not installed (.ci/run installs it)")
    child = pexpect.spawn(
        "socat", ["-,raw,echo=0", f"UNIX-CONNECT:{machine.console_path}"], timeout=15, encoding="utf-8"
    )
    child.sendline("")
    child.expect(PROMPT)
    child.send("echo helo\x7fo wrld\x15echo typed again\r")
    child.expect_exact("typed again")
    child.expect(PROMPT)
    child.send("echo a\x08b\r")
    child.expect("\r\nb\r\n")
    child.close()
