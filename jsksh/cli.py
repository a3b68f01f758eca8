"""The `jsksh` command: boot a machine, attach to one, or run one command line.

jsksh                                    boot a machine and open the REPL on it
jsksh --raw                              boot a machine and attach to its raw console
jsksh boot --console PATH --control PATH run a machine whose ports are Unix sockets
jsksh attach PATH                        the REPL on a running machine's control socket
jsksh attach --raw PATH                  attach to a running machine's console
jsksh run [--attach PATH] 'LINE'         run LINE (on a new machine, or a running one)
jsksh demo [LESSON]                      play a lesson
jsksh fleet up|status|deploy|kill|down   N machines behind HAProxy or nginx (docs/fleet.md)
jsksh disk create FILE SIZE              a raw disk image for --disk, with a file system (docs/disk.md)
jsksh disk ls|cat|get|put|mkdir|rm|fsck  an image's files from the host, without booting

The REPL is jsksh/client/repl.py (docs/client.md); with stdin not a terminal
the same commands read command lines from it instead (client/batch.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from jsksh import __version__

MAX_TRACE_EVENTS = 1 << 22  # the host's ring: a trace of a whole run, bounded (jsksh/native/tracer.py)


def _machine(args, **kw):
    from jsksh.native import v8

    v8.preload()  # V8 loads while the machine's modules import
    from jsksh.machine.machine import Machine
    from jsksh.native.limits import parse_assignments

    try:
        limits = parse_assignments(getattr(args, "limit", None) or [])
    except ValueError as e:
        print(f"jsksh: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    if getattr(args, "cpu_limit", None):
        limits["cpu"] = args.cpu_limit
    if getattr(args, "heap_limit", None):
        limits["heap"] = args.heap_limit << 20
    net_faults = None
    if getattr(args, "net_faults", None):
        from jsksh.machine.netdev.faults import parse_spec, seeded

        try:
            net_faults = seeded(parse_spec(args.net_faults))
        except ValueError as e:
            print(f"jsksh: {e}", file=sys.stderr)
            raise SystemExit(2) from None
        # The seed, drawn here if the spec had none: with it the run's decisions replay.
        print(f"jsksh: net faults {net_faults} (--net-faults {net_faults} replays them)", file=sys.stderr)
    user_options = {"hostfwd": tuple(args.hostfwd or ())}
    if args.dns:
        user_options["dns"] = args.dns
    try:
        return Machine(
            cmdline=" ".join(
                x
                for x in (
                    getattr(args, "cmdline", "") or "",
                    f"tmpfs.size={args.tmp_size}" if getattr(args, "tmp_size", None) else "",
                    f"svc={','.join(args.service)}" if getattr(args, "service", None) else "",
                )
                if x
            ),
            limits=limits or None,
            cpus=args.cpus,
            net=args.net,
            mac=args.mac,
            pcap=args.pcap,
            net_faults=net_faults,
            net_offload=getattr(args, "net_offload", "all"),
            user_options=user_options if args.net == "user" else None,
            disk=getattr(args, "disk", None),
            disk_size=getattr(args, "disk_size", None),
            disk_errors=getattr(args, "disk_errors", None),
            disk_completion=getattr(args, "disk_completion", "in-order"),
            **kw,
        )
    except (ValueError, OSError, RuntimeError) as e:
        print(f"jsksh: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def report_panic(machine, shown_on_stdout: bool = False) -> None:
    """A kernel panic's message and stack on our stderr: under `jsksh run` and
    `jsksh boot` nobody may be watching the console that showed them.  Where
    the REPL or the raw console already put them on the terminal that stderr
    is (`shown_on_stdout`), once is enough."""
    if machine.panic is None or (shown_on_stdout and _stderr_is_stdout()):
        return
    message, *frames = machine.panic.split("\n")
    lines = [f"jsksh: kernel panic: {message}", *frames]
    # The guest wrote this text: keep its control characters off our terminal.
    print("\n".join(_printable(line) for line in lines), file=sys.stderr, flush=True)


def _printable(line: str) -> str:
    return "".join(c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode() for c in line)


def _stderr_is_stdout() -> bool:
    try:
        return os.path.samestat(os.fstat(1), os.fstat(2))
    except OSError:
        return False


def _in_background(machine) -> threading.Thread:
    t = threading.Thread(target=machine.run, name="jsksh-machine", daemon=True)
    t.start()
    return t


def cmd_console(args) -> int:
    """Boot an embedded machine and open the REPL (or, with --raw, its console) on it."""
    if args.raw:
        return raw_console(args)
    machine = _machine(args)
    sock = machine.control.connect_local()
    thread = _in_background(machine)

    def power_off(status: int) -> None:
        # Before the client hangs up, so the port never reports a vanished client.
        # The power button, not the cord: the kernel unmounts its disks first.
        if not machine.powered.is_set():
            machine.shutdown(status)
        thread.join(10)

    if not sys.stdin.isatty():
        _batch(sock, finish=lambda result: power_off(result.status))
        report_panic(machine)
        return machine.status

    def finish(outcome) -> None:
        if outcome.how == "closed" and machine.powered.wait(2):
            power_off(machine.status)  # it powered itself off (poweroff, a panic): its status stands
            return
        if outcome.how in ("refused", "closed"):
            print(f"jsksh: {outcome.message}", file=sys.stderr)
        power_off({"detached": 0, "refused": 1, "closed": 1}.get(outcome.how, outcome.status))

    from prompt_toolkit.output import create_output

    from jsksh.client.machine_output import OutputCapture

    simple = _simple(args)  # (asked before fd 1 becomes the capture's pipe)
    with OutputCapture() as capture:  # the machine shares our terminal: keep its bytes off the prompt
        output = create_output(stdout=capture.terminal)
        _repl(sock, args, simple, finish=finish, machine_output=capture, output=output)
    # The REPL showed a kernel panic's log lines; a machine check reached only the console.
    from jsksh.machine.machine import MACHINE_CHECK

    report_panic(machine, shown_on_stdout=not (machine.panic or "").startswith(MACHINE_CHECK))
    return machine.status


def raw_console(args) -> int:
    """Today's console: this terminal on the machine's hvc0, byte for byte."""
    from jsksh.client.raw import attach

    machine = _machine(args)
    sock = machine.console.connect_local()
    thread = _in_background(machine)
    how = attach(sock, on_resize=machine.resize_console)  # the window's size reaches hvc0
    if how == "detached":
        machine.shutdown(0)
    thread.join(10)
    report_panic(machine, shown_on_stdout=True)
    return machine.status


def _simple(args) -> bool:
    """The simple prompt: asked for, or a terminal that cannot take the full one."""
    from jsksh.client.repl import simple_prompt_wanted

    return simple_prompt_wanted(args.simple_prompt) or not sys.stdout.isatty()


def _repl(sock, args, simple: bool, finish=None, **kw):
    import asyncio

    from jsksh.client.repl import start, vi_wanted

    try:
        return asyncio.run(start(sock, simple=simple, vi=vi_wanted(args.vi), finish=finish, **kw))
    except KeyboardInterrupt:  # Ctrl-C before the prompt was up (a machine slow to answer)
        from jsksh.client.repl import Outcome

        return Outcome("detached", 130, "interrupted")


def _batch(sock, finish=None):
    import asyncio

    from jsksh.client.batch import run_batch

    return asyncio.run(run_batch(sock, terminal=False, finish=finish))


def cmd_boot(args) -> int:
    machine = _machine(args, console_path=args.console, control_path=args.control, trace=bool(args.trace))
    print(f"jsksh: machine running; console {args.console}, control {args.control}", file=sys.stderr)
    # SIGTERM presses the power button (the kernel unmounts its disks, then
    # powers off), from a thread of its own: a handler must not wait.
    signal.signal(
        signal.SIGTERM,
        lambda *_: threading.Thread(
            target=machine.shutdown, args=(143,), name="jsksh-shutdown", daemon=True
        ).start(),
    )
    try:
        status = machine.run()
    except KeyboardInterrupt:
        machine.power_off(130)
        status = 130
    if args.trace:
        _write_trace(machine, args.trace)
    if status == 130:
        return status
    report_panic(machine)
    return status


def _write_trace(machine, path: str) -> None:
    from jsksh import trace_file

    try:
        trace_file.write(machine, path)
    except OSError as e:
        print(f"jsksh: --trace {path}: {e.strerror or e}", file=sys.stderr)
        return
    snapshot = machine.tracer
    lost = f", {snapshot.dropped} dropped (the ring was full)" if snapshot.dropped else ""
    print(f"jsksh: trace of {len(snapshot.events)} crossings in {path}{lost}", file=sys.stderr)


def _connect(path: str):
    """A socket connected to a running machine's port, or None (the reason printed)."""
    from jsksh.client.runner import connect_unix

    try:
        return connect_unix(path)
    except OSError as e:
        print(f"jsksh: cannot attach to {path}: {e.strerror or e}", file=sys.stderr)
        return None


