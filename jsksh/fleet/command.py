"""`jsksh fleet`: the subcommands, their arguments and what they print.

    jsksh fleet up -n N [--port 8080] [--balancer haproxy|nginx] [--dir DIR] [--service NAME]... [machine options]
    jsksh fleet status [--dir DIR]
    jsksh fleet deploy NAME FILE [--dir DIR]
    jsksh fleet kill I [--dir DIR]
    jsksh fleet down [--dir DIR]

Exit status: 0 done; 1 it failed (a machine that did not boot, a deploy
that some machine refused, a fleet that is not all up); 2 bad input (n out
of range, the port in use, no balancer installed), in which case nothing
was started.  The work is in the modules beside this one (jsksh/fleet/__init__.py).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input: said on stderr, exit status 2, nothing left running."""


def add_arguments(parser: argparse.ArgumentParser, machine_options) -> None:
    """The fleet's subcommands under `parser` (jsksh/cli.py's `fleet`);
    machine_options(p) adds the options `jsksh boot` takes."""
    sub = parser.add_subparsers(dest="fleet_command", metavar="{up,status,deploy,kill,down}")
    sub.required = True

    def with_dir(p):
        p.add_argument(
            "--dir",
            default=None,
            metavar="DIR",
            help="the fleet's state, configuration and logs "
            "($XDG_RUNTIME_DIR/jsksh-fleet, else /tmp/jsksh-fleet-UID); down removes it",
        )
        return p

    p = with_dir(sub.add_parser("up", help="start N machines and the balancer in front of them"))
    p.add_argument("-n", type=int, default=2, metavar="N", help="how many machines (1 to 16; 2)")
    p.add_argument("--port", type=int, default=8080, help="the balancer's port on 127.0.0.1 (8080)")
    p.add_argument(
        "--balancer", choices=("haproxy", "nginx"), default="haproxy", help="haproxy (default) or nginx"
    )
    p.add_argument(
        "--boot-timeout",
        type=float,
        default=60,
        metavar="SECONDS",
        help="how long a machine may take to answer",
    )
    machine_options(p)  # --service, --cpus, --limit, ...: passed to every machine's `jsksh boot`
    with_dir(
        sub.add_parser(
            "status", help="the machines and the balancer: running, and how the balancer sees them"
        )
    )
    p = with_dir(sub.add_parser("deploy", help="PUT FILE to /workers/NAME on every machine at once"))
    p.add_argument("name", metavar="NAME", help="the worker's name")
    p.add_argument("file", metavar="FILE", help="its code")
    p = with_dir(
        sub.add_parser(
            "kill", help="kill -9 machine I (1-based, or its name: m1), to see the fleet survive it"
        )
    )
    p.add_argument("which", metavar="I")
    with_dir(sub.add_parser("down", help="stop the balancer and the machines, remove DIR"))


def run(args) -> int:
    handler = {"up": up, "status": status, "deploy": deploy, "kill": kill, "down": down}[args.fleet_command]
    try:
        return handler(args)
    except UsageError as e:
        print(f"jsksh fleet: {e}", file=sys.stderr)
        return USAGE_ERROR


def _dir(args) -> str:
    from jsksh.fleet.state import default_dir

    return os.path.abspath(args.dir or default_dir())


def _load(args):
    """The fleet in --dir; UsageError if there is none."""
    from jsksh.fleet import state

    directory = _dir(args)
    try:
        found = state.load(directory)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if found is None:
        raise UsageError(f"no fleet in {directory} (jsksh fleet up starts one; --dir to look elsewhere)")
    return found


# ---- up ------------------------------------------------------------------------------


