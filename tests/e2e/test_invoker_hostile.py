"""1,000 hostile invocations, mixed, while a well-behaved worker keeps answering.

Issue 14's bad-input case: synchronous loops, loops inside promise callbacks
and timers, heap bombs, ArrayBuffer and WebAssembly memory bombs, a response
that never ends, a request that never answers, a throw, a worker looking for
`sys` and the kernel, and deploys that must fail (a syntax error, a throw at
import, a loop at import) or that are merely large (a 10 MB script).  Each is
answered with its status, each CPU kill happened within twice its budget
(measured on the isolate's CPU clock, which the machine reports, not the
wall clock), the steady worker never failed, and afterwards the machine's
app processes, V8 isolates and threads are back where they were.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import random
import re
import threading
import time
from pathlib import Path

import pytest

from tests.e2e import test_invoker
from tests.e2e.test_invoker import booted_invoker, request, wait_for_invoker

pytestmark = pytest.mark.slow

# name -> (source, deploy settings, what a call must get: status and a piece of the body)
HOSTILE = {
    "loop": ("export default { fetch() { for (;;) {} } };", "", (503, b"exceeded CPU time limit")),
    "promise-loop": (
        "export default { async fetch() { await null; for (;;) {} } };",
        "",
        (503, b"exceeded CPU time limit"),
    ),
    "timer-loop": (
        "export default { fetch() { return new Promise(() => setTimeout(() => { for (;;) {} }, 1)); } };",
        "",
        (503, b"exceeded CPU time limit"),
    ),
    "heap-bomb": (
        "const a = []; export default { fetch() { for (;;) a.push(new Array(100000).fill({x: 1})); } };",
        "memory=16M&cpu=10s",
        (503, b"exceeded memory limit"),
    ),
    "buffer-bomb": (
        "const a = []; export default { fetch() { for (;;) a.push(new ArrayBuffer(1 << 20)); } };",
        "memory=16M&cpu=10s",
        (503, b"exceeded memory limit"),
    ),
    "wasm-bomb": (
        "export default { fetch() { const m = new WebAssembly.Memory({ initial: 1 }); for (;;) m.grow(16); } };",
        "memory=16M&cpu=10s",
        (503, b"exceeded memory limit"),
    ),
    "endless": (
        "export default { fetch() { return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(65536)); } })); } };",
        "response=256k&cpu=5s",
        (200, "cut"),
    ),
    "fetch-storm": (
        "export default { async fetch() { await Promise.all(Array.from({ length: 1000 }, () => fetch('http://10.0.2.2:9/'))); } };",
        "cpu=1s",
        (500, b"Too many subrequests."),
    ),
    "stuck": (
        "export default { fetch() { return new Promise(() => {}); } };",
        "wall=200ms",
        (503, b"wall time limit"),
    ),
    "throws": ("export default { fetch() { throw new Error('no'); } };", "", (500, b"error code: 1101")),
    "nosy": (
        "export default { fetch() { return new Response([typeof sys, typeof __sys, typeof require, typeof __rt].join()); } };",
        "",
        (200, b"undefined,undefined,undefined,undefined"),
    ),
}

BAD_DEPLOYS = {
    "syntax": ("export default { fetch() { return new Response('x' } };", (400, b"SyntaxError")),
    "import-throw": ("throw new Error('at import');\nexport default {};", (400, b"Error: at import")),
    "import-loop": ("for (;;) {}\nexport default {};", (400, b"CPU time limit exceeded")),
}
BIG_SCRIPT = (
    "/*" + "x" * (10_000_000 - 100) + "*/\nexport default { fetch: () => new Response('big') };"
).encode()


def call(name: str) -> tuple[int, bytes]:
    """One invocation: (status, body), with 'cut' for a body the invoker cut short."""
    conn = http.client.HTTPConnection("127.0.0.1", test_invoker.FWD, timeout=30)
    try:
        conn.request("GET", f"/{name}/")
        r = conn.getresponse()
        try:
            return r.status, r.read()
        except http.client.IncompleteRead:
            return r.status, "cut"
    finally:
        conn.close()


ROOT = Path(__file__).resolve().parents[2]


def counts(machine) -> dict:
    """App processes, V8 isolates (apart from the warm pool) and threads of the machine process."""
    status, out, err = machine.run("eval 'sys.print(JSON.stringify((await sys.kernel.info()).memory))'")
    assert status == 0, err
    memory = json.loads(out.splitlines()[0])
    status, out, _ = machine.run("ps")
    with open(f"/proc/{machine.proc.pid}/status") as f:
        threads = next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    # A V8 isolate lives on a thread of its own, warm in the pool or running an app; the
    # pool grows for a burst and shrinks when spawning is quiet, so it is counted apart.
    return {
        "processes": len(out.splitlines()) - 1,
        "apps": memory["isolates"],
        "threads besides the isolates": threads - memory["isolates"] - memory["pool"],
    }


# How many spare isolates the invoker keeps (apps/invoker.js, SPARES): it
# tops them up 30 ms after the last deploy.
SPARES = int(re.search(r"^const SPARES = (\d+);", (ROOT / "apps/invoker.js").read_text(), re.M).group(1))


def spares_ready(machine) -> None:
    """Until all the invoker's spare isolates run."""
    deadline = time.monotonic() + 20
    while len(re.findall(r"^w\.spare\.\d+\s+\d+\s+running", machine.run("svc list")[1], re.M)) < SPARES:
        assert time.monotonic() < deadline, machine.run("svc list")[1]
        time.sleep(0.1)


