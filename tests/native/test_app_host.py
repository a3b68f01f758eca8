"""The native core's app host, driven directly as the kernel would drive it."""

from __future__ import annotations

import json
import threading
import time

import pytest

from jsksh import image
from jsksh.machine.machine import app_runtime_sources
from jsksh.native import frames
from jsksh.native.app_host import AppHost
from tests.native.kernel_side import OutputPipes, spawn_with_output, start_message


class KernelSide:
    """Collects app -> kernel messages the way the kernel's IPC interrupt does,
    and what apps write to their output pipes, the way its pumps do."""

    def __init__(self):
        self.mail = threading.Event()
        self.messages: list[tuple[int, dict]] = []
        self.partial: dict[int, bytes] = {}
        self.output = OutputPipes()

    def collect(self, host: AppHost, until, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not until(self.messages):
            assert time.monotonic() < deadline, f"timed out; got {self.messages}"
            self.mail.wait(0.05)
            self.mail.clear()
            self.output.drain(host, self.messages)
            for pid, piece, more in host.take_for_kernel(65536):
                data = self.partial.pop(pid, b"") + piece
                if more:
                    self.partial[pid] = data
                    continue
                msg = json.loads(data)
                if pid == 0 and msg.get("t") == "ready":
                    continue  # a pipe changed: the next drain reads it
                if msg.get("t") == "exit":
                    self.output.drain(host, self.messages, only=pid)  # what it wrote comes first
                self.messages.append((pid, msg))
        return self.messages


@pytest.fixture()
def host():
    kernel = KernelSide()
    h = AppHost(
        app_runtime_sources(image.members(image.build())), kernel.mail.set, pool_size=1, limits={"cpu": 2.0}
    )
    h.kernel = kernel
    yield h
    h.shutdown()


def start(pid, source, **extra):
    return json.dumps(start_message(pid, source, **extra)).encode()


def spawn(host, pid, source, limits=None):
    spawn_with_output(host, host.kernel.output, pid, source, limits)


def exited(pid):
    return lambda msgs: any(p == pid and m["t"] == "exit" for p, m in msgs)


def test_app_output_and_exit_reach_the_kernel(host):
    spawn(host, 5, "module.exports = async (argv) => { sys.print('hello', argv[0]); return 3; };")
    msgs = [m for p, m in host.kernel.collect(host, exited(5)) if p == 5]
    assert {"t": "write", "fd": 1, "data": "hello t\n"} in msgs
    assert msgs[-1] == {"t": "exit", "code": 3}


def test_a_message_larger_than_the_page_arrives_whole(host):
    spawn(host, 6, "sys.stdout.write('é'.repeat(40000));")
    msgs = host.kernel.collect(host, exited(6))
    text = "".join(m["data"] for p, m in msgs if m["t"] == "write")
    assert text == "é" * 40000


def test_spawn_cannot_loosen_the_machines_limits(host):
    spawn(
        host,
        7,
        "module.exports = () => new Promise(() => {});",
        limits={"cpu": 1e9, "heap": 2**40, "external": 32 << 20},
    )
    deadline = time.monotonic() + 10
    while 7 not in host.apps:  # the spawn may wait for the pool's first isolate
        assert time.monotonic() < deadline
        time.sleep(0.01)
    app = host.apps[7]
    assert app.limits["cpu"] == 2.0
    assert app.limits["heap"] == 64 << 20
    assert app.limits["external"] == 32 << 20  # tighter is allowed


def test_cpu_limit_kills_a_loop_in_a_promise_callback(host):
    spawn(
        host,
        8,
        "module.exports = () => { Promise.resolve().then(() => { for (;;) {} }); return new Promise(() => {}); };",
    )
    msgs = host.kernel.collect(host, exited(8), timeout=20)
    (exit_msg,) = [m for p, m in msgs if p == 8 and m["t"] == "exit"]
    assert exit_msg["code"] == 152  # 128 + SIGXCPU
    assert "CPU time limit exceeded" in exit_msg["reason"]
    assert 8 not in host.apps


def test_messages_to_an_app_and_kill(host):
    spawn(host, 9, "module.exports = async () => { const v = await sys.call('x.y', {}); sys.print(v); };")
    msgs = host.kernel.collect(host, lambda ms: any(m.get("t") == "call" for _, m in ms))
    call = next(m for _, m in msgs if m.get("t") == "call")
    assert call["op"] == "x.y"
    assert host.send(9, json.dumps({"t": "reply", "id": call["id"], "value": "pong"}).encode()) == 0
    host.kernel.collect(host, exited(9))
    assert {"t": "write", "fd": 1, "data": "pong\n"} in [m for _, m in host.kernel.messages]
    assert host.kill(9) == -3 or 9 not in host.apps
    assert host.send(12345, b"{}") == -3


def test_freed_memory_goes_back_once_isolates_stop_coming_and_going(host):
    trims = []
    host.pool._trim = lambda: trims.append(time.monotonic())
    spawn(host, 10, "module.exports = async () => 0;")
    host.kernel.collect(host, exited(10))
    quiet_from = time.monotonic()
    deadline = quiet_from + 10
    while not trims or trims[-1] < quiet_from:
        assert time.monotonic() < deadline, "malloc_trim never ran after the churn ended"
        time.sleep(0.05)
    # Only after TRIM_QUIET seconds without an isolate made or closed, and once.
    assert trims[-1] - host.pool.churned >= 1.0
    count = len(trims)
    time.sleep(1.5)
    assert len(trims) == count


def spawn_waiting(host, pid):
    """An app that waits for ever, once its start has run: its isolate's box."""
    spawn(host, pid, "module.exports = () => new Promise(() => {});")
    deadline = time.monotonic() + 10
    while pid not in host.apps or host.apps[pid].box.in_flight:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return host.apps[pid].box


def test_recv_says_whether_more_messages_wait_than_fit(host):
    # The runtime stops taking messages once a RECV has emptied the inbox
    # (later ones get a wake of their own), so RECV must say which it was.
    box = spawn_waiting(host, 11)
    with host.lock:  # as if four peer messages had arrived, their wake not yet run
        box.inbox.extend((3, b"x" * 100_000, 0) for _ in range(4))
        box.wake_posted = True
    assert host._to_app_page(box) == (2, 1)  # a 256 KiB page holds two
    assert box.wake_posted
    assert host._to_app_page(box) == (2, 0)
    assert not box.wake_posted  # the next message posts a new wake


def test_a_frame_longer_than_what_was_sent_kills_the_app_not_the_host(host):
    # Only a broken or hostile runtime can build one (apps never reach __sys),
    # so the app is stopped with a message and the kernel is told, as for a limit.
    box = spawn_waiting(host, 12)

    frames.HEADER.pack_into(box.page, 64, 0, 5000, 0)  # says 5000 bytes follow; 10 do
    assert host._post(box, box.page, frames.FRAME + 10) == 0
    msgs = host.kernel.collect(host, exited(12))
    assert (12, {"t": "exit", "code": 137, "reason": "runtime fault: a malformed message frame"}) in msgs
    spawn(host, 13, "module.exports = () => 4;")  # the host goes on
    assert [m for p, m in host.kernel.collect(host, exited(13)) if p == 13][-1] == {"t": "exit", "code": 4}