def machine_argv(args) -> list[str]:
    """The machine options given to `fleet up`, as every `jsksh boot` gets them.
    --net, --hostfwd and --pcap are the fleet's to choose (UsageError)."""
    if getattr(args, "net", "user") != "user":
        raise UsageError(
            f"--net {args.net}: fleet machines use the user backend, each with a hostfwd; "
            "for TAP on a bridge see docs/fleet.md"
        )
    if getattr(args, "hostfwd", None):
        raise UsageError("--hostfwd: the fleet forwards a port of its own to each machine's port 80")
    if getattr(args, "pcap", None):
        raise UsageError("--pcap: one file cannot take every machine's frames; attach to one machine instead")
    if getattr(args, "disk", None):
        raise UsageError("--disk: one image cannot be every machine's disk; boot a machine with it instead")
    argv: list[str] = []
    for option, value in (
        ("--cmdline", getattr(args, "cmdline", "")),
        ("--tmp-size", getattr(args, "tmp_size", None)),
        ("--cpu-limit", getattr(args, "cpu_limit", None)),
        ("--heap-limit", getattr(args, "heap_limit", None)),
        ("--net-faults", getattr(args, "net_faults", None)),
        ("--dns", getattr(args, "dns", None)),
    ):
        if value:
            argv += [option, str(value)]
    for assignment in getattr(args, "limit", None) or []:
        argv += ["--limit", assignment]
    if getattr(args, "net_offload", "all") != "all":
        argv += ["--net-offload", args.net_offload]
    if getattr(args, "mac", None):
        argv += ["--mac", args.mac]
    return argv + ["--cpus", str(getattr(args, "cpus", 1))]


def _check_up(args, directory: str) -> None:
    """Everything `up` can refuse before it starts anything."""
    from jsksh.fleet import MAX_MACHINES, balancer, processes, state

    if not 1 <= args.n <= MAX_MACHINES:
        raise UsageError(f"-n {args.n}: a fleet has 1 to {MAX_MACHINES} machines")
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: not a TCP port")
    if getattr(args, "cpus", 1) < 0:
        raise UsageError(f"--cpus {args.cpus}: not a number of CPUs")
    try:
        balancer.executable(args.balancer)
    except balancer.BalancerMissing as e:
        raise UsageError(str(e)) from None
    try:
        existing = state.load(directory)
    except ValueError as e:
        raise UsageError(f"{e}; remove it or choose another --dir") from None
    if existing is not None:
        if _any_running(existing):
            raise UsageError(
                f"a fleet is already up in {directory} (jsksh fleet down --dir {directory} first)"
            )
        shutil.rmtree(directory)  # a fleet whose processes are all gone (a reboot, kill -9): its leftovers
    elif os.path.isdir(directory) and os.listdir(directory):
        raise UsageError(f"{directory} is not empty and holds no fleet; choose another --dir")
    if not processes.port_is_free(args.port):
        raise UsageError(f"127.0.0.1:{args.port} is in use; choose another --port")
    longest = os.path.join(directory, f"m{args.n}", "control.sock")
    if len(longest) > 107:
        raise UsageError(f"{directory}: too long for the machines' Unix sockets; choose a shorter --dir")


def _any_running(fleet) -> bool:
    from jsksh.fleet import balancer, machines

    return any(machines.is_running(m) for m in fleet.machines) or (
        fleet.balancer is not None and balancer.is_running(fleet.balancer)
    )


def up(args) -> int:
    from jsksh.fleet import DEFAULT_SERVICE, balancer, machines, state

    directory = _dir(args)
    _check_up(args, directory)
    boot_options = machine_argv(args)
    services = list(getattr(args, "service", None) or [DEFAULT_SERVICE])
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fleet = state.FleetState(dir=directory)
    t0 = time.monotonic()
    try:
        fleet.machines = machines.start(directory, args.n, services, boot_options, getattr(args, "cpus", 1))
        state.save(fleet)  # from here `fleet down` in another shell can stop what is started
        machines.wait_until_answering(fleet.machines, args.boot_timeout)
        fleet.balancer = balancer.start(args.balancer, directory, args.port, fleet.machines)
        state.save(fleet)
        _wait_for_balancer(fleet.balancer.port, timeout=10)
    except (RuntimeError, OSError, ValueError, KeyboardInterrupt) as e:
        message = "interrupted" if isinstance(e, KeyboardInterrupt) else str(e)
        print(f"jsksh fleet: {message}", file=sys.stderr)
        print("jsksh fleet: stopping what was started", file=sys.stderr)
        _stop_all(fleet)
        shutil.rmtree(directory, ignore_errors=True)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    took = time.monotonic() - t0
    print(_machine_table(fleet, states=None))
    b = fleet.balancer
    print(
        f"\n{b.kind} (pid {b.pid}) balances {len(fleet.machines)} machines at {b.url}  (up in {took:.1f} s)"
    )
    print(f"state, configuration and logs: {directory}")
    return 0


