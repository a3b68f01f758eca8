"""The fleet: requests per second through HAProxy with 1, 2 and 4 machines, and what limits it.

`jsksh fleet up -n N` (docs/fleet.md) puts N machines, each a `jsksh boot`
with the invoker, pinned to a CPU of its own (round the host's), behind
Debian's HAProxy on 127.0.0.1; `jsksh fleet deploy hello` gives every one
the same hello-world worker (6 bytes), and `wrk -t2 -c50 -d10s` calls it
through the balancer.  In the same run:
- the anchor: the same HAProxy configuration (balancer.py, the same
  template) in front of N Node `http` servers, pinned the same way, each
  answering the same 6 bytes (Node is one JavaScript thread on V8, as a
  guest is);
- one machine without the balancer (wrk straight at its hostfwd port), to
  see what HAProxy's hop costs;
- where the CPU went: CPU seconds of the machines, HAProxy (or Node) and
  wrk over each run, divided by its wall time (so 2.0 means both CPUs of a
  2-CPU host), read from /proc and wait4;
- killing one machine under wrk: a fresh fleet of 2 and of 4, `fleet kill 1`
  3 s into a 10 s wrk; requests failed (socket errors and non-2xx) against
  the total.

Each throughput is measured ROUNDS times, interleaved with its anchor, and
printed as median [min-max].  Needs haproxy and wrk; node for the anchor.

    python fleet.py [ROUNDS]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import common  # noqa: F401  (compiles jsksh's bytecode, as an installed copy has it)

from jsksh.fleet import balancer, machines, processes, state
from jsksh.fleet.state import MachineRecord

SIZES = (1, 2, 4)
WRK = ["wrk", "-t2", "-c50"]
DURATION = "10s"
PATH = "/hello/"  # the worker below: 6 bytes, "jsksh\n"
WORKER = "export default { fetch: () => new Response('jsksh\\n') };\n"
KILL_AFTER = 3.0
NODE_SERVER = r"""
const http = require('http');
const body = Buffer.from('jsksh\n');    // what the guests' hello worker answers
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
"""


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """median [min-max]"""
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of each pid (all its threads), from /proc/PID/stat."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def wrk(url: str, during=None, groups: dict[str, list[int]] | None = None, duration: str = DURATION) -> dict:
    """One wrk run: requests/s, total, failures, and CPUs used by each group of
    pids (and by wrk itself).  `during()` runs in a thread as wrk starts."""
    groups = groups or {}
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    t0 = time.monotonic()
    proc = subprocess.Popen([*WRK, f"-d{duration}", "--latency", url], stdout=subprocess.PIPE, text=True)
    if during:
        threading.Thread(target=during, daemon=True).start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    if proc.returncode:
        raise RuntimeError(f"wrk failed: {out}")
    cpus = {name: (cpu_seconds(pids) - before[name]) / wall for name, pids in groups.items()}
    cpus["wrk"] = (usage.ru_utime + usage.ru_stime) / wall
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def ms(p):  # NaN when wrk has no distribution (no request was answered)
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if not found:
            return float("nan")
        value, unit = found.groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    return {
        "rps": float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1)),
        "p50": ms(50),
        "p99": ms(99),
        "total": int(re.search(r"(\d+) requests in", out).group(1)),
        "failed": (sum(map(int, errors.groups())) if errors else 0)
        + (int(non_2xx.group(1)) if non_2xx else 0),
        "cpus": cpus,
    }


class JskshFleet:
    """`jsksh fleet up -n N` (the invoker) in a directory of its own, with the hello worker deployed."""

    def __init__(self, n: int):
        self.dir = tempfile.mkdtemp(prefix="jsksh-bench-fleet-")
        os.rmdir(self.dir)  # up makes it, mode 700
        self.port = processes.free_ports(1)[0]
        r = subprocess.run(
            [*common.JSKSH, "fleet", "up", "-n", str(n), "--dir", self.dir, "--port", str(self.port)],
            capture_output=True, text=True,
        )  # fmt: skip
        if r.returncode:
            raise RuntimeError(f"fleet up -n {n} failed: {r.stderr}")
        worker = os.path.join(self.dir, "hello.js")
        with open(worker, "w") as f:
            f.write(WORKER)
        r = subprocess.run(
            [*common.JSKSH, "fleet", "deploy", "hello", worker, "--dir", self.dir],
            capture_output=True,
            text=True,
        )
        if r.returncode:
            raise RuntimeError(f"fleet deploy failed: {r.stdout} {r.stderr}")
        self.state = state.load(self.dir)
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        self.groups = {"machines": [m.pid for m in self.state.machines], "haproxy": [self.state.balancer.pid]}

    def retransmits(self) -> int:
        """TCP segments retransmitted so far, by the guests and by their user backends' NAT
        (netstat -s and devices -v on each running machine)."""
        total = 0
        for m in self.state.machines:
            if not machines.is_running(m):
                continue
            r = subprocess.run(
                [*common.JSKSH, "run", "--attach", m.control, "netstat -s; devices -v"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            guest = re.search(r"(\d+) segments retransmitted", r.stdout)
            nat = re.search(r'"tcp_retransmits":(\d+)', r.stdout)
            total += int(guest.group(1) if guest else 0) + int(nat.group(1) if nat else 0)
        return total

    def measure(self) -> dict:
        """One wrk run through the balancer, with the retransmissions it caused."""
        before = self.retransmits()
        result = wrk(self.url, groups=self.groups)
        result["retransmits"] = self.retransmits() - before
        return result

    def kill_one(self) -> None:
        subprocess.run([*common.JSKSH, "fleet", "kill", "1", "--dir", self.dir], capture_output=True)

    def close(self) -> None:
        subprocess.run([*common.JSKSH, "fleet", "down", "--dir", self.dir], capture_output=True)


class NodeFleet:
    """The anchor: HAProxy from the same template in front of N Node servers, pinned as the machines are."""

    def __init__(self, n: int):
        self.dir = tempfile.mkdtemp(prefix="jsksh-bench-node-")
        script = os.path.join(self.dir, "server.js")
        with open(script, "w") as f:
            f.write(NODE_SERVER)
        self.servers, self.balancer = [], None
        try:
            self._start(n, script)
        except BaseException:
            self.close()
            raise

    def _start(self, n: int, script: str) -> None:
        records = []
        for i, port in enumerate(processes.free_ports(n)):
            cpus = machines.cpus_for(i, 1)
            proc = subprocess.Popen(
                ["node", script, str(port)],
                stdout=subprocess.PIPE,
                text=True,
                preexec_fn=lambda c=cpus: os.sched_setaffinity(0, c),
            )
            assert proc.stdout.readline().strip() == "ready"
            self.servers.append(proc)
            records.append(MachineRecord(f"node{i + 1}", proc.pid, port, "", "", "", cpus))
        self.port = processes.free_ports(1)[0]
        self.balancer = balancer.start("haproxy", self.dir, self.port, records)
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        self.groups = {"node": [p.pid for p in self.servers], "haproxy": [self.balancer.pid]}

    def close(self) -> None:
        if self.balancer:
            balancer.stop(self.balancer)
        for p in self.servers:
            p.kill()
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(rounds: int) -> None:
    missing = [p for p in ("haproxy", "wrk") if not (shutil.which(p) or shutil.which(p, path="/usr/sbin"))]
    if missing:
        print(f"fleet: skipped (needs {', '.join(missing)}: apt-get install haproxy wrk)")
        return
    have_node = bool(shutil.which("node"))
    results: dict[str, list[dict]] = {}
    for n in SIZES:
        jsksh, node = JskshFleet(n), None
        try:
            node = NodeFleet(n) if have_node else None
            wrk(jsksh.url, duration="2s")  # warm-up: V8 compiles the hot paths
            for _ in range(rounds):
                results.setdefault(f"jsksh {n}", []).append(jsksh.measure())
                if node:
                    results.setdefault(f"node {n}", []).append(wrk(node.url, groups=node.groups))
                if n == 1:
                    direct = f"http://127.0.0.1:{jsksh.state.machines[0].port}{PATH}"
                    results.setdefault("direct", []).append(
                        wrk(direct, groups={"machines": jsksh.groups["machines"]})
                    )
        finally:
            jsksh.close()
            if node:
                node.close()
    for n in (2, 4):
        for _ in range(rounds):
            f = JskshFleet(n)
            try:
                wrk(f.url, duration="2s")  # warm-up
                results.setdefault(f"kill {n}", []).append(
                    wrk(f.url, during=lambda f=f: (time.sleep(KILL_AFTER), f.kill_one()))
                )
            finally:
                f.close()
    report(results, rounds)


def report(r: dict, rounds: int) -> None:
    def rps(key):
        return [x["rps"] for x in r.get(key, [])]

    def cpus(key):
        names = sorted({name for x in r.get(key, []) for name in x["cpus"]})
        return "  ".join(f"{name} {statistics.median(x['cpus'][name] for x in r[key]):.2f}" for name in names)

    def ms(key, field):
        return spread([x[field] for x in r.get(key, [])], "{:.1f}")

    host = len(os.sched_getaffinity(0))
    print(
        f"The fleet on a {host}-CPU host, {rounds} rounds, median [min-max]; {' '.join(WRK)} -d{DURATION} {PATH} through HAProxy"
    )
    print(f"  {'':22} {'req/s':>24}   {'ratio to 1':>10}   CPUs used (median): by whom")
    for label, prefix in (("jsksh machines", "jsksh"), ("anchor: Node servers", "node")):
        if not r.get(f"{prefix} 1"):
            continue
        one = statistics.median(rps(f"{prefix} 1"))
        for n in SIZES:
            key = f"{prefix} {n}"
            ratio = statistics.median(rps(key)) / one
            print(f"  {label + f' x{n}':22} {spread(rps(key)):>24}   {ratio:>10.2f}   {cpus(key)}")
            print(f"  {'':22} latency p50 {ms(key, 'p50')} ms, p99 {ms(key, 'p99')} ms", end="")
            if prefix == "jsksh":
                print(
                    f"; TCP retransmissions (guests + NAT) per run {spread([x['retransmits'] for x in r[key]])}"
                )
            else:
                print()
    if r.get("direct"):
        print(f"  {'1 machine, no HAProxy':22} {spread(rps('direct')):>24}   {'':>10}   {cpus('direct')}")
    for n in SIZES:
        if r.get(f"node {n}"):
            ratios = [a["rps"] / b["rps"] for a, b in zip(r[f"jsksh {n}"], r[f"node {n}"], strict=True)]
            print(f"  ratio jsksh / Node, x{n}: {spread(ratios, '{:.3f}')}")
    print(f"  killing m1 {KILL_AFTER:.0f} s into the run (fleet kill 1): requests failed of the total")
    for n in (2, 4):
        runs = r.get(f"kill {n}", [])
        if runs:
            counts = ", ".join(f"{x['failed']} of {x['total']:,}" for x in runs)
            print(f"    {n} machines: {counts}   (req/s {spread([x['rps'] for x in runs])})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    main(parser.parse_args().rounds)
    sys.exit(0)
