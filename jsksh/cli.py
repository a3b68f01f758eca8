"""The `jsksh` command: boot a machine, attach to one, or run one command line.

jsksh                                    boot a machine and attach to its console
jsksh boot --console PATH --control PATH run a machine whose ports are Unix sockets
jsksh attach --raw PATH                  attach to a running machine's console
jsksh run 'LINE'                         boot, run LINE, exit with its status
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from jsksh import __version__


def _machine(args, **kw):
    from jsksh.machine.machine import Machine

    limits = {}
    if getattr(args, "cpu_limit", None):
        limits["cpu"] = args.cpu_limit
    if getattr(args, "heap_limit", None):
        limits["heap"] = args.heap_limit << 20
    user_options = {"hostfwd": tuple(args.hostfwd or ())}
    if args.dns:
        user_options["dns"] = args.dns
    try:
        return Machine(
            cmdline=getattr(args, "cmdline", "") or "",
            limits=limits or None,
            cpus=args.cpus,
            net=args.net,
            mac=args.mac,
            pcap=args.pcap,
            user_options=user_options if args.net == "user" else None,
            **kw,
        )
    except (ValueError, OSError, RuntimeError) as e:
        print(f"jsksh: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def _in_background(machine) -> threading.Thread:
    t = threading.Thread(target=machine.run, name="jsksh-machine", daemon=True)
    t.start()
    return t


def cmd_console(args) -> int:
    """Boot an embedded machine and attach this terminal to its console."""
    from jsksh.client.raw import attach

    machine = _machine(args)
    sock = machine.console.connect_local()
    thread = _in_background(machine)
    how = attach(sock)
    if how == "detached":
        machine.power_off(0)
    thread.join(10)
    return machine.status


def cmd_boot(args) -> int:
    machine = _machine(args, console_path=args.console, control_path=args.control)
    print(f"jsksh: machine running; console {args.console}, control {args.control}", file=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: machine.power_off(143))
    try:
        return machine.run()
    except KeyboardInterrupt:
        machine.power_off(130)
        return 130


def cmd_attach(args) -> int:
    from jsksh.client.raw import attach
    from jsksh.client.runner import connect_unix

    if not args.raw:
        print("jsksh: the REPL client comes in a later release; use --raw", file=sys.stderr)
        return 2
    try:
        sock = connect_unix(args.path)
    except OSError as e:
        print(f"jsksh: cannot attach to {args.path}: {e.strerror or e}", file=sys.stderr)
        return 1
    how = attach(sock)
    if how == "detached":
        print("\r\njsksh: detached; the machine keeps running", file=sys.stderr)
    else:
        print("\r\njsksh: the machine closed the console", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    from jsksh.client.runner import run_line

    machine = _machine(args)
    sock = machine.control.connect_local()
    thread = _in_background(machine)
    try:
        status = run_line(sock, args.line)
    finally:
        machine.power_off(0)
        thread.join(10)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jsksh", description="A JavaScript kernel you can boot, attach to and take apart."
    )
    parser.add_argument("--version", action="version", version=f"jsksh {__version__}")
    sub = parser.add_subparsers(dest="command")

    def machine_options(p, top=False):
        # The same options work before or after the subcommand; only the top
        # level has defaults, so a subcommand never overwrites what came before it.
        def d(value):
            return value if top else argparse.SUPPRESS

        p.add_argument("--cmdline", default=d(""), help="kernel command line")
        p.add_argument(
            "--cpu-limit", type=float, default=d(None), metavar="SECONDS", help="CPU time limit per app"
        )
        p.add_argument("--heap-limit", type=int, default=d(None), metavar="MIB", help="heap limit per app")
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
            "--hostfwd",
            action="append",
            default=d(None),
            metavar="udp::HOSTPORT-:GUESTPORT",
            help="forward a host port into the guest (user backend; repeatable)",
        )
        p.add_argument(
            "--dns", default=d(None), metavar="ADDR[:PORT]", help="upstream DNS for the user backend"
        )

    machine_options(parser, top=True)
    p = sub.add_parser("boot", help="run a machine whose ports are Unix sockets")
    p.add_argument("--console", required=True, metavar="PATH", help="socket for the console (hvc0)")
    p.add_argument(
        "--control", required=True, metavar="PATH", help="socket for the structured port org.jsksh.shell.0"
    )
    machine_options(p)
    p = sub.add_parser("attach", help="attach to a running machine")
    p.add_argument("--raw", action="store_true", help="raw serial console, like picocom (Ctrl-] detaches)")
    p.add_argument("path", metavar="PATH")
    p = sub.add_parser("run", help="boot, run one command line, exit with its status")
    p.add_argument("line", metavar="LINE")
    machine_options(p)
    args = parser.parse_args(argv)
    handler = {"boot": cmd_boot, "attach": cmd_attach, "run": cmd_run}.get(args.command, cmd_console)
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
