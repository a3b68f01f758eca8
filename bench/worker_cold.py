"""Cold worker invocations: a new script on every request, one after another and 200 at once, beside a fresh isolate on Linux.

A cold invocation is a worker's first request after its code arrived: a
fresh isolate must be made for it (issue 14). The invoker starts the
isolate during the deploy (`PUT /workers/NAME` answers once the code has
evaluated in it: apps/invoker.js), so the cold start is inside the PUT and
the end-to-end figure is PUT + first GET. Two workloads per round, each
worker with its own source (so its own hash and isolate):
- in a row (N, default 200): `PUT /workers/NAME`, then `GET /NAME/` on the
  same kept-alive connection; measured from sending the PUT to the GET's
  first byte (PUT + GET: the floor's figure), and from sending the GET to
  its first byte (the first GET alone); then the same GET again (warm).
- at once: N clients, each on a connection of its own opened beforehand,
  send their PUT of a new worker at the same moment and their GET once it
  is answered; the wall time until the last GET's response is complete
  (N isolates made at once), and each client's PUT + GET. The
  V8-isolates FaaS article started 200 isolates in 0.513 s (quoted, not
  measured).

Anchors, measured in the same run (workerd starts its isolates when it
loads its config, so it has no per-request cold start to time):
- mini-racer: `MiniRacer()` + eval of the same worker (module form made a
  classic script) + a call of its `fetch` + its promise's value, in
  process: a fresh V8 isolate, as the guest makes;
- Node: `vm.createContext` + compile + run + a call of `fetch`, timed in
  Node: a fresh context in a running isolate, not an isolate (cheaper).
Both N times in a row, p50 and p99 per start, and the N together.

CPU: what the jsksh process spent (every thread: the kernel's, the
invoker's, the workers' isolates, the Python NAT or TAP backend) during the
back-to-back row, per worker (its PUT, first GET and second GET), beside
the mini-racer anchor's CPU per isolate (its process, every thread). On
the machine's one CPU this, not latency, bounds a back-to-back row.

The guest is reached through hostfwd (the user backend: each segment also
crosses its Python NAT; its listener's backlog is 16, which is why a
burst's connections are opened before the clock starts) or over TAP with
--net tap. Floor (issue 14): p50 of PUT + GET at most 10 ms end to end.
Each figure is the median of ROUNDS rounds [min-max].

    python worker_cold.py [ROUNDS] [--net user|tap] [-n N]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

from common import pct, spread
from worker_invoker import InvokerMachine, hello

FLOOR_MS = 10.0  # p50 of a cold invocation, end to end (issue 14)
ARTICLE_S = 0.513  # 200 isolates, the V8-isolates FaaS article (quoted)
PACE = 0.05  # s between deploys in the paced row: time for the invoker to have a spare ready


def timed(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None):
    """One request: (status, body, seconds from sending it to the response's first line)."""
    t0 = time.perf_counter()
    conn.request(method, path, body=body)
    r = conn.getresponse()
    t1 = time.perf_counter()
    data = r.read()
    return r.status, data, t1 - t0


def source(tag: str) -> str:
    # The tag makes each source, and so each hash, new.
    return f"// {tag}\n" + hello(tag)


def in_a_row(m: InvokerMachine, n: int, tag: str, pause: float = 0.0) -> dict:
    """`pause`: seconds between one worker's warm GET and the next PUT (the
    invoker starts a spare isolate 20 ms after each deploy: paced deploys
    each find one ready, back-to-back ones start their own)."""
    conn = http.client.HTTPConnection(m.host, m.port, timeout=30)
    cold, put_get, warm = [], [], []
    try:
        for i in range(n):
            name = f"c{tag}-{i}"
            body = source(name)
            t0 = time.perf_counter()
            status, data, _ = timed(conn, "PUT", f"/workers/{name}", body.encode())
            if status not in (200, 201):
                raise RuntimeError(f"PUT /workers/{name}: {status} {data[:200]!r}")
            t1 = time.perf_counter()
            status, data, first = timed(conn, "GET", f"/{name}/")
            put_get.append(t1 - t0 + first)
            if status != 200 or data != name.encode():
                raise RuntimeError(f"GET /{name}/: {status} {data[:200]!r}")
            cold.append(first)
            status, data, again = timed(conn, "GET", f"/{name}/")
            warm.append(again)
            if pause:
                time.sleep(pause)
    finally:
        conn.close()
    return {"cold": cold, "put_get": put_get, "warm": warm}


CRLF2 = b"\r\n\r\n"


def status_line(response: bytes) -> str:
    return response.partition(b"\r\n")[0].decode(errors="replace")


async def _burst(host: str, port: int, workers: dict[str, str], deploy: bool) -> dict:
    """Every client at once: PUT its worker and then GET it (deploy), or only GET it.

    A client that fails (a 400 from a deploy that timed out, a reset) is
    counted, with its reason, not fatal; the wall is until the last client is done."""
    conns = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in workers))
    start = time.perf_counter()

    async def exchange(reader, writer, request: bytes) -> bytes:
        """One request on a kept-alive connection: the response (Content-Length bodies only)."""
        writer.write(request)
        head = await reader.readuntil(CRLF2)
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        return head + await reader.readexactly(length)

    async def one(name, source, reader, writer):
        try:
            if deploy:
                body = source.encode()
                put = await exchange(
                    reader,
                    writer,
                    f"PUT /workers/{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body,
                )
                if not put.startswith((b"HTTP/1.1 201", b"HTTP/1.1 200")):
                    reason = put.partition(CRLF2)[2].decode(errors="replace").strip()
                    return None, f"PUT: {status_line(put)}: {reason}"
            writer.write(f"GET /{name}/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            first = await reader.read(1)
            t_first = time.perf_counter() - start
            response = first + await reader.read()
            if not response.startswith(b"HTTP/1.1 200") or not response.endswith(name.encode()):
                return None, f"GET: {status_line(response) or 'no response'}"
            return t_first, None
        except (OSError, asyncio.IncompleteReadError, AttributeError) as e:
            return None, f"{type(e).__name__}: {e}"
        finally:
            writer.close()

    done = await asyncio.gather(
        *(one(name, src, r, w) for (name, src), (r, w) in zip(workers.items(), conns, strict=True))
    )
    return {
        "wall": time.perf_counter() - start,
        "first": [t for t, _ in done if t is not None],
        "errors": [e for _, e in done if e],
    }


def at_once(m: InvokerMachine, n: int, tag: str) -> tuple[dict, dict]:
    """N new workers deployed and called at once; then N deployed one by one, their first GETs at once."""
    made = {f"b{tag}-{i}": source(f"b{tag}-{i}") for i in range(n)}
    burst = asyncio.run(_burst(m.host, m.port, made, deploy=True))
    ready = {f"f{tag}-{i}": source(f"f{tag}-{i}") for i in range(n)}
    for name, src in ready.items():
        m.deploy(name, src)
    return burst, asyncio.run(_burst(m.host, m.port, ready, deploy=False))


# ---- the anchors ----------------------------------------------------------------------

MINI_RACER = r"""
import json, sys, time
from py_mini_racer import MiniRacer
n, src = int(sys.argv[1]), sys.argv[2]
# The module form as a classic script, and the one web class the worker uses.
script = "class Response { constructor(b) { this.b = b } text() { return Promise.resolve(this.b) } }\n" + \
    src.replace("export default", "globalThis.__w =")
call = "__w.fetch({ url: 'http://localhost/' }, {}, {}).then((r) => r.text())"
MiniRacer().eval("1")  # V8's one-time start (init_mini_racer), not counted
times = []
cpu0 = time.process_time()
for i in range(n):
    t0 = time.perf_counter()
    ctx = MiniRacer()
    ctx.eval(script)
    assert ctx.eval(call).get() == "hello"
    times.append(time.perf_counter() - t0)
    ctx.close()
print(json.dumps({"times": times, "cpu": time.process_time() - cpu0}))
"""

NODE_VM = r"""
const vm = require('vm');
const [n, src] = [+process.argv[1], process.argv[2]];
const script = src.replace('export default', 'globalThis.__w =');
(async () => {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const context = vm.createContext({ Response });
    new vm.Script(script).runInContext(context);
    const r = await context.__w.fetch(new Request('http://localhost/'), {}, {});
    if ((await r.text()) !== 'hello') throw new Error('bad answer');
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(JSON.stringify(times));
})();
"""


def anchor_mini_racer(n: int) -> tuple[list[float], float]:
    """Seconds per start, and the anchor process's CPU seconds for all n."""
    out = subprocess.run(
        [sys.executable, "-c", MINI_RACER, str(n), hello()], capture_output=True, text=True, timeout=300
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1])
    r = json.loads(out.stdout)
    return r["times"], r["cpu"]


