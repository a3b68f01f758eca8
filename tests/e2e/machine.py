"""Test helpers: boot a real machine with `jsksh boot` and attach to it.

The machine is a separate `jsksh boot` process with its two ports on Unix
sockets in a temporary directory; a test attaches with `jsksh attach --raw`
under pexpect (a real pty, so raw mode and Ctrl-C are real) or with a plain
socket, exactly as a person or a script would.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pexpect

PROMPT = r"jsksh:\S*\$ "
JSKSH = [sys.executable, "-m", "jsksh.cli"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


class BootedMachine:
    def __init__(self, *extra: str):
        self.dir = tempfile.mkdtemp(prefix="jsksh-test-")
        self.console_path = os.path.join(self.dir, "console.sock")
        self.control_path = os.path.join(self.dir, "control.sock")
        self.log = open(os.path.join(self.dir, "machine.log"), "wb")
        self.proc = subprocess.Popen(
            [*JSKSH, "boot", "--console", self.console_path, "--control", self.control_path, *extra],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
        deadline = time.monotonic() + 30
        while not (os.path.exists(self.console_path) and os.path.exists(self.control_path)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"machine did not start: {self.output()}")
            time.sleep(0.02)

    def output(self) -> str:
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")

    def attach(self, timeout: float = 15) -> pexpect.spawn:
        """A raw console session (jsksh attach --raw) waiting at a prompt."""
        child = pexpect.spawn(
            JSKSH[0],
            [*JSKSH[1:], "attach", "--raw", self.console_path],
            env=ENV,
            timeout=timeout,
            encoding="utf-8",
            codec_errors="replace",
        )
        child.setwinsize(40, 120)
        try:
            sync(child)
        except pexpect.ExceptionPexpect as e:
            raise AssertionError(f"attach failed: {e}\n--- machine output ---\n{self.output()}") from e
        return child

    def socket(self, path: str | None = None) -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path or self.console_path)
        return s

    def run(self, line: str, timeout: float = 30) -> tuple[int, str, str]:
        """`jsksh`-style run over the control port: (status, stdout, stderr)."""
        return run_on_control_port(self.control_path, line, timeout)

    def wait(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout)

    def rss_kib(self) -> int:
        """The machine process's resident memory, from /proc."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    def __enter__(self) -> BootedMachine:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class PortClient:
    """A plain JSON-lines connection to the structured port (docs/protocol.md):
    send messages, read until one matches.  ``hello``: the handshake to make."""

    def __init__(self, path: str, hello: dict | None = None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(15)
        self.reader = self.sock.makefile("rb")
        self.seen: list[dict] = []
        if hello is not None:
            self.send(t="hello", **hello)
            self.hello = self.until("hello")

    def send(self, **message) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def until(self, kind: str, **fields) -> dict:
        """Messages up to and including the first of type `kind` (with `fields`), in self.seen."""
        self.seen = []
        while True:
            line = self.reader.readline()
            assert line, f"port closed while waiting for {kind}; saw {self.seen}"
            msg = json.loads(line)
            self.seen.append(msg)
            if msg["t"] == kind and all(msg.get(k) == v for k, v in fields.items()):
                return msg

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def run_on_control_port(path: str, line: str, timeout: float = 30) -> tuple[int, str, str]:
    """Run a command line over a machine's control port: (status, stdout, stderr)."""
    from jsksh.client.runner import Channel

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.settimeout(timeout)
        chan = Channel(s)
        chan.send({"t": "run", "id": 7, "line": line})
        out, err = [], []
        while True:
            msg = chan.receive()
            assert msg is not None, "control port closed"
            if msg.get("id") != 7:
                continue  # an earlier client's run, still going
            if msg.get("t") == "stdout":
                out.append(msg["data"])
            elif msg.get("t") == "stderr":
                err.append(msg["data"])
            elif msg.get("t") == "exit":
                return msg["status"], "".join(out), "".join(err)


def sync(child: pexpect.spawn) -> None:
    """Skip the replayed scrollback: wait for the output of a fresh marker command.

    The marker is split by quotes when typed, so its echo never matches."""
    token = uuid.uuid4().hex[:12]
    child.sendline(f"echo {token[:6]}''{token[6:]}")
    child.expect(token + r"\r\n" + PROMPT)


def command(child: pexpect.spawn, line: str, timeout: float | None = None) -> str:
    """Type a line at the prompt; return what the command printed (without the echo)."""
    child.sendline(line)
    child.expect_exact(line)  # the tty's echo
    child.expect(PROMPT, timeout=timeout or child.timeout)
    return strip_colors(child.before.replace("\r\n", "\n")).strip("\n")


def kill_jobs(run) -> None:
    """Kill a shell's background jobs; ``run(line)`` runs a line in that shell
    and returns what it printed."""
    numbers = re.findall(r"^\[(\d+)\]", run("jobs"), re.M)
    if numbers:
        run("kill " + " ".join(f"%{n}" for n in numbers))
    run("jobs")  # reports and forgets what is left


def console_without_jobs(machine: BootedMachine):
    """A console session for a fixture to yield; its jobs are killed when the test ends."""
    child = machine.attach()
    yield child
    kill_jobs(lambda line: command(child, line))
    child.sendcontrol("]")
    child.expect(pexpect.EOF)
    child.close()


def strip_colors(text: str) -> str:
    """Drop SGR colour sequences (eval colours values on a terminal, like Node's REPL)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
