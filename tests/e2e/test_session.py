"""End-to-end: a person at the raw console of a booted machine.

Every command the shell offers, typed through `jsksh attach --raw` under a
real pty, against a real `jsksh boot` machine.
"""

from __future__ import annotations

import re

import pexpect

from tests.e2e.machine import PROMPT, command


def test_boot_log_welcome_and_prompt(machine):
    child = machine.attach()  # replay shows what was printed before we attached
    text = child.before
    assert re.search(r"\[\s+\d+\.\d{6}\] jsksh version", text)
    assert "virtio-console" in text
    assert re.search(r"Welcome to jsksh .* V8 \d+\.\d+", text)
    assert text.count("Welcome") == 1  # one banner: the version line, then /etc/motd
    assert "Type help for the list of commands." in text
    child.sendcontrol("]")
    child.expect(pexpect.EOF)


def test_echo(console):
    assert command(console, "echo hello world") == "hello world"


def test_eval_expression(console):
    assert command(console, "eval 6*7") == "42"
    assert command(console, "eval \"'hi'\"") == "'hi'"
    assert command(console, "eval '({a: [1, 2]})'") == "{ a: [ 1, 2 ] }"


def test_eval_repl(console):
    console.sendline("eval")
    console.expect_exact("> ")
    console.sendline("let x = 20")
    console.expect_exact("undefined")
    console.sendline("x + 22")
    console.expect_exact("42")
    console.sendline("function f() {")
    console.expect_exact("... ")
    console.sendline("return 'multi' }")
    console.sendline("f()")
    console.expect_exact("'multi'")
    # Node's rules: a line starting with '.' inside an unfinished input is
    # more of it; an open template ${ waits; the whole input runs as one.
    console.sendline('("a"')
    console.expect_exact("... ")
    console.sendline(".charAt(0))")
    console.expect_exact("'a'")
    console.sendline("`x ${")
    console.expect_exact("... ")
    console.sendline("6 * 7}`")
    console.expect_exact("'x 42'")
    console.sendline(".nosuch")
    console.expect_exact("Invalid REPL keyword")
    console.sendline("exit")
    console.expect(PROMPT)
    console.sendline("eval")
    console.expect_exact("> ")
    console.sendcontrol("d")
    console.expect(PROMPT)


def test_ls(console):
    out = command(console, "ls")
    for name in ("bin", "etc", "kernel", "tmp"):
        assert re.search(rf"\b{name}/", out), out
    out = command(console, "ls -l /bin")
    assert re.search(r"^-r\S+\s+\d+ .* echo\.js$", out, re.M), out
    assert "sh.js" in out


def test_cat(console):
    out = command(console, "cat /etc/motd")
    assert "jsksh" in out
    out = command(console, "cat /nope; echo status=$?")
    assert "cat: /nope: No such file or directory" in out
    assert "status=1" in out


def test_devices(console):
    out = command(console, "devices")
    assert "virtio-console" in out and "virtio-rng" in out
    assert "MULTIPORT" in out
    assert re.search(r"control\.rx", out), out


def test_help_ps_dmesg_uptime_free(console):
    out = command(console, "help")
    for name in ("echo", "eval", "ls", "poweroff"):
        assert name in out
    out = command(console, "ps")
    assert re.search(r"^\s*PID", out, re.M) and " sh" in out and "ps" in out
    out = command(console, "dmesg")
    assert re.search(r"^\[\s+\d+\.\d{6}\] jsksh version", out, re.M)
    assert "up" in command(console, "uptime")
    assert "heap" in command(console, "free").lower()


def test_sleep_true_false_and_status(console):
    assert command(console, "true; echo $?") == "0"
    assert command(console, "false; echo $?") == "1"
    assert command(console, "sleep 0.1 && echo slept") == "slept"


def test_shell_features(console):
    assert command(console, "echo 'a  b' \"c d\"") == "a  b c d"
    assert command(console, "false || echo or; true && echo and") == "or\nand"
    assert command(console, "echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f") == "one\ntwo"
    assert command(console, "cat /tmp/f | wc -l").strip() == "2"
    assert command(console, "cd /etc; pwd; cd /; pwd") == "/etc\n/"
    assert "Read-only file system" in command(console, "echo x > /etc/x")


def test_unknown_command(console):
    out = command(console, "nosuchcmd; echo $?")
    assert "sh: nosuchcmd: command not found" in out
    assert out.endswith("127")


def test_clear(console):
    console.sendline("clear")
    console.expect_exact("\x1b[H\x1b[2J")
    console.expect(PROMPT)


def test_kill_from_another_session(machine, console):
    console.sendline("sleep 30")
    console.expect_exact("sleep 30")
    status, out, _ = machine.run("ps")
    pid = next(line.split()[0] for line in out.splitlines() if line.rstrip().endswith(" sleep 30"))
    assert machine.run(f"kill {pid}")[0] == 0
    console.expect(PROMPT)
    assert command(console, "echo $?") == "143"
    status, _, err = machine.run(f"kill {pid}")
    assert status == 1 and f"({pid})" in err and "No such process" in err


def test_ctrl_c_and_ctrl_d_at_the_prompt(console):
    console.send("echo half-typed")
    console.sendcontrol("c")
    console.expect_exact("^C")
    console.expect(PROMPT)  # the line is discarded and the shell lives on
    assert command(console, "echo $?") == "130"
    console.sendcontrol("d")  # end of input: sh exits and init starts a new one
    console.expect(PROMPT)
    assert command(console, "echo new shell") == "new shell"
