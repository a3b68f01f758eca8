"""The fleet's processes: start one detached, find it again, stop it.

A fleet outlives the `jsksh fleet up` that started it, so its machines and
its balancer run in sessions of their own (no terminal's Ctrl-C or hang-up
reaches them), their output in log files.  Another shell finds them by pid;
since pids are reused, a pid counts as the fleet's only while a word of the
fleet's (a socket's or a configuration file's path) is on its command line.
A process that has exited but that nobody has reaped yet (a zombie: its
parent, `fleet up`, is long gone) counts as stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time


def start_detached(argv: list[str], log_path: str, cpus: list[int] | None = None) -> subprocess.Popen:
    """Start argv in a session of its own, stdout and stderr to log_path,
    pinned to `cpus` if given (the affinity its threads inherit)."""

    def pin():  # in the child, before exec: nothing but the system call
        if cpus:
            os.sched_setaffinity(0, cpus)

    with open(log_path, "ab") as log:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=pin if cpus else None,
        )


def is_running(pid: int, marker: str) -> bool:
    """Whether pid is alive (not a zombie) and `marker` is on its command line."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            # pid (comm) STATE ...: comm may hold spaces and parentheses, so split after the last ')'
            run_state = f.read().rsplit(b")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command_line = f.read().replace(b"\0", b" ")
    except (OSError, IndexError):
        return False
    return run_state not in (b"Z", b"X") and marker.encode() in command_line


def stop(pid: int, marker: str, timeout: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout`; True if it was running."""
    return bool(stop_all([(pid, marker)], timeout))


def stop_all(targets: list[tuple[int, str]], timeout: float = 10.0) -> list[int]:
    """SIGTERM to every (pid, marker) still running at once, then wait for all
    of them; SIGKILL to those left after `timeout`.  The pids that were running."""
    running = [(pid, marker) for pid, marker in targets if is_running(pid, marker)]
    for pid, _ in running:
        signal_process(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    left = running
    while left := [(pid, marker) for pid, marker in left if is_running(pid, marker)]:
        if time.monotonic() > deadline:
            for pid, _ in left:
                signal_process(pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.05)
    return [pid for pid, _ in running]


def signal_process(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports nobody listens on now (the kernel's choice:
    all are bound at once, so none repeats, then let go for the machines)."""
    held = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((host, 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def log_tail(path: str, lines: int = 15) -> str:
    try:
        with open(path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
    except OSError:
        return ""
