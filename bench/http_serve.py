"""HTTP/1.1 through the guest's httpd and curl over TAP, beside Node's http server on Linux in the same run.

The machine is cabled to a namespace by a TAP device (tapnet.py); Linux's
side runs the load generators and the anchor:
- the issue's two floors (issue 13): `wrk -t1 -c50 -d10s` (keep-alive,
  at least 5,000 requests a second with no socket errors) and `ab -n 10000
  -c 50` without keep-alive (at least 1,000 new connections a second) fetch
  a 13-byte file from the guest's `httpd` (TAP, virtio-net, the JavaScript
  TCP stack, the httpd app and its file reads), then the same from Node's
  `http` hello-world in the namespace, over its loopback (the issue's anchor:
  Node is one JavaScript thread on V8, as the guest is; Python's http.server
  is ten times slower and would flatter us).
- also, unless --floors: `ab -k -n 2000 -c 8` (keep-alive, few clients).
- bulk: the guest's `curl` fetches 16 MiB from Node over TAP into /dev/null,
  timed from the host (the command sent on the console to its marker coming
  back: curl's start, a few ms, is inside); the host's curl fetches the same
  from Node over loopback, and 16 MiB from the guest's httpd over TAP.

TAP rather than the user backend's hostfwd: through hostfwd every segment
also crosses the backend's Python NAT (tcp_nat.py) and a host socket, so the
figure would be the NAT's more than httpd's; the issue's HTTP floors are for
TAP.  Each measurement is repeated ROUNDS times, interleaved with its anchor,
and printed as median [min-max].  Needs root, ab; wrk and node are optional
(without node there is no anchor and no ratio).

    python http_serve.py [ROUNDS] [--floors]

--floors runs only the issue's two workloads (and their anchors).

(Not http.py: a module of that name here would hide the standard library's http
package from every script run in bench/, and urllib.request with it.)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

from tapnet import GUEST_IP, LINUX_IP, TapNet, can_run

BULK = 16 * 1024 * 1024
NODE_PORT = 8081
# The floors for the guest's httpd.
FLOOR_WRK = 5000  # requests/s, wrk -t1 -c50 -d10s, 0 socket errors
FLOOR_CONN = 1000  # connections/s, ab -n 10000 -c 50 (no -k)

# The anchor: Node's http hello-world, plus a 16 MiB body from memory.
NODE_SERVER = (
    r"""