def process_cpu(pid: int) -> float:
    """CPU seconds a process has used, all its threads (/proc/PID/stat utime + stime)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def anchor_node(n: int) -> list[float]:
    out = subprocess.run(
        ["node", "-e", NODE_VM, str(n), hello()], capture_output=True, text=True, timeout=300
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1])
    return json.loads(out.stdout)


def main(rounds: int = 3, net: str = "user", n: int = 200) -> None:
    if net == "tap":
        from tapnet import can_run

        if can_run():
            print(f"worker_cold: skipped ({can_run()})")
            return
    rows: dict[str, list] = {}

    def add(key, value):
        rows.setdefault(key, []).append(value)

    # A round makes 4 N workers, each an isolate, and removes them at its end.
    m = InvokerMachine(net, "--limit", f"isolates={max(2000, 5 * n + 200)}")
    try:
        m.deploy("hello", hello())
        m.call("hello")  # the invoker's own first request, not counted
        for r in range(rounds):
            tag = f"{uuid.uuid4().hex[:6]}{r}"
            cpu0 = process_cpu(m.machine.proc.pid)
            seq = in_a_row(m, n, tag)
            add("cpu per worker", (process_cpu(m.machine.proc.pid) - cpu0) / n * 1e3)
            for key in ("cold", "put_get", "warm"):
                add(f"{key} p50", pct(seq[key], 50) * 1e3)
                add(f"{key} p99", pct(seq[key], 99) * 1e3)
            paced = in_a_row(m, n, f"{tag}p", pause=PACE)
            add("paced p50", pct(paced["put_get"], 50) * 1e3)
            add("paced p99", pct(paced["put_get"], 99) * 1e3)
            burst, first = at_once(m, n, tag)
            for key, b in (("burst", burst), ("first", first)):
                add(f"{key} wall", b["wall"])
                add(f"{key} p50", pct(b["first"], 50) * 1e3 if b["first"] else float("nan"))
                add(f"{key} p99", pct(b["first"], 99) * 1e3 if b["first"] else float("nan"))
                add(f"{key} errors", b["errors"])
            for w in m.workers():
                if f"{tag}-" in w["name"]:
                    m.delete(w["name"])
            for name, measure in (("mini-racer", anchor_mini_racer), ("node vm", anchor_node)):
                if name == "node vm" and not shutil.which("node"):
                    continue
                times = measure(n)
                if name == "mini-racer":
                    times, cpu = times
                    add("mini-racer cpu", cpu / n * 1e3)
                add(f"{name} p50", pct(times, 50) * 1e3)
                add(f"{name} p99", pct(times, 99) * 1e3)
                add(f"{name} sum", sum(times))
        evicted = len(m.evictions())
    finally:
        m.stop()
    report(rows, rounds, net, n, evicted)


def report(r: dict, rounds: int, net: str, n: int, evicted: int) -> None:
    def ms(key):
        return spread(r.get(key, []), "{:.2f}")

    def ratio(a, b):
        if not r.get(b):
            return "-"
        return spread([x / y for x, y in zip(r[a], r[b], strict=True)], "{:.1f}")

    via = "TAP" if net == "tap" else "hostfwd"
    print(
        f"cold worker invocations ({via}), {rounds} rounds, each as median [min-max] of the rounds' figures"
    )
    print(
        f"  (host load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; other work on the host skews every row)"
    )
    print(f"  {n} in a row, a new worker each (PUT, which starts its isolate, then its first GET), ms:")
    print(f"    PUT + first GET, to its first byte  p50 {ms('put_get p50'):>22}   p99 {ms('put_get p99')}")
    print(f"    the first GET alone                 p50 {ms('cold p50'):>22}   p99 {ms('cold p99')}")
    print(f"    the same GET again (warm)           p50 {ms('warm p50'):>22}   p99 {ms('warm p99')}")
    print(
        f"    CPU of the jsksh process per worker     {ms('cpu per worker'):>22} ms"
        f"   (mini-racer's per isolate: {ms('mini-racer cpu')} ms; ratio {ratio('cpu per worker', 'mini-racer cpu')})"
    )
    print(f"  {n} in a row, {PACE * 1000:.0f} ms apart (each deploy finds a spare isolate ready), ms:")
    print(f"    PUT + first GET, to its first byte  p50 {ms('paced p50'):>22}   p99 {ms('paced p99')}")
    print(f"  {n} at once, each client on a connection of its own opened before the clock starts:")
    print(
        f"    {n} new workers, every PUT sent together and each GET once its PUT is answered: all done in"
        f" {spread(r['burst wall'], '{:.3f}')} s"
    )
    article = spread([w / ARTICLE_S for w in r["burst wall"]], "{:.2f}")
    print(f"      (the FaaS article, 200 isolates: {ARTICLE_S} s; ratio {article})")
    print(f"      each client's PUT + GET, to first byte   p50 {ms('burst p50'):>22}   p99 {ms('burst p99')}")
    print(
        f"    {n} workers deployed one by one, then their first GETs sent together: all done in"
        f" {spread(r['first wall'], '{:.3f}')} s"
    )
    print(f"      each GET, to first byte                  p50 {ms('first p50'):>22}   p99 {ms('first p99')}")
    for key in ("burst", "first"):
        errors = [e for round_errors in r[f"{key} errors"] for e in round_errors]
        if errors:
            kinds = sorted({re.sub(r"[0-9a-f]{6}[0-9]*-[0-9]+", "NAME", e) for e in errors})
            print(f"      FAILED in '{key}': {len(errors)} of {n * rounds} clients: {'; '.join(kinds)[:300]}")
    print(f"  anchors, the same worker started {n} times in a row on Linux, ms per start:")
    for name, what in (
        ("mini-racer", "MiniRacer() + eval + call (an isolate)"),
        ("node vm", "Node vm.createContext + run + call (a context)"),
    ):
        if r.get(f"{name} p50"):
            print(
                f"    {what:46} p50 {ms(f'{name} p50'):>22}   p99 {ms(f'{name} p99')}"
                f"   {n} in all {spread(r[f'{name} sum'], '{:.3f}')} s"
            )
    print(f"    ratio PUT + GET / mini-racer  p50 {ratio('put_get p50', 'mini-racer p50')}")
    if r.get("node vm p50"):
        print(f"    ratio PUT + GET / Node vm     p50 {ratio('put_get p50', 'node vm p50')}")
    for key, what in (("put_get p50", "back to back"), ("paced p50", f"{PACE * 1000:.0f} ms apart")):
        worst = max(r[key])
        print(
            f"  floor: PUT + GET p50 <= {FLOOR_MS:.0f} ms end to end, {what}: {'✓' if worst <= FLOOR_MS else '✗'}"
            f" (worst round {worst:.2f} ms)"
        )
    if evicted:
        print(f"  the registry evicted {evicted} worker isolate(s) during the run (dmesg)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument("--net", default="user", choices=("user", "tap"))
    parser.add_argument("-n", type=int, default=200, help="workers per workload (200)")
    args = parser.parse_args()
    main(args.rounds, args.net, args.n)