def _wait_for_balancer(port: int, timeout: float) -> None:
    from jsksh.fleet.machines import answers

    deadline = time.monotonic() + timeout
    while (status := answers(port)) is None or status >= 500:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the balancer on 127.0.0.1:{port} does not reach the machines (last answer {status})"
            )
        time.sleep(0.1)


# ---- status, kill, deploy, down ----------------------------------------------------------


def _machine_table(fleet, states: dict | None) -> str:
    from jsksh.fleet import machines

    headers = ["machine", "pid", "hostfwd port", "cpus", "console socket"]
    if states is not None:
        headers[2:2] = ["process", "balancer"]
    rows = []
    for m in fleet.machines:
        row = [m.name, str(m.pid), f"127.0.0.1:{m.port}", ",".join(map(str, m.cpus)) or "any", m.console]
        if states is not None:
            row[2:2] = ["running" if machines.is_running(m) else "dead", states.get(m.name, "-")]
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [headers, *rows]
    )


def status(args) -> int:
    from jsksh.fleet import balancer, machines

    fleet = _load(args)
    b = fleet.balancer
    running = b is not None and balancer.is_running(b)
    print(_machine_table(fleet, balancer.machine_states(b) if running else {}))
    if b is None:
        print("\nno balancer (fleet up did not get that far)")
    else:
        print(f"\n{b.kind} (pid {b.pid}) at {b.url}: {'running' if running else 'not running'}")
    all_up = running and all(machines.is_running(m) for m in fleet.machines)
    return 0 if all_up else 1


def kill(args) -> int:
    from jsksh.fleet import machines

    fleet = _load(args)
    try:
        m = fleet.machine(args.which)
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    if not machines.kill(m):
        print(f"jsksh fleet: {m.name} (pid {m.pid}) is not running", file=sys.stderr)
        return 1
    print(
        f"{m.name} (pid {m.pid}) killed with SIGKILL; the balancer takes it out of rotation within a second"
    )
    return 0


def deploy(args) -> int:
    from jsksh.fleet import deploy as deploying
    from jsksh.fleet import machines

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", args.name):
        raise UsageError(f"{args.name!r}: a worker's name is letters, digits, '.', '_' and '-' (64 at most)")
    try:
        with open(args.file, "rb") as f:
            body = f.read()
    except OSError as e:
        raise UsageError(f"{args.file}: {e.strerror or e}") from None
    fleet = _load(args)
    outcomes = deploying.deploy([m for m in fleet.machines if machines.is_running(m)], args.name, body)
    by_name = {o.machine.name: o for o in outcomes}
    failed = 0
    for m in fleet.machines:
        o = by_name.get(m.name)
        if o is None:
            failed += 1
            print(f"{m.name}  127.0.0.1:{m.port}  FAILED  the machine is not running (pid {m.pid})")
        elif o.ok:
            print(f"{m.name}  127.0.0.1:{m.port}  {o.status}  {o.detail}")
        else:
            failed += 1
            answer = f"HTTP {o.status}" if o.status is not None else "no answer"
            print(f"{m.name}  127.0.0.1:{m.port}  FAILED  {answer}: {o.detail}")
    total = len(fleet.machines)
    print(
        f"{args.name}: deployed to {total - failed} of {total} machines ({len(body)} bytes from {args.file})"
    )
    if failed:
        print(f"jsksh fleet: deploy failed on {failed} of {total} machines", file=sys.stderr)
    return 1 if failed else 0


def _stop_all(fleet) -> None:
    """The balancer first (no new requests go out), then every machine: all
    are sent SIGTERM at once and waited for together."""
    from jsksh.fleet import balancer, processes

    if fleet.balancer is not None:
        balancer.stop(fleet.balancer)
    processes.stop_all([(m.pid, m.console) for m in fleet.machines])


def down(args) -> int:
    from jsksh.fleet import state

    directory = _dir(args)
    try:
        fleet = state.load(directory)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if fleet is None:
        print(f"jsksh fleet: no fleet in {directory}", file=sys.stderr)
        return 0
    _stop_all(fleet)
    shutil.rmtree(directory, ignore_errors=True)
    print(f"the balancer and {len(fleet.machines)} machines are stopped; {directory} is removed")
    return 0