def cmd_attach(args) -> int:
    from jsksh.client.raw import PortBusy, attach

    sock = _connect(args.path)
    if sock is None:
        return 1
    if not args.raw:
        return attach_repl(sock, args)
    try:
        how = attach(sock)
    except PortBusy as e:
        print(f"jsksh: cannot attach to {args.path}: {e}", file=sys.stderr)
        return 1
    if how == "detached":
        print("\r\njsksh: detached; the machine keeps running", file=sys.stderr)
    else:
        print("\r\njsksh: the machine closed the console", file=sys.stderr)
    return 0


def attach_repl(sock, args) -> int:
    """The REPL (or batch mode) on a running machine's control socket; it keeps running after."""
    if not sys.stdin.isatty():
        result = _batch(sock)
        if result.closed is not None and result.status == 125:  # gone in the middle of a line
            print(f"jsksh: {result.closed}", file=sys.stderr)
            return 1
        return result.status
    outcome = _repl(sock, args, _simple(args))
    if outcome.how in ("exit", "detached"):
        print("jsksh: detached; the machine keeps running", file=sys.stderr)
        return 0
    if outcome.how == "ended":
        print("jsksh: the session ended; the machine keeps running", file=sys.stderr)
        return outcome.status
    print(f"jsksh: {outcome.message}", file=sys.stderr)
    return 1


