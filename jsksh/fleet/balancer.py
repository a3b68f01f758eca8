"""The fleet's load balancer: HAProxy or nginx, as Debian ships them.

Its configuration is a template beside this file (haproxy.cfg.template,
nginx.conf.template: read them for what each line does and why); here the
{{port}}, {{servers}} and other fields are filled in, the result written to
DIR, checked by the balancer itself (haproxy -c, nginx -t), and the balancer
started in the foreground of a session of its own, so that its pid is the
one to stop.  HAProxy's admin socket also tells `fleet status` how it sees
each machine (`show stat`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from jsksh.fleet import processes
from jsksh.fleet.state import BalancerRecord, MachineRecord

KINDS = ("haproxy", "nginx")
TEMPLATES = Path(__file__).resolve().parent
# The Debian package each comes in, for the message when it is missing.
PACKAGES = {"haproxy": "haproxy", "nginx": "nginx-light"}


class BalancerMissing(RuntimeError):
    pass


def executable(kind: str) -> str:
    """The balancer's program; BalancerMissing saying how to install it."""
    found = shutil.which(kind) or shutil.which(kind, path="/usr/sbin:/sbin:/usr/local/sbin")
    if not found:
        raise BalancerMissing(
            f"{kind} is not installed (jsksh runs Debian's own balancer): apt-get install {PACKAGES[kind]}"
        )
    return found


def config_path(kind: str, directory: str) -> str:
    return os.path.join(directory, "haproxy.cfg" if kind == "haproxy" else "nginx.conf")


def render(kind: str, directory: str, port: int, machines: list[MachineRecord]) -> str:
    """The balancer's configuration: its template with the fields filled in."""
    if kind == "haproxy":
        servers = "\n".join(f"    server {m.name} 127.0.0.1:{m.port}" for m in machines)
    else:
        servers = "\n".join(
            f"        server 127.0.0.1:{m.port} max_fails=1 fail_timeout=1s;  # {m.name}" for m in machines
        )
    fields = {
        "port": str(port),
        "servers": servers,
        "dir": directory,
        "stats_socket": stats_socket_path(directory),
        "user_directive": "user root;" if os.geteuid() == 0 else "",
    }
    text = (TEMPLATES / f"{os.path.basename(config_path(kind, directory))}.template").read_text()
    for name, value in fields.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def stats_socket_path(directory: str) -> str:
    return os.path.join(directory, "haproxy.sock")


def command(kind: str, program: str, config: str, directory: str, check_only: bool = False) -> list[str]:
    if kind == "haproxy":
        return [program, "-c" if check_only else "-db", "-f", config]
    argv = [program, "-p", directory + "/", "-e", os.path.join(directory, "nginx-error.log"), "-c", config]
    return argv + (["-t", "-q"] if check_only else [])


def start(
    kind: str, directory: str, port: int, machines: list[MachineRecord], timeout: float = 10.0
) -> BalancerRecord:
    """Write the configuration, check it, start the balancer and wait until it
    accepts connections on 127.0.0.1:port.  RuntimeError (with the
    balancer's own words) if the configuration is refused or it exits."""
    program = executable(kind)
    config = config_path(kind, directory)
    Path(config).write_text(render(kind, directory, port, machines))
    check = subprocess.run(
        command(kind, program, config, directory, check_only=True), capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"{kind} refused {config}:\n{(check.stdout + check.stderr).strip()}")
    log = os.path.join(directory, f"{kind}.log")
    proc = processes.start_detached(command(kind, program, config, directory), log)
    record = BalancerRecord(
        kind, proc.pid, port, config, log, stats_socket_path(directory) if kind == "haproxy" else None
    )
    deadline = time.monotonic() + timeout
    while not _accepts(port):
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited ({proc.returncode}):\n{processes.log_tail(log)}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{kind} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")
        time.sleep(0.05)
    return record


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def is_running(record: BalancerRecord) -> bool:
    return processes.is_running(record.pid, record.config)


def stop(record: BalancerRecord) -> bool:
    return processes.stop(record.pid, record.config)


def machine_states(record: BalancerRecord) -> dict[str, str]:
    """How HAProxy sees each machine: {"m1": "UP", "m2": "DOWN", ...}, from
    `show stat` on its admin socket ({} for nginx, or if it does not answer)."""
    if not record.stats_socket:
        return {}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(record.stats_socket)
            s.sendall(b"show stat\n")
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
    except OSError:
        return {}
    lines = reply.decode(errors="replace").splitlines()
    if not lines or not lines[0].startswith("# "):
        return {}
    columns = lines[0][2:].split(",")
    states = {}
    for line in lines[1:]:
        row = dict(zip(columns, line.split(","), strict=False))
        if row.get("pxname") == "machines" and row.get("svname") not in ("BACKEND", "FRONTEND", None):
            states[row["svname"]] = row.get("status", "?")
    return states
