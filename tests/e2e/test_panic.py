"""End-to-end: a kernel panic reaches the host's stderr, with a non-zero status.

`echo c > /proc/sysrq-trigger` crashes the kernel on purpose (kernel/init.js):
kernel/panic.js logs the error and its stack, then powers off with status 1
and the same text in the POWER trap's payload (docs/abi.md §1). The machine
keeps that text and jsksh/cli.py prints it on stderr, since under `jsksh run`
and `jsksh boot` nobody may be watching the console.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from types import SimpleNamespace

import pexpect
import pytest

from tests.e2e.machine import ENV, JSKSH

CRASH = "echo c > /proc/sysrq-trigger"
HEADLINE = "jsksh: kernel panic: sysrq triggered crash"
FRAME = re.compile(r"^\s+at .*\(/kernel/[\w/-]+\.js:\d+:\d+\)$", re.M)  # one line of V8's stack


def assert_reported(stderr: str) -> None:
    assert stderr.count(HEADLINE) == 1, stderr
    after = stderr[stderr.index(HEADLINE) :]
    assert FRAME.search(after), f"no stack line after the message:\n{stderr}"


def test_panic_under_run_prints_message_and_stack():
    r = subprocess.run(
        [*JSKSH, "--net", "none", "run", CRASH],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert r.returncode == 1, r.stderr
    assert_reported(r.stderr)
    assert r.stdout == ""


def test_panic_under_boot_prints_message_and_stack(tmp_path):
    console, control = str(tmp_path / "console.sock"), str(tmp_path / "control.sock")
    proc = subprocess.Popen(
        [*JSKSH, "--net", "none", "boot", "--console", console, "--control", control],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        deadline = time.monotonic() + 30
        while not (os.path.exists(console) and os.path.exists(control)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        # Someone on the console sees the panic there; stderr must have it all the same.
        with socket.socket(socket.AF_UNIX) as con, socket.socket(socket.AF_UNIX) as ctl:
            con.connect(console)
            ctl.connect(control)
            ctl.sendall(json.dumps({"t": "run", "id": 1, "line": CRASH}).encode() + b"\n")
            out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err
    assert_reported(err)
    assert out == ""


def test_panic_in_batch_mode_prints_message_and_stack():
    r = subprocess.run(
        [*JSKSH, "--net", "none"], input=CRASH + "\n", capture_output=True, text=True, timeout=60, env=ENV
    )
    assert r.returncode == 1, r.stderr
    assert_reported(r.stderr)


@pytest.mark.parametrize("mode", [["--raw"], ["--simple-prompt"]], ids=["raw-console", "repl"])
def test_panic_on_the_terminal_is_shown_once(mode):
    # The raw console and the REPL show the kernel's own panic lines; stderr,
    # the same terminal here, need not repeat them.
    child = pexpect.spawn(
        JSKSH[0], [*JSKSH[1:], "--net", "none", *mode], env=ENV, timeout=30, encoding="utf-8"
    )
    child.setwinsize(40, 120)
    child.expect(r"\$ ")
    child.sendline(CRASH)
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before
    assert child.exitstatus == 1, screen
    assert screen.count("sysrq triggered crash") == 1, screen
    assert "Kernel panic - not syncing: sysrq triggered crash" in screen


def test_panic_text_cannot_drive_the_host_terminal(capsys):
    from jsksh.cli import report_panic

    report_panic(SimpleNamespace(panic="boom\x1b[2J\x07\n    at f (/kernel/x.js:1:2)"))
    assert capsys.readouterr().err == "jsksh: kernel panic: boom\\x1b[2J\\x07\n    at f (/kernel/x.js:1:2)\n"


def test_kernel_that_dies_without_a_word_is_a_machine_check(tmp_path, capsys):
    # An exception escaping __start itself: the kernel never got to panic(),
    # so the machine keeps the error as the panic's text (_kernel_done).
    import shutil
    import threading

    from jsksh import image
    from jsksh.cli import report_panic
    from jsksh.machine.machine import Machine

    for tree in ("kernel", "apps", "fs"):
        shutil.copytree(image.ROOT / tree, tmp_path / tree)
    init = tmp_path / "kernel" / "init.js"
    init.write_text(
        init.read_text().replace(
            "function start(bootinfo) {",
            "function start(bootinfo) {\n  throw new Error('broken at boot');",
            1,
        )
    )
    machine = Machine(net="none", cpus=None, root=tmp_path)
    done = threading.Thread(target=machine.run, daemon=True)
    done.start()
    done.join(30)
    if done.is_alive():
        machine.power_off(0)
        done.join(10)
        pytest.fail("the machine kept running with a kernel that could not start")
    assert machine.status == 1
    report_panic(machine)
    err = capsys.readouterr().err
    assert err.startswith("jsksh: kernel panic: machine check: ") and "broken at boot" in err, err
    assert FRAME.search(err), err
