"""The fleet's state file: DIR/fleet.json, what `fleet up` started and where.

`fleet status`, `deploy`, `kill` and `down` run in other shells, later, so
everything they need is written here when `up` has started it: each
machine's pid, hostfwd port and sockets, the balancer's pid, port and
configuration.  A pid alone is not enough to find a process again (pids are
reused): each record also keeps a word that must be on the process's command
line (processes.py, `is_running`).  Written whole to a temporary file and
renamed, so a reader never sees half of it.

Layout (version 1):

    {"version": 1, "dir": "/run/user/1000/jsksh-fleet",
     "balancer": {"kind": "haproxy", "pid": 1234, "port": 8080,
                  "config": ".../haproxy.cfg", "stats_socket": ".../haproxy.sock", "log": "..."},
     "machines": [{"name": "m1", "pid": 1200, "port": 40123, "cpus": [0],
                   "console": ".../m1/console.sock", "control": ".../m1/control.sock",
                   "log": ".../m1/machine.log"}, ...]}
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field

STATE_FILE = "fleet.json"
VERSION = 1


@dataclass
class MachineRecord:
    name: str  # m1, m2, ...: the balancer's server name too (X-Served-By)
    pid: int
    port: int  # the host's end of the hostfwd to the guest's port 80, on 127.0.0.1
    console: str
    control: str
    log: str
    cpus: list[int] = field(default_factory=list)  # the host CPUs it is pinned to ([]: any)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class BalancerRecord:
    kind: str  # "haproxy" or "nginx"
    pid: int
    port: int
    config: str
    log: str
    stats_socket: str | None = None  # HAProxy's admin socket (show stat); nginx has none

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@dataclass
class FleetState:
    dir: str
    machines: list[MachineRecord] = field(default_factory=list)
    balancer: BalancerRecord | None = None

    def machine(self, which: str) -> MachineRecord:
        """A machine by its number (1-based, as in the table) or its name (m1)."""
        for i, m in enumerate(self.machines, 1):
            if which in (str(i), m.name):
                return m
        raise KeyError(f"no machine {which!r} (the fleet has {', '.join(m.name for m in self.machines)})")


def default_dir() -> str:
    """$XDG_RUNTIME_DIR/jsksh-fleet where there is one (a tmpfs of this user's,
    gone at logout), else /tmp/jsksh-fleet-UID."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "jsksh-fleet")
    return os.path.join(tempfile.gettempdir(), f"jsksh-fleet-{os.getuid()}")


def path_in(directory: str) -> str:
    return os.path.join(directory, STATE_FILE)


def save(state: FleetState) -> None:
    data = {
        "version": VERSION,
        "dir": state.dir,
        "balancer": asdict(state.balancer) if state.balancer else None,
        "machines": [asdict(m) for m in state.machines],
    }
    target = path_in(state.dir)
    fd, temporary = tempfile.mkstemp(prefix=".fleet-", suffix=".json", dir=state.dir)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(temporary, target)


def load(directory: str) -> FleetState | None:
    """The fleet whose state is in `directory`, or None if there is none.
    ValueError if the file is there but is not a fleet's state."""
    try:
        with open(path_in(directory)) as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path_in(directory)}: not a fleet's state ({e})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError(f"{path_in(directory)}: not a fleet's state of version {VERSION}")
    balancer = data.get("balancer")
    return FleetState(
        dir=data["dir"],
        machines=[MachineRecord(**m) for m in data.get("machines", [])],
        balancer=BalancerRecord(**balancer) if balancer else None,
    )