def cmd_run(args) -> int:
    from jsksh.client.runner import run_line

    if args.attach:
        sock = _connect(args.attach)
        if sock is None:
            return 1
        with sock:
            return run_line(sock, args.line)
    machine = _machine(args)
    sock = machine.control.connect_local()
    thread = _in_background(machine)

    def ended() -> int | None:
        # The machine closed the channel: did it power off (`poweroff` in the
        # line, a panic)?  Then its status is the run's.
        return machine.status if machine.powered.wait(2.0) and not machine.reset_requested else None

    trace = getattr(args, "trace", None)
    starting = (lambda: machine.tracer.start("host", MAX_TRACE_EVENTS)) if trace else None
    try:
        status = run_line(sock, args.line, ended=ended, starting=starting)
    finally:
        if trace:
            _write_trace(machine, trace)  # the line's crossings, not the shutdown's
        if machine.panic is None:  # a panic powered it off already, with its own status
            machine.shutdown(0)  # in order: what the line wrote on a disk is kept
        thread.join(10)
    if machine.panic is not None:
        report_panic(machine)
        return machine.status
    return status


def cmd_demo(args) -> int:
    from jsksh.client import demo

    return demo.main(args)


def _starts_a_machine(argv: list[str]) -> bool:
    """Whether this command line boots a machine: all but `attach`, `run
    --attach`, `fleet` (its machines are processes of their own) and a help
    or version.  Asked before the arguments are parsed,
    so that V8 loads while they are (a wrong guess costs a thread's CPU)."""
    return not any(
        word in ("attach", "--attach", "fleet", "disk", "-h", "--help", "--version", "--list")
        for word in argv
    )