@pytest.fixture(scope="module")
def machine():
    with booted_invoker() as m:
        wait_for_invoker(m)
        yield m


def test_a_thousand_hostile_invocations_are_each_stopped_and_the_rest_keeps_answering(machine):
    assert (
        request(
            "PUT", "/workers/steady", "let n = 0; export default { fetch: () => new Response(`ok ${++n}`) };"
        )[0]
        == 201
    )
    assert request("GET", "/steady/")[2] == b"ok 1"
    spares_ready(machine)  # the deploy took a spare; its replacement is part of the baseline
    before = counts(machine)

    for name, (source, settings, _) in HOSTILE.items():
        status, _, body = request("PUT", f"/workers/{name}{'?' + settings if settings else ''}", source)
        assert status == 201, (name, body)
    for name, (source, (status, piece)) in BAD_DEPLOYS.items():
        got, _, body = request("PUT", f"/workers/{name}", source)
        assert got == status and piece in body, (name, got, body)
        assert request("GET", f"/{name}/")[0] == 404  # nothing half-deployed
    status, _, body = request("PUT", "/workers/big", BIG_SCRIPT, timeout=120)
    assert status == 201, body
    assert call("big") == (200, b"big")

    # The steady worker is called all along, from a thread of its own.
    stop = threading.Event()
    steady: list[tuple[int, bytes]] = []

    def keep_calling():
        while not stop.is_set():
            steady.append(call("steady"))

    caller = threading.Thread(target=keep_calling)
    caller.start()
    rng = random.Random(14)
    names = [rng.choice(list(HOSTILE)) for _ in range(1000)]
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(call, names))
    finally:
        stop.set()
        caller.join()

    for name, (status, body) in zip(names, results, strict=True):
        want_status, piece = HOSTILE[name][2]
        if status != want_status:
            logs = request("GET", f"/workers/{name}/logs")[2].decode(errors="replace").splitlines()
            raise AssertionError(
                (name, status, body, [line for line in logs if "CPU time limit (" not in line][-10:])
            )
        assert body == "cut" if piece == "cut" else piece in body, (name, body)
    assert steady and all(s == 200 and b.startswith(b"ok ") for s, b in steady), [
        r for r in steady if r[0] != 200
    ][:5]

    # Each CPU kill within twice its budget, by the isolate's own clock.
    for name in ("loop", "promise-loop", "timer-loop"):
        _, _, logs = request("GET", f"/workers/{name}/logs")
        kills = re.findall(rb"\((\d+) ms budget, (\d+) ms used\)", logs)
        assert kills, logs[-2000:]
        for budget, used in kills:
            assert int(used) <= 2 * int(budget), (name, budget, used)

    # Removing the hostile workers leaves the machine as it was.
    for name in [*HOSTILE, "big"]:
        assert request("DELETE", f"/workers/{name}")[0] == 200

    # (The machine's own threads besides the isolates' may be fewer: the control port's come and go.)
    def back(after):
        return all(after[k] == before[k] for k in ("processes", "apps")) and (
            after["threads besides the isolates"] <= before["threads besides the isolates"]
        )

    spares_ready(machine)
    deadline = time.monotonic() + 30
    while not back(after := counts(machine)):
        assert time.monotonic() < deadline, (before, after)
        time.sleep(0.5)
    assert call("steady")[0] == 200
