"""End-to-end: bytes through pipes, redirections, files, the console and the
structured port (issue: one data path between isolates).

Every test checks data end to end (counts, sha256 on both sides), so a lost or
duplicated byte anywhere fails it.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time

import pytest

from tests.e2e.machine import ENV, JSKSH
from tests.e2e.test_fuzz_rpc import write_file

MACHINE_ARGS = ("--net", "none", "--tmp-size", "8M")


def test_a_large_output_streams_through_a_pipeline(machine):
    status, out, err = machine.run("head -c 64M /dev/zero | cat | cat | wc -c", timeout=120)
    assert (status, out, err) == (0, "67108864\n", "")


def test_more_than_a_pipe_holds_from_one_write(machine):
    # One write of 200,000 bytes, not awaited: it used to hang the session.
    status, out, _ = machine.run("""eval 'sys.stdout.write("x".repeat(200000)); 0' | wc -c""")
    assert (status, out) == (0, "200002\n")


def test_bytes_arrive_unchanged_through_files_and_pipes(machine):
    status, out, err = machine.run(
        "head -c 1000000 /dev/urandom > /tmp/r; sha256sum /tmp/r; cat /tmp/r | sha256sum; "
        "cat /tmp/r /tmp/r > /tmp/rr; cat /tmp/r >> /tmp/r2; cat /tmp/r >> /tmp/r2; sha256sum < /tmp/rr; sha256sum /tmp/r2; "
        "dd if=/tmp/r of=/tmp/d bs=64k status=none; sha256sum /tmp/d; rm /tmp/r /tmp/rr /tmp/r2 /tmp/d",
        timeout=60,
    )
    assert status == 0, err
    sums = [line.split()[0] for line in out.splitlines()]
    assert len(sums) == 5
    assert sums[0] == sums[1] == sums[4]
    assert sums[2] == sums[3] != sums[0]


def test_output_reaches_the_host_as_bytes():
    r2 = subprocess.run(
        [*JSKSH, "run", "--net", "none", "head -c 5000000 /dev/zero"],
        capture_output=True,
        timeout=60,
        env=ENV,
    )
    assert r2.returncode == 0
    assert r2.stdout == bytes(5000000)
    # Random bytes (most not UTF-8) reach the host byte for byte.
    r3 = subprocess.run(
        [
            *JSKSH,
            "run",
            "--net",
            "none",
            "head -c 2000000 /dev/urandom > /tmp/u; cat /tmp/u; sha256sum /tmp/u >&2",
        ],
        capture_output=True,
        timeout=60,
        env=ENV,
    )
    assert r3.returncode == 0
    assert len(r3.stdout) == 2000000
    assert r3.stderr.decode().split()[0] == hashlib.sha256(r3.stdout).hexdigest()


@pytest.mark.parametrize(
    ("line", "out"),
    [
        ("echo to-stderr 1>&2 | cat; echo after", "after\n"),
        ("echo a > /tmp/f | cat; echo after; cat /tmp/f", "after\na\n"),
        ("echo a 1>/tmp/f1 1>/tmp/g1; cat /tmp/g1; wc -c < /tmp/f1", "a\n0\n"),
        ("echo x 2>&1 | wc -l", "1\n"),
        ("ls /nope 2>&1 | wc -l", "1\n"),
        ("cat < /etc/hostname | cat", "jsksh\n"),
    ],
)
def test_redirections_in_a_pipeline_leave_the_reader_its_end_of_file(machine, line, out):
    status, got, _ = machine.run(line, timeout=20)
    assert got == out


def test_a_kernel_call_of_megabytes_goes_and_comes_back_whole(machine):
    # 6 MiB to the kernel and back, in 256 KiB pieces each way. The kernel
    # once took one page per interrupt and was told only when its inbox had
    # been empty: the rest waited for unrelated timer interrupts (a 1 MiB
    # call took 2-15 s; this one would not have finished in the timeout).
    line = (
        'eval \'const s = "ab".repeat(3 << 20); sys.fs.writeFile("/tmp/big", s)'
        '.then(() => sys.fs.readFile("/tmp/big")).then((t) => [t.length, t === s])\''
    )
    status, out, err = machine.run(line + "; rm /tmp/big", timeout=20)
    assert (status, out.strip(), err) == (0, "[ 6291456, true ]", "")


def test_tmp_fills_up_with_enospc_and_keeps_what_was_written(machine):
    status, out, err = machine.run(
        "echo keep > /tmp/keep; head -c 20M /dev/zero > /tmp/big; echo status $?; wc -c < /tmp/keep; "
        "dd if=/dev/zero of=/tmp/big2 bs=1M count=20 status=none; echo dd $?; rm /tmp/big /tmp/big2; cat /tmp/keep",
        timeout=60,
    )
    assert "No space left on device" in err
    lines = out.splitlines()
    assert lines[0] != "status 0"
    assert lines[1] == "5"
    assert lines[2] == "dd 1"
    assert lines[3] == "keep"


def test_apps_live_while_a_timer_is_pending_and_await_at_top_level(machine):
    status, out, _ = machine.run(
        """eval 'setTimeout(() => console.log("later"), 300); "now"'; eval 'await 0; 7'"""
    )
    assert (status, out) == (0, "'now'\nlater\n7\n")


def test_a_killed_writer_gives_its_reader_end_of_file_and_what_arrived(machine):
    status, out, _ = machine.run(
        "eval 'sys.stdout.write(\"abc\"); setTimeout(() => sys.exit(3), 100000); 0' | wc -c &"
        " sleep 0.3; kill %1; wait",
        timeout=20,
    )
    assert "5" in out.split()  # "abc", then eval's "0\n": all that was written before the kill


def test_ten_thousand_pipes_opened_and_closed_are_freed(machine):
    write_file(
        machine,
        "/tmp/pipes.js",
        "module.exports = async () => { for (let i = 0; i < 10000; i++) sys.proc.closePipe(await sys.proc.pipe()); sys.print('ok'); };",
    )
    status, out, err = machine.run("/tmp/pipes.js", timeout=60)
    assert (status, out) == (0, "ok\n"), err


def binary_client(machine):
    """A client on the control port that takes output as raw bytes: (socket, file)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(machine.control_path)
    s.settimeout(60)
    f = s.makefile("rb")
    s.sendall(json.dumps({"t": "hello", "version": 2, "binary": True}).encode() + b"\n")
    while (
        True
    ):  # before the hello, skip what is not a message (the tail of an earlier binary client's output)
        try:
            if json.loads(f.readline()).get("t") == "hello":
                break
        except ValueError:
            pass
    return s, f


