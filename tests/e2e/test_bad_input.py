"""End-to-end: bad input gets a one-line message and loses nothing.

Each case ends with the prompt back and a command that still works.
"""

from __future__ import annotations

import random
import subprocess
import time

import pexpect

from tests.e2e.machine import JSKSH, PROMPT, command


def still_works(child):
    assert command(child, "echo still alive") == "still alive"


def test_app_that_throws(console):
    out = command(console, "eval 'throw new TypeError(\"boom\")'; echo status=$?")
    assert "Uncaught TypeError: boom" in out
    assert out.endswith("status=1")
    still_works(console)


def test_app_with_syntax_error(console):
    console.sendline("echo 'module.exports = function ( {' > /tmp/bad.js; /tmp/bad.js; echo status=$?")
    console.expect("SyntaxError")
    console.expect(r"status=2")
    console.expect(PROMPT)
    still_works(console)


def test_runaway_loop_then_ctrl_c(console):
    console.sendline("eval 'while(true){}'")
    console.expect_exact("while(true){}")
    time.sleep(0.5)
    console.sendcontrol("c")
    console.expect_exact("^C")
    console.expect(PROMPT)
    assert command(console, "echo $?") == "130"
    still_works(console)


def test_runaway_loop_in_a_promise_callback_then_ctrl_c(console):
    console.sendline("eval 'Promise.resolve().then(() => { for (;;) {} })'")
    time.sleep(0.5)
    console.sendcontrol("c")
    console.expect(PROMPT)
    assert command(console, "echo $?") == "130"


def test_heap_bomb(console):
    out = command(
        console, "eval 'const a = []; for (;;) a.push(new Array(1e5).fill(1.5))'; echo status=$?", timeout=60
    )
    assert "heap limit exceeded" in out
    assert out.endswith("status=137")  # 128 + SIGKILL, as the OOM killer
    still_works(console)


def test_huge_array_buffer(console):
    out = command(console, "eval 'new ArrayBuffer(2**32)'; echo status=$?")
    assert "RangeError" in out
    assert out.endswith("status=1")
    out = command(
        console,
        "eval 'const k = []; for (let i = 0; i < 20; i++) k.push(new ArrayBuffer(100 * 2**20)); k.length'; echo status=$?",
    )
    assert "ArrayBuffer limit exceeded" in out
    assert out.endswith("status=1")
    still_works(console)


def test_cat_missing_file(console):
    assert command(console, "cat /missing") == "cat: /missing: No such file or directory"


def test_100kb_input_line(console):
    console.send("echo " + "x" * 100_000 + "\r")
    console.expect(PROMPT, timeout=60)
    still_works(console)


def test_binary_garbage(machine):
    rnd = random.Random(7)
    with machine.socket() as s:
        s.sendall(
            bytes(rnd.randrange(256) for _ in range(20000)).replace(b"\x03", b"").replace(b"\x04", b"")
            # Some garbage line opened a quote or an `if`: the shell waits for
            # the rest, as dash would. ^C drops the unfinished input.
            + b"\x15\r\x03"
        )
        time.sleep(0.5)
    child = machine.attach()
    still_works(child)
    child.sendcontrol("]")
    child.expect(pexpect.EOF)


def test_client_disconnects_mid_output(machine):
    s = machine.socket()
    s.sendall(
        b"\x15cat /kernel/proc/process-table.js /kernel/app/pipes.js /kernel/app/peers.js /kernel/init.js\r"
    )
    s.recv(100)
    s.close()  # gone while the guest is still writing
    child = machine.attach()
    still_works(child)
    child.sendcontrol("]")
    child.expect(pexpect.EOF)


def test_two_clients_at_once(machine):
    first = machine.attach()
    with machine.socket() as second:
        second.settimeout(5)
        data = b""
        while b"\n" not in data:
            chunk = second.recv(1000)
            if not chunk:
                break
            data += chunk
        assert b"busy" in data
    # The raw client says so on stderr and exits 1, as the REPL's client does.
    late = subprocess.run(
        [*JSKSH, "attach", "--raw", machine.console_path],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert late.returncode == 1
    assert late.stdout == ""
    assert (
        late.stderr.strip()
        == f"jsksh: cannot attach to {machine.console_path}: console is busy: another client is attached"
    )
    still_works(first)
    first.sendcontrol("]")
    first.expect(pexpect.EOF)


def test_kernel_panic_powers_off_nonzero(fresh_machine):
    child = fresh_machine.attach()
    child.sendline("echo c > /proc/sysrq-trigger")
    child.expect("Kernel panic - not syncing: sysrq triggered crash")
    child.expect(pexpect.EOF)
    assert fresh_machine.wait() != 0


def test_cpu_limit(tmp_path):
    from tests.e2e.machine import BootedMachine

    m = BootedMachine("--cpu-limit", "1")
    try:
        child = m.attach()
        # A loop inside a timer callback, outside any task the host started.
        out = command(
            child,
            "eval 'new Promise(() => setTimeout(() => { for (;;) {} }, 0))'; echo status=$?",
            timeout=30,
        )
        assert "CPU time limit exceeded (1 s)" in out
        assert out.endswith("status=152")  # 128 + SIGXCPU, as RLIMIT_CPU ends a Linux process
        out = command(child, "eval 'for (;;) {}'; echo status=$?", timeout=30)
        assert "CPU time limit exceeded" in out
        assert out.endswith("status=152")  # 128 + SIGXCPU, as RLIMIT_CPU ends a Linux process
    finally:
        m.stop()
