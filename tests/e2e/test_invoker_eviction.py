"""Workers evicted least recently used when the machine's memory runs short.

A machine whose apps may use 100 MiB in all (`--limit memory=100M`), and
workers that each hold 16 MiB from the moment their code is evaluated.  The
tenth such worker puts the machine over its budget; the registry then stops
idle worker isolates, least recently used first (docs/architecture.md,
"Memory pressure and eviction"), and a request to an evicted worker starts
it again in a fresh isolate, its module state new.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.test_invoker import booted_invoker, request, wait_for_invoker

HOLDS_16_MIB = "const held = new Uint8Array(16 << 20).fill(7); let n = 0;\nexport default { fetch: () => new Response(`%s ${++n} ${held[5]}`) };"


@pytest.fixture(scope="module")
def machine():
    with booted_invoker("--limit", "memory=100M") as m:
        wait_for_invoker(m)
        yield m


def evicted(machine) -> list[str]:
    """Workers evicted so far, in order, from the kernel log (spares left out)."""
    found = re.findall(r"svc: evicted w\.([a-z0-9_-]+)\.", machine.run("dmesg")[1])
    return [name for name in found if name != "spare"]


def test_idle_workers_are_evicted_least_recently_used_first_and_start_again(machine):
    for i in range(10):
        status, _, body = request("PUT", f"/workers/e{i}", HOLDS_16_MIB % f"e{i}")
        assert status == 201, body
        assert request("GET", f"/e{i}/")[2] == f"e{i} 1 7".encode()
    deadline = time.monotonic() + 20
    while not evicted(machine):
        assert time.monotonic() < deadline, machine.run("dmesg")[1]
        time.sleep(0.2)
    gone = evicted(machine)
    # Least recently used first: the workers went in the order they were last used.
    assert gone == [f"e{i}" for i in range(len(gone))], gone
    # One still there is warm: the same isolate, its count goes on.
    kept = [f"e{i}" for i in range(10) if f"e{i}" not in gone]
    if kept:
        assert request("GET", f"/{kept[-1]}/")[2] == f"{kept[-1]} 2 7".encode()
    # An evicted one answers from a fresh isolate: its count starts again.
    for name in gone:
        status, _, body = request("GET", f"/{name}/")
        assert (status, body) == (200, f"{name} 1 7".encode())
    status, out, _ = machine.run("dmesg")
    assert "over the 100.0 MiB budget" in out
    # The invoker itself is a service too, idle as far as service calls show,
    # but it holds the sockets its HTTP clients use: never evicted.
    assert "svc: evicted invoker" not in out, out
    assert request("GET", "/workers")[0] == 200
