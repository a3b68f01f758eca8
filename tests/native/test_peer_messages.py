"""Messages between app isolates, as the native core carries them (RPC's transport).

The kernel connects two apps; their runtimes then POST straight to each
other.  These tests drive jsksh/native/app_host.py as the kernel would."""

from __future__ import annotations

import json

import pytest

from jsksh import image
from jsksh.machine.machine import app_runtime_sources
from jsksh.native.app_host import AppHost
from tests.native.test_app_host import KernelSide, exited, spawn

# A service whose answers wait until the test lets it go (via a kernel call's reply).
SERVICE = """
module.exports = async () => {
  await sys.services.export('t', {
    echo: (x) => x,
    slow: async (x) => { await sys.call('test.gate', {}); return x; },
  });
  await new Promise(() => {});
};
"""

# The kernel side of services.export/connect, answered by the test.
CLIENT = """
module.exports = async () => {
  const t = await sys.services.connect('t');
  %s
};
"""


@pytest.fixture()
def host():
    kernel = KernelSide()
    h = AppHost(app_runtime_sources(image.members(image.build())), kernel.mail.set, pool_size=2)
    h.kernel = kernel
    yield h
    h.shutdown()


def calls(op):
    return lambda msgs: any(m.get("t") == "call" and m.get("op") == op for _, m in msgs)


def answer(host, pid, op, value):
    """Reply to the first unanswered kernel call ``op`` from ``pid``."""
    for p, m in host.kernel.messages:
        if p == pid and m.get("t") == "call" and m.get("op") == op and not m.get("answered"):
            m["answered"] = True
            host.send(pid, json.dumps({"t": "reply", "id": m["id"], "value": value}).encode())
            return m
    raise AssertionError(f"no call {op} from {pid}")


def connect(host, service_pid, client_pid, client_body, limits=None):
    spawn(host, service_pid, SERVICE)
    exp = host.kernel.collect(host, calls("svc.export"))
    exported = next(m for p, m in exp if m.get("op") == "svc.export")
    answer(host, service_pid, "svc.export", None)
    spawn(host, client_pid, CLIENT % client_body, limits)
    host.kernel.collect(host, lambda ms: any(p == client_pid and m.get("op") == "svc.connect" for p, m in ms))
    assert host.connect(client_pid, service_pid) == 0
    args = exported["args"]
    answer(
        host, client_pid, "svc.connect", {"pid": service_pid, "obj": args["obj"], "methods": args["methods"]}
    )


def output(host, pid):
    return "".join(m["data"] for p, m in host.kernel.messages if p == pid and m.get("t") == "write")


def test_a_call_goes_straight_to_the_peer_and_back(host):
    connect(host, 10, 11, "sys.print(JSON.stringify(await t.echo({a: [1, 'x']})));")
    host.kernel.collect(host, exited(11))
    assert output(host, 11) == '{"a":[1,"x"]}\n'
    # The messages never went through the kernel: it saw only the client's own calls.
    assert not any(m.get("t") == "peer" for _, m in host.kernel.messages)
    stats = host.stats()["10"]
    assert stats["in"] >= 2 and stats["out"] >= 1  # start + the call in; the answer out


def test_posting_to_an_app_that_is_not_connected_fails(host):
    spawn(host, 20, SERVICE)
    host.kernel.collect(host, calls("svc.export"))
    # The client believes it may call pid 20, but the kernel never connected them.
    spawn(host, 21, CLIENT % "try { await t.echo(1); } catch (e) { sys.print(e.code); }")
    host.kernel.collect(host, calls("svc.connect"))
    answer(host, 21, "svc.connect", {"pid": 20, "obj": 1, "methods": ["echo"]})
    # The proxy retries once through svc.connect when the first post fails with ESRCH.
    host.kernel.collect(
        host, lambda ms: sum(1 for p, m in ms if p == 21 and m.get("op") == "svc.connect") == 2
    )
    answer(host, 21, "svc.connect", {"pid": 20, "obj": 1, "methods": ["echo"]})
    host.kernel.collect(host, exited(21))
    assert output(host, 21) == "ESRCH\n"


def test_a_peer_that_dies_mid_call_fails_the_call(host):
    connect(host, 30, 31, "try { await t.slow(1); } catch (e) { sys.print(e.code, e.message); }")
    host.kernel.collect(host, lambda ms: any(p == 30 and m.get("op") == "test.gate" for p, m in ms))
    host.kill(30)
    host.kernel.collect(host, exited(31))
    code, message = output(host, 31).split(" ", 1)
    assert code == "ECONNRESET"
    assert "pid 30" in message


def test_a_full_inbox_blocks_the_sender_until_it_drains(host):
    # The service answers nothing until the gate opens; its inbox holds 8.
    body = "const all = []; for (let i = 0; i < 40; i++) all.push(t.slow(i)); sys.print((await Promise.all(all)).length);"
    spawn(host, 40, SERVICE, {"queue": 8})
    exp = host.kernel.collect(host, calls("svc.export"))
    args = next(m for p, m in exp if m.get("op") == "svc.export")["args"]
    answer(host, 40, "svc.export", None)
    spawn(host, 41, CLIENT % body)
    host.kernel.collect(host, calls("svc.connect"))
    assert host.connect(41, 40) == 0
    answer(host, 41, "svc.connect", {"pid": 40, "obj": args["obj"], "methods": args["methods"]})
    opened = 0
    while opened < 40:
        gates = host.kernel.collect(
            host,
            lambda ms, seen=opened: sum(1 for p, m in ms if p == 40 and m.get("op") == "test.gate") > seen,
        )
        # Back-pressure: never more peer messages wait than the limit (the
        # kernel's answers to the gate are never held back, so count only peers').
        with host.lock:
            waiting = sum(1 for sender, _, _ in host.apps[40].box.inbox if sender != 0)
        assert waiting <= 8
        for p, m in gates:
            if p == 40 and m.get("op") == "test.gate" and not m.get("answered"):
                answer(host, 40, "test.gate", None)
                opened += 1
    host.kernel.collect(host, exited(41))
    assert output(host, 41) == "40\n"
