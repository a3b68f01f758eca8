"""Memory per idle worker: N hello-world workers deployed and each called once, in the guest's invoker and in workerd.

In the guest (issue 14), N workers (each its own source) are deployed with
`PUT /workers/NAME` and each called once, so each has an isolate; after
the machine has been quiet for --settle seconds (the warm pool shrinks
back after 30, as in bench/density.py) the figures are:
- the jsksh process's RSS, less its RSS before the first deploy, over N;
- the guest's own view, `sys.kernel.info()` (what free(1) prints): the
  apps' heap + ArrayBuffers as the memory budget counts them, and the live
  isolates, each less its value before, over N.
N grows through the steps (100, 250, 500, 1000 by default) on one machine
until the kernel's registry evicts a worker's isolate (dmesg: `svc: evicted
w.NAME.HASH7 ...`, when the apps' heap + ArrayBuffers pass the machine's
memory budget, 2 GiB unless --budget says less) or the last step.

Anchor, same run: workerd (worker_workerd.py) with the same N workers
behind a router worker (one isolate per worker, as Cloudflare runs them),
each called once through it, a fresh process per step:
(RSS with N workers - RSS with 1) / (N - 1).

    python worker_density.py [STEP...] [--rounds R] [--settle S] [--net user|tap] [--budget SIZE]

Each step's figure is the median of R rounds [min-max] (default 1: a
round with 1,000 workers takes about 2 minutes).
"""

from __future__ import annotations

import argparse
import http.client
import os
import time

from common import spread
from worker_invoker import InvokerMachine, hello
from worker_workerd import Workerd

MiB = 2**20


def guest_round(steps: list[int], settle: float, net: str, budget: str | None) -> dict:
    """One machine, N growing: {N: {rss, used, isolates, evicted}} per MiB / per worker."""
    extra = ("--limit", f"memory={budget}") if budget else ()
    m = InvokerMachine(net, "--limit", f"isolates={max(steps) + 100}", *extra)
    out = {}
    try:
        time.sleep(settle)
        rss0, info0 = m.rss(), m.kernel_info()["memory"]
        deployed = 0
        for n in steps:
            for i in range(deployed, n):
                name = f"d{i}"
                m.deploy(name, f"// {name}\n" + hello(name))
                if m.call(name) != name.encode():
                    raise RuntimeError(f"worker {name} answered wrongly")
            deployed = n
            time.sleep(settle)
            rss, info = m.rss(), m.kernel_info()["memory"]
            evicted = len(m.evictions())
            out[n] = {
                "rss": (rss - rss0) / n / MiB,
                "used": ((info["used"] or 0) - (info0["used"] or 0)) / n / MiB,
                "isolates": (info["isolates"] - info0["isolates"]) / n,
                "evicted": evicted,
            }
            if evicted:
                break
    finally:
        m.stop()
    return out


def workerd_rss(n: int) -> int:
    """workerd's RSS with n hello-world workers behind the router, each called once."""
    workers = {f"d{i}": f"// d{i}\n" + hello(f"d{i}") for i in range(n)}
    w = Workerd(workers, router=True)
    try:
        conn = http.client.HTTPConnection(w.host, w.port, timeout=30)
        for name in workers:
            conn.request("GET", f"/{name}/")
            if conn.getresponse().read() != name.encode():
                raise RuntimeError(f"workerd: {name} answered wrongly")
        conn.close()
        time.sleep(2)
        return w.rss()
    finally:
        w.stop()


def main(
    steps: list[int] | None = None,
    rounds: int = 1,
    settle: float = 35,
    net: str = "user",
    budget: str | None = None,
) -> None:
    steps = sorted(steps or [100, 250, 500, 1000])
    guest: dict[int, list] = {}
    anchor: dict[int, list] = {}
    notes = []
    for k in range(rounds):
        # A round whose machine fails (a boot that outlasts the console's 30 s
        # on a loaded host) is reported, and the others still count.
        try:
            for n, row in guest_round(steps, settle, net, budget).items():
                guest.setdefault(n, []).append(row)
        except (RuntimeError, OSError) as e:
            notes.append(f"jsksh round {k + 1} failed: {type(e).__name__}: {e}")
        try:
            base = workerd_rss(1)
            for n in steps:
                anchor.setdefault(n, []).append((workerd_rss(n) - base) / (n - 1) / MiB)
        except RuntimeError as e:
            notes.append(f"workerd: skipped ({e})")
    print(f"memory per idle worker (each deployed and called once), {rounds} round(s), median [min-max]")
    print(
        f"  (host load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; other work on the host skews every row)"
    )
    print(
        f"  {'N':>5}  {'jsksh RSS/N':>22}  {'guest heap+AB/N':>22}  {'isolates/N':>10}  {'workerd RSS/N':>22}  ratio"
    )
    for n in steps:
        if n not in guest:
            print(f"  {n:>5}  (not reached: evictions began at a smaller N)")
            continue
        rows = guest[n]
        rss = [r["rss"] for r in rows]
        ratio = (
            spread([a / b for a, b in zip(rss, anchor[n], strict=False)], "{:.3f}") if n in anchor else "-"
        )
        print(
            f"  {n:>5}  {spread(rss, '{:.3f}') + ' MiB':>22}  {spread([r['used'] for r in rows], '{:.3f}') + ' MiB':>22}"
            f"  {spread([r['isolates'] for r in rows], '{:.2f}'):>10}"
            f"  {(spread(anchor[n], '{:.3f}') + ' MiB') if n in anchor else '-':>22}  {ratio}"
        )
        evicted = max(r["evicted"] for r in rows)
        if evicted:
            print(
                f"         the registry evicted {evicted} worker isolate(s) by N = {n} (dmesg): the steps stop here"
            )
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", type=int, help="worker counts (100 250 500 1000)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--settle", type=float, default=35, help="quiet seconds before each reading (35)")
    parser.add_argument("--net", default="user", choices=("user", "tap"))
    parser.add_argument(
        "--budget",
        metavar="SIZE",
        help="the machine's memory budget (--limit memory=SIZE; 2G by default), to see evictions at a smaller N",
    )
    args = parser.parse_args()
    main(args.steps, args.rounds, args.settle, args.net, args.budget)