def _load_extension_modules() -> None:
    """Load the C extension modules a machine needs before V8's library.

    Loading a shared library takes the dynamic loader's lock, and
    libmini_racer (50 MB) holds it for about 15 ms while it is relocated: an
    extension module imported meanwhile (zlib, which argparse's help
    formatter pulls in through shutil) waits for all of it, and the imports
    are the boot's critical path.  Loaded first, they take 2-3 ms."""
    import array  # noqa: F401
    import ctypes  # noqa: F401
    import heapq  # noqa: F401
    import json  # noqa: F401
    import math  # noqa: F401
    import queue  # noqa: F401
    import select  # noqa: F401
    import shutil  # noqa: F401
    import socket  # noqa: F401
    import struct  # noqa: F401
    import typing  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    if _starts_a_machine(sys.argv[1:] if argv is None else argv):
        _load_extension_modules()
        from jsksh.native import v8

        v8.preload()  # libmini_racer maps and V8 initialises while argparse and the machine's modules load
    parser = argparse.ArgumentParser(
        prog="jsksh", description="A JavaScript kernel you can boot, attach to and take apart."
    )
    parser.add_argument("--version", action="version", version=f"jsksh {__version__}")
    sub = parser.add_subparsers(dest="command")

    # The same options work before or after the subcommand; only the top
    # level has defaults, so a subcommand never overwrites what came before it.
    def defaults_at(top):
        return lambda value: value if top else argparse.SUPPRESS

    def machine_options(p, top=False):
        d = defaults_at(top)
        p.add_argument("--cmdline", default=d(""), help="kernel command line")
        p.add_argument(
            "--tmp-size",
            default=d(None),
            metavar="SIZE",
            help="bytes /tmp may hold (64M by default; 512k, 16M, 1G); past it writes fail with ENOSPC",
        )
        p.add_argument(
            "--cpu-limit", type=float, default=d(None), metavar="SECONDS", help="CPU time limit per app"
        )
        p.add_argument("--heap-limit", type=int, default=d(None), metavar="MIB", help="heap limit per app")
        p.add_argument(
            "--limit",
            action="append",
            default=d(None),
            metavar="NAME=VALUE",
            help="a limit: per app cpu=SECONDS heap=SIZE external=SIZE queue=MESSAGES; "
            "per machine isolates=N memory=SIZE (sizes like 64M); repeatable",
        )
        p.add_argument(
            "--cpus", type=int, default=d(1), metavar="N", help="host CPUs the machine runs on (0: all)"
        )
        p.add_argument(
            "--net",
            default=d("user"),
            metavar="SPEC",
            help="user, tap:IFNAME, stream:unix:PATH[,server], none",
        )
        p.add_argument("--mac", default=d("52:54:00:12:34:56"), help="the NIC's MAC address")
        p.add_argument(
            "--pcap", default=d(None), metavar="FILE", help="record every frame the NIC sees (pcap)"
        )
        p.add_argument(
            "--net-faults",
            default=d(None),
            metavar="SPEC",
            help="inject faults into the NIC's frames, seeded: "
            "drop=0.05,corrupt=1%%,duplicate=0.01,reorder=0.02,delay=5ms±2ms,seed=42,dir=both|rx|tx",
        )
        p.add_argument(
            "--net-offload",
            default=d("all"),
            choices=("all", "csum", "none"),
            help="what the NIC offers to finish for the guest: checksums and TCP segmentation "
            "(all), checksums only (csum), nothing (none); to measure what each buys",
        )
        p.add_argument(
            "--hostfwd",
            action="append",
            default=d(None),
            metavar="tcp|udp::HOSTPORT-:GUESTPORT",
            help="forward a host port into the guest, as QEMU's hostfwd (user backend; repeatable)",
        )
        p.add_argument(
            "--service",
            action="append",
            default=d(None),
            metavar="NAME",
            help="start service NAME once the network is up, as `svc start NAME` would "
            "(invoker, httpd, kv; repeatable)",
        )
        p.add_argument(
            "--dns", default=d(None), metavar="ADDR[:PORT]", help="upstream DNS for the user backend"
        )
        p.add_argument(
            "--disk",
            default=d(None),
            metavar="FILE",
            help="a raw disk image, attached as virtio-blk (/dev/vda in the guest; docs/disk.md);"
            " locked while the machine runs: a second machine or a writing `jsksh disk` tool is refused",
        )
        p.add_argument(
            "--disk-size",
            default=d(None),
            metavar="SIZE",
            help="make the --disk image this size (64M, 1G) if it does not exist",
        )
        p.add_argument(
            "--disk-errors",
            default=d(None),
            metavar="SPEC",
            help="answer chosen disk requests with an I/O error: sectors=A-B,every=N,ops=in,out,flush",
        )
        p.add_argument(
            "--disk-completion",
            default=d("in-order"),
            choices=("in-order", "reversed"),
            help="complete each batch of disk requests in order, or last first (to test drivers)",
        )

    def repl_options(p, top=False):
        d = defaults_at(top)
        p.add_argument(
            "--raw",
            action="store_true",
            default=d(False),
            help="raw serial console, like picocom (Ctrl-] detaches)",
        )
        p.add_argument(
            "--simple-prompt",
            action="store_true",
            default=d(False),
            help="a plain prompt for scripts and dumb terminals (no toolbar, no redraws)",
        )
        p.add_argument(
            "--vi", action="store_true", default=d(False), help="vi editing keys (JSKSH_EDITING_MODE=vi)"
        )

    machine_options(parser, top=True)
    repl_options(parser, top=True)
    p = sub.add_parser("boot", help="run a machine whose ports are Unix sockets")
    p.add_argument("--console", required=True, metavar="PATH", help="socket for the console (hvc0)")
    p.add_argument(
        "--trace",
        default=None,
        metavar="FILE",
        help="record every crossing from power-on; at power-off write FILE (FILE.json: Perfetto JSON)",
    )
    p.add_argument(
        "--control", required=True, metavar="PATH", help="socket for the structured port org.jsksh.shell.0"
    )
    machine_options(p)
    p = sub.add_parser("attach", help="the REPL on a running machine's control socket (--raw: its console)")
    repl_options(p)
    p.add_argument("path", metavar="PATH", help="the control socket (with --raw, the console socket)")
    p = sub.add_parser("run", help="run one command line, exit with its status")
    p.add_argument("line", metavar="LINE")
    p.add_argument(
        "--trace",
        default=None,
        metavar="FILE",
        help="record every crossing while the line runs into FILE (FILE.json: Perfetto JSON; docs/tracing.md)",
    )
    p.add_argument(
        "--attach", metavar="PATH", default=None, help="run it on a running machine (its control socket)"
    )
    machine_options(p)
    p = sub.add_parser("demo", help="play a lesson: a scripted session on a new machine")
    p.add_argument("lesson", nargs="?", default=None, metavar="LESSON", help="a lesson's name or file")
    p.add_argument("--fast", action="store_true", help="type at once and never pause")
    p.add_argument("--list", action="store_true", help="list the lessons")
    machine_options(p)
    from jsksh.disk import command as disk_command
    from jsksh.fleet import command as fleet_command

    p = sub.add_parser("fleet", help="N machines behind a load balancer: up, status, deploy, kill, down")
    fleet_command.add_arguments(p, machine_options)
    p = sub.add_parser(
        "disk",
        help="disk images for --disk: create, mkfs; their files without booting: ls, cat, get, put, mkdir, rm, fsck",
    )
    disk_command.add_arguments(p)
    args = parser.parse_args(argv)
    handler = {
        "boot": cmd_boot,
        "attach": cmd_attach,
        "run": cmd_run,
        "demo": cmd_demo,
        "fleet": fleet_command.run,
        "disk": disk_command.run,
    }.get(args.command, cmd_console)
    return handler(args)


def entry() -> None:
    """The `jsksh` command and `python -m jsksh`: main(), then leave at once.

    By the time main() returns, the machine has powered off, its devices are
    closed (a pcap file has its last frame) and the client's output is
    written.  What is left is the interpreter's own teardown: freeing every
    module, and V8's isolates one by one, 15-25 ms that nobody waits for, as
    an exiting process's memory goes back to the system whole.  So flush our
    streams and end the process (tests call main() and keep their process)."""
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`jsksh run ... | head`): nothing more to say
            pass
    os._exit(status)


if __name__ == "__main__":
    entry()
