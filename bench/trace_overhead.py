"""What the tracer of crossings costs: nothing when off, a bounded amount when on (issue 16).

Three machines, measured the same way in one run, rounds interleaved so
that the host's drift falls on all of them alike:
- base: jsksh at a revision before the tracer existed (`--base REV`; by
  default the parent of the commit that added jsksh/native/tracer.py), run
  from a git worktree of it: the anchor "tracing costs nothing when off" is
  measured against;
- off: this checkout, tracer off (every crossing tests one attribute);
- on: this checkout booted with `--trace`: every crossing is recorded (the
  ring holds 4 Mi events; past it events are counted and dropped).
Two workloads each: `echo hi` typed on the console to `hi` back (p50 of N,
as bench/roundtrip.py measures it), and UDP echo over TAP (p50 round trip of
2,000 datagrams one at a time, and datagrams/s with 64 in flight, as
bench/udp_echo.py measures it). Ratios off/base and on/off, with the
spread of the rounds.

    python trace_overhead.py [ROUNDS] [-n N] [--base REV]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Machine, pct, spread
from roundtrip import echo_samples
from tapnet import GUEST_IP, TapNet, can_run
from udp_echo import CLIENT

ROOT = Path(__file__).resolve().parents[1]


def base_revision() -> str:
    added = subprocess.check_output(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "jsksh/native/tracer.py"], cwd=ROOT, text=True
    ).split()
    if not added:
        raise SystemExit("trace_overhead: no commit adds jsksh/native/tracer.py: give --base REV")
    return added[-1] + "^"


class Config:
    """How to start one of the three machines: PYTHONPATH and extra options."""

    def __init__(self, name: str, pythonpath: str, extra: tuple[str, ...] = ()):
        self.name, self.pythonpath, self.extra = name, pythonpath, extra

    def __enter__(self):
        self.saved = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = self.pythonpath
        return self

    def __exit__(self, *exc):
        if self.saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = self.saved


def stop(machine: Machine) -> None:
    # A machine booted with --trace writes its trace at power-off: not measured, not waited for.
    machine.proc.kill()
    machine.proc.wait(10)


def echo_p50(config: Config, n: int) -> float:
    with config:
        m = Machine(*config.extra)
    try:
        return pct(echo_samples(m, n), 50)
    finally:
        stop(m)


def udp_echo(config: Config, seconds: float) -> dict:
    with config:
        net = TapNet(*config.extra)
    try:
        net.machine.sock.sendall(b"udpecho 7\r")
        net.machine.read_until(b"listening on UDP port 7")
        return json.loads(net.run_in_ns(CLIENT, GUEST_IP, "7", str(seconds), "64"))
    finally:
        stop(net.machine)
        net.machine = None
        net.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument("-n", type=int, default=300, help="echo hi round trips per round (300)")
    parser.add_argument("--base", default=None, help="the revision before the tracer (default: found by git)")
    args = parser.parse_args()
    rev = args.base or base_revision()
    worktree = tempfile.mkdtemp(prefix="jsksh-base-")
    subprocess.run(
        ["git", "worktree", "add", "--detach", worktree, rev], cwd=ROOT, check=True, capture_output=True
    )
    trace_dir = tempfile.mkdtemp(prefix="jsksh-trace-")
    try:
        import compileall

        compileall.compile_dir(os.path.join(worktree, "jsksh"), quiet=1)
        configs = [
            Config("base", worktree),
            Config("off", str(ROOT)),
            Config("on", str(ROOT), ("--trace", os.path.join(trace_dir, "t.json"))),
        ]
        udp = can_run() is None
        results = {c.name: {"echo": [], "rtt": [], "pps": []} for c in configs}
        for r in range(args.rounds):
            order = configs if r % 2 == 0 else configs[::-1]
            for c in order:
                results[c.name]["echo"].append(echo_p50(c, args.n))
                if udp:
                    u = udp_echo(c, 2.0)
                    results[c.name]["rtt"].append(u["p50"])
                    results[c.name]["pps"].append(u["pps"])
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", worktree], cwd=ROOT, capture_output=True)
        shutil.rmtree(trace_dir, ignore_errors=True)

    load = os.getloadavg()[0]
    short = subprocess.check_output(["git", "rev-parse", "--short", rev], cwd=ROOT, text=True).strip()
    print(f"tracer overhead, {args.rounds} rounds, each figure median [min-max] of the rounds")
    print(
        f"  (base: {short}, before the tracer; host load average at the end: {load:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"  echo hi, console round trip p50 of {args.n}, ms:")
    for name in ("base", "off", "on"):
        print(f"    {name:5} {spread([x * 1e3 for x in results[name]['echo']], '{:.3f}')}")
    ratios = lambda a, b, key: [x / y for x, y in zip(results[a][key], results[b][key], strict=True)]  # noqa: E731
    print(
        f"    ratio off/base {spread(ratios('off', 'base', 'echo'), '{:.3f}')}   on/off {spread(ratios('on', 'off', 'echo'), '{:.3f}')}"
    )
    if udp:
        print(
            "  UDP echo over TAP, 32-byte datagrams: round trip p50 (µs) and datagrams/s with 64 in flight:"
        )
        for name in ("base", "off", "on"):
            rtt = spread([x * 1e6 for x in results[name]["rtt"]], "{:.0f}")
            print(f"    {name:5} rtt {rtt}   {spread(results[name]['pps'])} /s")
        print(
            f"    ratio rtt off/base {spread(ratios('off', 'base', 'rtt'), '{:.3f}')}   on/off {spread(ratios('on', 'off', 'rtt'), '{:.3f}')}"
        )
        print(
            f"    ratio rate off/base {spread(ratios('off', 'base', 'pps'), '{:.3f}')}   on/off {spread(ratios('on', 'off', 'pps'), '{:.3f}')}"
        )
    else:
        print(f"  UDP echo over TAP: skipped ({can_run()})")


if __name__ == "__main__":
    sys.exit(main())
