"""The fleet's machines: N `jsksh boot` processes, each reachable on a port of 127.0.0.1.

Machine I (m1, m2, ...) is

    jsksh boot --console DIR/mI/console.sock --control DIR/mI/control.sock \\
        --net user --hostfwd tcp:127.0.0.1:PORT_I-:80 --service SERVICE [machine options]

so the host's 127.0.0.1:PORT_I is the guest's port 80 (through the user
backend's NAT, jsksh/machine/netdev/user/hostfwd.py), where the service
(the invoker, or httpd) listens.  The console and control sockets are there
to attach to one machine: `jsksh attach DIR/m1/control.sock`.

CPUs: a machine pins its threads to the first `--cpus` CPUs it may use
(jsksh/machine/machine.py, _pin_to_cpus), so N machines started alike would
all share CPU 0.  Each is started with its own affinity instead: machine I
on CPUs I*k .. I*k+k-1 (modulo the host's), k its --cpus, so the machines
spread over the host as QEMU guests pinned by hand would.
"""

from __future__ import annotations

import http.client
import os
import sys
import time

from jsksh.fleet import processes
from jsksh.fleet.state import MachineRecord

GUEST_PORT = 80
JSKSH = [sys.executable, "-m", "jsksh"]
# The longest path a Unix socket may have (sun_path, less its NUL).
SOCKET_PATH_MAX = 107


def cpus_for(index: int, cpus_each: int) -> list[int]:
    """The host CPUs machine `index` (0-based) is pinned to: the next
    `cpus_each` of those this process may use, round the host.  [] (any) for
    --cpus 0, which asks for all."""
    allowed = sorted(os.sched_getaffinity(0))
    if cpus_each <= 0 or cpus_each >= len(allowed):
        return [] if cpus_each <= 0 else allowed
    return sorted({allowed[(index * cpus_each + j) % len(allowed)] for j in range(cpus_each)})


def boot_argv(console: str, control: str, port: int, services: list[str], options: list[str]) -> list[str]:
    argv = [*JSKSH, "boot", "--console", console, "--control", control]
    argv += ["--net", "user", "--hostfwd", f"tcp:127.0.0.1:{port}-:{GUEST_PORT}"]
    for name in services:
        argv += ["--service", name]
    return argv + options


def start(
    directory: str, count: int, services: list[str], options: list[str], cpus_each: int
) -> list[MachineRecord]:
    """Start `count` machines (they boot in parallel); their records, in order."""
    started: list[MachineRecord] = []
    try:
        for i, port in enumerate(processes.free_ports(count)):
            started.append(_start_one(directory, i, port, services, options, cpus_each))
    except BaseException:  # none is left running that the caller does not know of
        processes.stop_all([(m.pid, m.console) for m in started])
        raise
    return started


def _start_one(
    directory: str, index: int, port: int, services: list[str], options: list[str], cpus_each: int
) -> MachineRecord:
    """Machine number index+1: its directory DIR/mI, its process (not waited for)."""
    name = f"m{index + 1}"
    home = os.path.join(directory, name)
    os.makedirs(home, exist_ok=True)
    console, control = os.path.join(home, "console.sock"), os.path.join(home, "control.sock")
    if len(control) > SOCKET_PATH_MAX:
        raise ValueError(f"{control}: too long for a Unix socket's path; choose a shorter --dir")
    log = os.path.join(home, "machine.log")
    cpus = cpus_for(index, cpus_each)
    proc = processes.start_detached(boot_argv(console, control, port, services, options), log, cpus)
    return MachineRecord(name, proc.pid, port, console, control, log, cpus)


def is_running(machine: MachineRecord) -> bool:
    return processes.is_running(machine.pid, machine.console)


def answers(port: int, timeout: float = 1.0) -> int | None:
    """The status of GET / on 127.0.0.1:port, or None if nothing answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_until_answering(machines: list[MachineRecord], timeout: float) -> None:
    """Until every machine's service answers HTTP (any status below 500:
    the invoker may well say 404 to /); RuntimeError naming the first that
    exited or never answered, with its log's last lines."""
    deadline = time.monotonic() + timeout
    waiting = list(machines)
    while waiting:
        for m in list(waiting):
            status = answers(m.port, timeout=0.5)
            if status is not None and status < 500:
                waiting.remove(m)
            elif not is_running(m):
                raise RuntimeError(f"machine {m.name} exited while booting:\n{processes.log_tail(m.log)}")
        if waiting and time.monotonic() > deadline:
            m = waiting[0]
            raise RuntimeError(
                f"machine {m.name} did not answer HTTP on 127.0.0.1:{m.port} within {timeout:.0f} s "
                f"(is a service listening on the guest's port {GUEST_PORT}?):\n{processes.log_tail(m.log)}"
            )
        if waiting:
            time.sleep(0.1)


def kill(machine: MachineRecord) -> bool:
    """kill -9: the machine vanishes mid-request, as a crashed host would."""
    if not is_running(machine):
        return False
    processes.signal_process(machine.pid, 9)
    return True