const http = require('http');
const hello = Buffer.from('Hello World!\n');         // 13 bytes, as the guest's hello.txt
const bulk = Buffer.alloc(BULK, 7);
http.createServer((req, res) => {
  const body = req.url === '/bulk' ? bulk : hello;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
}).listen(PORT, 'ADDRESS', () => console.log('ready'));
""".replace("BULK", str(BULK))
    .replace("PORT", str(NODE_PORT))
    .replace("ADDRESS", LINUX_IP)
)


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """median [min-max]"""
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


class Bench:
    def __init__(self, net: TapNet):
        self.net = net

    def host(self, *argv: str, timeout: float = 120) -> str:
        r = subprocess.run(
            ["ip", "netns", "exec", self.net.ns, *argv], capture_output=True, text=True, timeout=timeout
        )
        if r.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {r.stdout[-2000:]}{r.stderr[-2000:]}")
        return r.stdout

    def guest(self, line: str, timeout: float = 120) -> float:
        """Run a line on the guest's console; seconds until it is done."""
        m = self.net.machine
        t0 = time.perf_counter()
        m.sock.sendall(line.encode() + b"; echo DONE-$((6*7))\r")
        m.read_until(b"DONE-42", timeout)
        elapsed = time.perf_counter() - t0
        m.read_until(b"$ ")
        return elapsed

    def ab(self, url: str, *extra: str) -> dict:
        out = self.host("ab", *extra, url)

        def field(name):
            return re.search(rf"^{name}:\s+([\d.]+)", out, re.M).group(1)

        def percent(p):
            return float(re.search(rf"^\s+{p}%\s+(\d+)", out, re.M).group(1))

        return {
            "rps": float(field("Requests per second")),
            "failed": int(field("Failed requests")),
            "p50": percent(50),
            "p99": percent(99),
        }

    def wrk(self, url: str) -> dict:
        out = self.host("wrk", "-t1", "-c50", "-d10s", "--latency", url)

        def ms(p):
            value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", out, re.M).groups()
            return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

        errors = re.search(r"Socket errors: (.*)", out)
        return {
            "rps": float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1)),
            "p50": ms(50),
            "p99": ms(99),
            "errors": errors.group(1) if errors else "",
        }

    def host_curl_mbs(self, url: str) -> float:
        out = self.host("curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url)
        size, seconds = out.split()
        assert int(size) == BULK, out
        return BULK / float(seconds) / 1e6


def main(rounds: int = 3, floors_only: bool = False) -> None:
    why = can_run() or (None if shutil.which("ab") else "needs ab (apache2-utils)")
    why = why or (None if shutil.which("wrk") else "needs wrk")
    if why:
        print(f"http: skipped ({why})")
        return
    have_node = bool(shutil.which("node"))
    net = TapNet()
    node = None
    results: dict[str, list] = {}
    failures: dict[str, list] = {}

    def add(key, measure, *args):
        # A run that fails (ab gives up on a reset or a refusal) is counted, not fatal.
        try:
            value = measure(*args)
        except RuntimeError as e:
            failures.setdefault(key, []).append(str(e).strip().splitlines()[-1])
            value = None  # keeps the rounds of jsksh and Node paired
        results.setdefault(key, []).append(value)

    try:
        b = Bench(net)
        b.guest(
            f"mkdir /tmp/www && echo 'Hello World!' > /tmp/www/hello.txt && head -c {BULK} /dev/zero > /tmp/www/bulk"
        )
        # The access log goes to /dev/null: Node's hello-world writes none.
        net.machine.sock.sendall(b"httpd -q -p 80 /tmp/www > /dev/null &\r")
        guest_url = f"http://{GUEST_IP}/hello.txt"
        node_url = f"http://{LINUX_IP}:{NODE_PORT}/hello.txt"
        deadline = time.monotonic() + 20
        while subprocess.run(
            ["ip", "netns", "exec", net.ns, "curl", "-s", "-o", "/dev/null", guest_url], capture_output=True
        ).returncode:
            assert time.monotonic() < deadline, "httpd did not answer"
            time.sleep(0.1)
        if have_node:
            script = tempfile.NamedTemporaryFile("w", suffix=".js", delete=False)
            script.write(NODE_SERVER)
            script.close()
            node = subprocess.Popen(
                ["ip", "netns", "exec", net.ns, "node", script.name], stdout=subprocess.PIPE, text=True
            )
            try:
                assert node.stdout.readline().strip() == "ready"
            finally:
                os.unlink(script.name)
        # Warm up both (V8 compiles the hot paths of each): 500 requests, not counted.
        b.ab(guest_url, "-k", "-n", "500", "-c", "8")
        if node:
            b.ab(node_url, "-k", "-n", "500", "-c", "8")
        for _ in range(rounds):
            # Each workload beside its anchor, one after the other, so both see the same machine.
            add("wrk jsksh", b.wrk, guest_url)
            if node:
                add("wrk node", b.wrk, node_url)
            add("conn jsksh", b.ab, guest_url, "-n", "10000", "-c", "50")
            if node:
                add("conn node", b.ab, node_url, "-n", "10000", "-c", "50")
            if floors_only:
                continue
            add("ab jsksh", b.ab, guest_url, "-k", "-n", "2000", "-c", "8")
            if node:
                add("ab node", b.ab, node_url, "-k", "-n", "2000", "-c", "8")
            if node:
                add(
                    "bulk guest curl",
                    lambda: BULK / b.guest(f"curl -s -o /dev/null http://{LINUX_IP}:{NODE_PORT}/bulk") / 1e6,
                )
                add("bulk host curl", b.host_curl_mbs, f"http://{LINUX_IP}:{NODE_PORT}/bulk")
            add("bulk from httpd", b.host_curl_mbs, f"http://{GUEST_IP}/bulk")
    finally:
        if node:
            node.kill()
            node.wait()
        net.close()
    report(results, rounds)
    for key, why in failures.items():
        print(f"  FAILED {key}: {len(why)} of {rounds} runs ({'; '.join(sorted(set(why)))})")


def report(r: dict, rounds: int) -> None:
    def col(key, field):
        return [x[field] for x in r.get(key, []) if x is not None]

    def ratio(a, b, field="rps"):
        if not r.get(b):
            return "-"
        pairs = [(x, y) for x, y in zip(r[a], r[b], strict=True) if x is not None and y is not None]
        return spread([x[field] / y[field] for x, y in pairs], "{:.3f}")

    def floor(key, value, ok=True):
        runs = r.get(key, [])
        slowest = min(col(key, "rps"), default=0)
        met = ok and None not in runs and slowest >= value
        failed = f", {runs.count(None)} run(s) failed" if None in runs else ""
        return f"floor {value:,}: {'met' if met else 'NOT met'} (slowest round {slowest:,.0f}{failed})"

    print(
        f"HTTP over TAP, {rounds} rounds, each as median [min-max]; the anchor is Node's http on Linux's loopback"
    )
    print("  wrk -t1 -c50 -d10s --latency, keep-alive, a 13-byte file:")
    for key, name in (("wrk jsksh", "jsksh httpd (TAP)"), ("wrk node", "Node http (lo)")):
        if r.get(key):
            errors = "; ".join(e for e in col(key, "errors") if e) or "none"
            print(
                f"    {name:20} {spread(col(key, 'rps')):>24} req/s   p50 {spread(col(key, 'p50'), '{:.2f}')} ms"
                f"   p99 {spread(col(key, 'p99'), '{:.2f}')} ms   socket errors {errors}"
            )
    print(f"    ratio jsksh / Node   {ratio('wrk jsksh', 'wrk node'):>24}")
    no_errors = not any(col("wrk jsksh", "errors"))
    print(f"    {floor('wrk jsksh', FLOOR_WRK, no_errors)}, socket errors {'none' if no_errors else 'some'}")
    print("  new connections: ab -n 10000 -c 50, no keep-alive:")
    for key, name in (("conn jsksh", "jsksh httpd (TAP)"), ("conn node", "Node http (lo)")):
        if r.get(key):
            print(
                f"    {name:20} {spread(col(key, 'rps')):>24} conn/s   p50 {spread(col(key, 'p50'))} ms"
                f"   p99 {spread(col(key, 'p99'))} ms   failed {sum(col(key, 'failed'))}"
            )
    print(f"    ratio jsksh / Node   {ratio('conn jsksh', 'conn node'):>24}")
    print(f"    {floor('conn jsksh', FLOOR_CONN, not sum(col('conn jsksh', 'failed')))}")
    if r.get("ab jsksh"):
        print("  ab -k -n 2000 -c 8, a 13-byte file (ab's percentiles are whole ms):")
        for key, name in (("ab jsksh", "jsksh httpd (TAP)"), ("ab node", "Node http (lo)")):
            if r.get(key):
                print(
                    f"    {name:20} {spread(col(key, 'rps')):>24} req/s   p50 {spread(col(key, 'p50'))} ms"
                    f"   p99 {spread(col(key, 'p99'))} ms   failed {sum(col(key, 'failed'))}"
                )
        print(f"    ratio jsksh / Node   {ratio('ab jsksh', 'ab node'):>24}")

    def ok(key):
        return [x for x in r.get(key, []) if x is not None]

    if r.get("bulk from httpd"):
        print("  16 MiB in one response, MB/s:")
        if r.get("bulk guest curl"):
            print(f"    guest curl <- Node (TAP)      {spread(ok('bulk guest curl'), '{:.1f}')}")
            print(f"    host curl  <- Node (lo)       {spread(ok('bulk host curl'), '{:.1f}')}")
            pairs = zip(r["bulk guest curl"], r["bulk host curl"], strict=True)
            ratios = [a / b for a, b in pairs if a is not None and b is not None]
            print(f"    ratio guest / host curl       {spread(ratios, '{:.3f}')}")
        print(f"    host curl  <- jsksh httpd (TAP) {spread(ok('bulk from httpd'), '{:.1f}')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument(
        "--floors", action="store_true", help="only the issue's two workloads and their anchors"
    )
    args = parser.parse_args()
    main(args.rounds, args.floors)