def read_run(f, run_id, slow=0.0):
    """(stdout bytes, stderr bytes, status) of run `run_id`, reading as slowly as asked."""
    out, err = bytearray(), bytearray()
    while True:
        msg = json.loads(f.readline())
        if "size" in msg:
            data = f.read(msg["size"])
            (out if msg["t"] == "stdout" else err).extend(data)
            if slow:
                time.sleep(slow)
        elif msg.get("t") == "exit" and msg.get("id") == run_id:
            return bytes(out), bytes(err), msg["status"]


def test_a_slow_client_slows_the_writer_and_loses_nothing(machine):
    s, f = binary_client(machine)
    try:
        s.sendall(
            json.dumps(
                {
                    "t": "run",
                    "id": 1,
                    "line": "head -c 6000000 /dev/urandom | tee /tmp/slow | sha256sum >&2; cat /tmp/slow; rm /tmp/slow",
                }
            ).encode()
            + b"\n"
        )
        out, err, status = read_run(
            f, 1, slow=0.02
        )  # 20 ms after each piece: far slower than the guest writes
    finally:
        f.close()
        s.close()
    assert status == 0
    assert len(out) == 6000000
    assert err.decode().split()[0] == hashlib.sha256(out).hexdigest()


def test_a_client_that_leaves_mid_output_and_comes_back(machine):
    s, f = binary_client(machine)
    s.sendall(
        json.dumps(
            {"t": "run", "id": 1, "line": "head -c 100000000 /dev/zero; echo done > /tmp/left"}
        ).encode()
        + b"\n"
    )
    got = 0
    while got < 1 << 20:
        msg = json.loads(f.readline())
        if "size" in msg:
            got += len(f.read(msg["size"]))
    f.close()  # in the middle of 100 MB (the file holds the socket open too)
    s.close()
    deadline = time.monotonic() + 30
    status, out = None, None
    while time.monotonic() < deadline:  # the run goes on without a client (its output is not kept), and ends
        try:
            status, out, _ = machine.run("cat /tmp/left", timeout=30)
        except (AssertionError, OSError):  # the port has not noticed the last client left yet: busy
            pass
        if out == "done\n":
            break
        time.sleep(0.2)
    assert (status, out) == (0, "done\n")
    assert machine.run("echo alive") == (0, "alive\n", "")


def test_a_table_keeps_its_place_among_the_writes(machine):
    # devices prints a table, a blank line, then a second table; the blank
    # line once overtook the first table (sys.table did not wait its turn).
    status, out, _ = machine.run("devices | cat")
    lines = out.splitlines()
    assert status == 0
    assert lines[0].startswith("SLOT")
    blank = lines.index("")
    assert lines[blank + 1].startswith("DEVICE")
