"""Warm worker invocations: wrk against a hello-world worker in the guest's invoker, workerd's and Node's http, same run.

The worker (module form, `return new Response('hello')`) is deployed with
`PUT /workers/hello` and called as `/hello/`; after a warm-up (its first
request starts its isolate) every request reuses that isolate: a warm
invocation (issue 14). Anchors, each with the same client in the same
round:
- workerd (Cloudflare's runtime, worker_workerd.py) serving the same
  module on Linux's loopback: what the guest's invoker imitates;
- Node's `http` hello-world on the loopback, as bench/http_serve.py.

The guest is reached through the user backend's hostfwd by default (each
segment also crosses the Python NAT), or over TAP with --net tap (root; the
client and the anchors then run in the TAP's namespace). Each workload is
repeated ROUNDS times, interleaved with its anchors, and printed as median
[min-max]; the ratios are per round. Needs wrk; node and workerd (npm
installs it once) are optional anchors.

    python worker_warm.py [ROUNDS] [--net user|tap] [--floors]

--floors runs only the floor's workload (wrk), not `ab` without keep-alive.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile

from common import spread
from worker_invoker import InvokerMachine, hello
from worker_workerd import HELLO, Workerd, free_port

FLOOR = 3000  # requests/s, wrk -t1 -c50 -d10s (issue 14)

NODE_SERVER = r"""
const http = require('http');
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': 5 });
  res.end('hello');
}).listen(+process.argv[2], '127.0.0.1', () => console.log('ready'));
"""


def run(*argv: str, timeout: float = 120) -> str:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {r.stdout[-2000:]}{r.stderr[-2000:]}")
    return r.stdout


def wrk(url: str) -> dict:
    out = run("wrk", "-t1", "-c50", "-d10s", "--latency", url)

    def ms(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1)),
        "p50": ms(50),
        "p99": ms(99),
        "errors": (errors.group(1) if errors else "") + (f" non-2xx {non2xx.group(1)}" if non2xx else ""),
    }


def ab(url: str, *extra: str) -> dict:
    out = run("ab", *extra, url)

    def field(name):
        return re.search(rf"^{name}:\s+([\d.]+)", out, re.M).group(1)

    return {"rps": float(field("Requests per second")), "failed": int(field("Failed requests"))}


def start_node() -> tuple[subprocess.Popen, str]:
    port = free_port()
    script = tempfile.NamedTemporaryFile("w", suffix=".js", delete=False)
    script.write(NODE_SERVER)
    script.close()
    node = subprocess.Popen(["node", script.name, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert node.stdout.readline().strip() == "ready"
    finally:
        os.unlink(script.name)
    return node, f"http://127.0.0.1:{port}/"


def main(rounds: int = 3, net: str = "user", floors_only: bool = False) -> None:
    if not shutil.which("wrk"):
        print("worker_warm: skipped (needs wrk)")
        return
    if net == "tap":
        from tapnet import can_run

        if can_run():
            print(f"worker_warm: skipped ({can_run()})")
            return
    do_ab = not floors_only and shutil.which("ab")
    results: dict[str, list] = {}
    failures: dict[str, list] = {}
    notes = []

    def add(key, measure, *args):
        try:
            value = measure(*args)
        except RuntimeError as e:
            failures.setdefault(key, []).append(str(e).strip().splitlines()[-1])
            value = None  # keeps the rounds paired
        results.setdefault(key, []).append(value)

    m = InvokerMachine(net)
    node = workerd = None
    try:
        m.deploy("hello", hello())
        assert m.call("hello") == b"hello"
        guest_url = m.url("/hello/")
        # The anchors start in this thread, so in the TAP's namespace with --net tap.
        try:
            workerd = Workerd({"hello": HELLO})
        except RuntimeError as e:
            notes.append(f"workerd: skipped ({e})")
        if shutil.which("node"):
            node, node_url = start_node()
        else:
            notes.append("node: skipped (not installed)")
        targets = [("jsksh", guest_url)]
        if workerd:
            targets.append(("workerd", workerd.url()))
        if node:
            targets.append(("node", node_url))
        # Warm up each (V8 compiles the hot paths): 500 requests, not counted.
        for _, url in targets:
            run("curl", "-s", "-o", "/dev/null", url)
            if shutil.which("ab"):
                ab(url, "-k", "-n", "500", "-c", "8")
        for _ in range(rounds):
            for name, url in targets:
                add(f"wrk {name}", wrk, url)
            if do_ab:
                for name, url in targets:
                    add(f"ab {name}", ab, url, "-n", "5000", "-c", "50")
    finally:
        if node:
            node.kill()
            node.wait()
        if workerd:
            workerd.stop()
        m.stop()
    report(results, rounds, net, [n for n, _ in targets])
    for line in notes:
        print(f"  {line}")
    for key, why in failures.items():
        print(f"  FAILED {key}: {len(why)} of {rounds} runs ({'; '.join(sorted(set(why)))})")


def report(r: dict, rounds: int, net: str, names: list[str]) -> None:
    def col(key, field):
        return [x[field] for x in r.get(key, []) if x is not None]

    def ratio(a, b):
        if not r.get(b):
            return "-"
        pairs = [(x, y) for x, y in zip(r[a], r[b], strict=True) if x is not None and y is not None]
        return spread([x["rps"] / y["rps"] for x, y in pairs], "{:.3f}")

    where = {
        "jsksh": f"jsksh invoker ({'TAP' if net == 'tap' else 'hostfwd'})",
        "workerd": "workerd (lo)",
        "node": "Node http (lo)",
    }
    print(f"warm worker invocations, {rounds} rounds, each as median [min-max]; a hello-world worker")
    print(
        f"  (host load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; other work on the host skews every row)"
    )
    print("  wrk -t1 -c50 -d10s --latency, keep-alive:")
    for name in names:
        key = f"wrk {name}"
        if r.get(key):
            errors = "; ".join(e for e in col(key, "errors") if e) or "none"
            print(
                f"    {where[name]:24} {spread(col(key, 'rps')):>24} req/s   p50 {spread(col(key, 'p50'), '{:.2f}')} ms"
                f"   p99 {spread(col(key, 'p99'), '{:.2f}')} ms   errors {errors}"
            )
    for other in names[1:]:
        print(f"    ratio jsksh / {other:9} {ratio('wrk jsksh', f'wrk {other}'):>24}")
    runs = r.get("wrk jsksh", [])
    slowest = min(col("wrk jsksh", "rps"), default=0)
    clean = not any(col("wrk jsksh", "errors")) and None not in runs
    met = clean and slowest >= FLOOR
    print(
        f"    floor {FLOOR:,} req/s: {'✓' if met else '✗'} (slowest round {slowest:,.0f}"
        f"{'' if clean else ', with errors or failed rounds'})"
    )
    if r.get("ab jsksh"):
        print("  ab -n 5000 -c 50, a new connection per request:")
        for name in names:
            key = f"ab {name}"
            if r.get(key):
                print(
                    f"    {where[name]:24} {spread(col(key, 'rps')):>24} req/s   failed {sum(col(key, 'failed'))}"
                )
        for other in names[1:]:
            print(f"    ratio jsksh / {other:9} {ratio('ab jsksh', f'ab {other}'):>24}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument("--net", default="user", choices=("user", "tap"))
    parser.add_argument("--floors", action="store_true", help="only the floor's workload and its anchors")
    args = parser.parse_args()
    main(args.rounds, args.net, args.floors)
