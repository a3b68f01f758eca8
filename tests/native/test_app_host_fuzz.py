"""Fuzz: random peer frames delivered into a service isolate's inbox, through the app host.

An app cannot write raw bytes to a peer (the runtime frames every message),
so this drives jsksh/native/app_host.py's AppHost directly, as the kernel
would, and plays a hostile peer: after two apps are connected, thousands of
random frames (random bytes, broken length prefixes, headers of every shape,
bad attachments, pieces with the MORE flag) go straight into the service's
inbox with ``AppHost._deliver``, as if the connected client had posted them.
Afterwards the service must still be alive and answer a real call made by
the client through the normal path (POST trap to POST trap). The seed is in
every failure message; set JSKSH_FUZZ_SEED to replay one.
"""

from __future__ import annotations

import json
import os
import random
import struct
import threading
import time

import pytest

from jsksh import image
from jsksh.machine.machine import app_runtime_sources
from jsksh.native.app_host import AppHost
from jsksh.native.frames import MORE
from tests.native.kernel_side import OutputPipes

SERVICE, CLIENT, STRANGER = 20, 21, 99
FORGED = 10**7  # call ids of forged messages start here
SEED = int(os.environ.get("JSKSH_FUZZ_SEED", "20240607"))


class KernelSide:
    """Plays the kernel: collects app -> kernel messages and answers kernel calls."""

    def __init__(self, host: AppHost):
        self.host = host
        self.mail = threading.Event()
        self.messages: list[tuple[int, dict]] = []
        self.partial: dict[int, bytes] = {}
        self.output = OutputPipes()

    def pump(self) -> None:
        self.output.drain(self.host, self.messages)
        for pid, piece, more in self.host.take_for_kernel(65536):
            data = self.partial.pop(pid, b"") + piece
            if more:
                self.partial[pid] = data
                continue
            msg = json.loads(data)
            if pid == 0 and msg.get("t") == "ready":
                continue
            if msg.get("t") == "exit":
                self.output.drain(self.host, self.messages, only=pid)
            self.messages.append((pid, msg))

    def wait_for(self, pred, timeout=15.0, what="a message"):
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            for pid, msg in self.messages:
                if pred(pid, msg):
                    return pid, msg
            assert time.monotonic() < deadline, f"timed out waiting for {what}; got {self.messages[-20:]}"
            self.mail.wait(0.05)
            self.mail.clear()

    def reply(self, pid: int, call: dict, value) -> None:
        assert self.host.send(pid, json.dumps({"t": "reply", "id": call["id"], "value": value}).encode()) == 0


@pytest.fixture()
def host():
    box = {}
    h = AppHost(app_runtime_sources(image.members(image.build())), lambda: box["k"].mail.set(), pool_size=2)
    box["k"] = KernelSide(h)
    h.kernel = box["k"]
    yield h
    h.shutdown()


def spawn(host: AppHost, pid: int, source: str) -> None:
    start = {
        "t": "start",
        "pid": pid,
        "path": f"/tmp/p{pid}.js",
        "name": f"p{pid}",
        "argv": [f"p{pid}"],
        "source": source,
        "modules": {},
        "tty": {"stdout": False},
    }
    header = json.dumps({"path": f"/tmp/p{pid}.js", "limits": {}}).encode()
    start = host.kernel.output.with_output(host, pid, start)
    assert host.spawn(pid, header, json.dumps(start).encode()) == 0


SERVICE_SOURCE = """
module.exports = async () => {
  let n = 0;
  await sys.services.export('target', {
    ping: (x) => ['pong', x, ++n],
    echo: (...a) => a,
    call: (fn, x) => fn(x),
  });
  sys.print('exported');
  await new Promise(() => {});
};
"""

# The client waits for the kernel's go (a reply to call 'test.go'), then makes one real call.
CLIENT_SOURCE = """
module.exports = async () => {
  const t = await sys.services.connect('target');
  sys.print('connected');
  await sys.call('test.go', {});
  const r = await t.ping('after the fuzz');
  sys.print(JSON.stringify(r));
  const e = await t.echo(1n, [undefined], new Uint8Array([7]), (x) => x);
  sys.print(JSON.stringify([typeof e[0], e[1].length, e[2][0], typeof e[3]]));
  sys.print(JSON.stringify(await t.call((x) => x * 2, 21)));
};
"""


def is_call(op):
    return lambda pid, m: m.get("t") == "call" and m.get("op") == op


def connected_pair(host: AppHost):
    """The service exported 'target' and the client holds a connection to it; returns the call the client waits in."""
    k = host.kernel
    spawn(host, SERVICE, SERVICE_SOURCE)
    _, export = k.wait_for(lambda p, m: p == SERVICE and is_call("svc.export")(p, m), what="svc.export")
    k.reply(SERVICE, export, None)
    k.wait_for(
        lambda p, m: p == SERVICE and m.get("t") == "write" and "exported" in m["data"], what="the export"
    )
    spawn(host, CLIENT, CLIENT_SOURCE)
    _, conn = k.wait_for(lambda p, m: p == CLIENT and is_call("svc.connect")(p, m), what="svc.connect")
    assert host.connect(CLIENT, SERVICE) == 0
    k.reply(
        CLIENT, conn, {"pid": SERVICE, "obj": export["args"]["obj"], "methods": export["args"]["methods"]}
    )
    _, go = k.wait_for(lambda p, m: p == CLIENT and is_call("test.go")(p, m), what="the client's go")
    return export["args"]["obj"], go


# ---- random frames -------------------------------------------------------------------


def random_value(rng: random.Random, obj: int, depth: int = 0):
    r = rng.random()
    if depth > 5 or r < 0.3:
        return rng.choice([None, True, 0, -1, 2**53 + 1, 1e308, "x", "", "$", "é" * rng.randrange(30), -0.0])
    if r < 0.5:
        return [random_value(rng, obj, depth + 1) for _ in range(rng.randrange(4))]
    if r < 0.8:
        tag = {
            "$": rng.choice(
                ["u", "n", "b", "f", "ab", "view", "d", "e", "map", "set", "o", "zz", "", None, 7]
            )
        }
        for key in ("v", "id", "at", "type", "error"):
            if rng.random() < 0.4:
                tag[key] = random_value(rng, obj, depth + 1)
        if rng.random() < 0.4:
            tag["at"] = rng.choice([-1, 0, 1, 99, 2**32, 0.5, "0"])
        if rng.random() < 0.4:
            tag["id"] = rng.choice([-1, 0, obj, 2**60, "1", 1.5])
        if rng.random() < 0.3:
            tag["type"] = rng.choice(["Float64Array", "DataView", "Object", "__proto__", "BigInt64Array"])
        return tag
    keys = ["a", "then", "__proto__", "constructor", "$", "k", "id"]
    return {rng.choice(keys): random_value(rng, obj, depth + 1) for _ in range(rng.randrange(4))}


def random_header(rng: random.Random, obj: int) -> dict:
    """Mostly well-formed envelopes (so the values inside reach decode), with junk mixed in."""
    sound = rng.random() < 0.6
    h = {"k": "call" if sound else rng.choice(["ret", "drop", "", None, 1, "CALL", "call"])}
    # Never a small positive id: the forged calls come "from" the real client,
    # and the service's answers to them must not settle the client's own calls.
    if sound or rng.random() < 0.8:
        h["id"] = (
            rng.randrange(FORGED, 2 * FORGED)
            if sound
            else rng.choice([FORGED, 0, -1, 2**53, 2**64, "1", 1.5, None])
        )
    if sound or rng.random() < 0.8:
        h["obj"] = obj if sound and rng.random() < 0.8 else rng.choice([obj, 0, -1, 999, "1", None, 1.5])
    if sound or rng.random() < 0.8:
        methods = ["ping", "echo", "call"]
        h["method"] = rng.choice(
            methods
            if sound and rng.random() < 0.8
            else [*methods, "toString", "constructor", "__proto__", "", None, 3]
        )
    if sound or rng.random() < 0.8:
        h["args"] = (
            [random_value(rng, obj) for _ in range(rng.randrange(5))]
            if sound or rng.random() < 0.8
            else random_value(rng, obj)
        )
    for key in ("value", "error", "ids"):
        if rng.random() < 0.15:
            h[key] = random_value(rng, obj)
    return h


def frame(header_json: bytes, attachments: list[bytes], *, lie: int | None = None) -> bytes:
    """A peer message: u32 header length (or a lie), header, then per attachment u32 length, bytes."""
    out = struct.pack("<I", len(header_json) if lie is None else lie) + header_json
    for a in attachments:
        out += struct.pack("<I", len(a)) + a
    return out


def deep_call(obj: int, depth: int) -> bytes:
    return frame(
        b'{"k":"call","id":%d,"obj":%d,"method":"echo","args":[' % (FORGED, obj)
        + b"[" * depth
        + b"]" * depth
        + b"]}",
        [],
    )


def random_frame(rng: random.Random, obj: int) -> bytes:
    kind = rng.random()
    if kind < 0.15:  # noise
        return rng.randbytes(rng.randrange(0, 200))
    if kind < 0.2:  # a length prefix that lies, or a truncated attachment
        body = json.dumps(random_header(rng, obj)).encode()
        if rng.random() < 0.5:
            return frame(body, [], lie=rng.choice([0, 1, len(body) + 50, 2**32 - 1]))
        return frame(body, []) + struct.pack("<I", rng.choice([5, 2**31, 2**32 - 1])) + b"ab"
    if kind < 0.25:  # not JSON, or not UTF-8
        return frame(rng.choice([b"{", b"\xff\xfe\x00", b"nul\x00l", b"[" * 5000, b'"\\ud800"']), [])
    if kind < 0.28:  # nesting deeper than decode allows
        return deep_call(obj, rng.choice([65, 70, 5000]))
    if kind < 0.3:  # a huge string argument
        return frame(
            json.dumps(
                {"k": "call", "id": FORGED, "obj": obj, "method": "echo", "args": ["x" * 200000]}
            ).encode(),
            [],
        )
    attachments = [rng.randbytes(rng.randrange(0, 40)) for _ in range(rng.randrange(3))]
    return frame(json.dumps(random_header(rng, obj)).encode(), attachments)


def drained(host: AppHost, app) -> None:
    """Wait until `app` has read its inbox and is running nothing."""
    deadline = time.monotonic() + 10
    while True:
        with host.lock:
            if not app.box.inbox and not app.box.in_flight:
                break
        assert time.monotonic() < deadline, f"seed {SEED}: the service stopped reading its inbox"
        time.sleep(0.005)
    host.kernel.pump()


def test_random_frames_do_not_break_a_service(host, capfd):
    obj, go = connected_pair(host)
    rng = random.Random(SEED)
    with host.lock:
        service = host.apps[SERVICE]
        # Deeper than JSON.parse's recursion could go, were it recursive. (Only one:
        # each such header is some 10 MiB of heap until the batch's replies are sent,
        # so a batch of them ends the service at its heap limit: see the report.)
        host._deliver(service, CLIENT, deep_call(obj, 200000))
    for i in range(3000):
        data = random_frame(rng, obj)
        sender = rng.choice([CLIENT, CLIENT, STRANGER])
        more = MORE if rng.random() < 0.05 else 0
        with host.lock:
            host._deliver(service, sender, data, more)
        if i % 200 == 0:  # let the isolate drain, so the inbox never holds the whole fuzz
            drained(host, service)
    # A piece with MORE waits for the rest of its message: end every sender's sequence.
    with host.lock:
        for sender in (CLIENT, STRANGER):
            host._deliver(service, sender, frame(b"{}", []), 0)
    drained(host, service)
    with host.lock:
        answered = host.apps[CLIENT].msgs_in  # mostly the service's answers to the forged calls
    assert answered > 500, f"seed {SEED}: the service answered only {answered} forged calls"

    host.kernel.reply(CLIENT, go, None)
    k = host.kernel
    _, out = k.wait_for(
        lambda p, m: p == CLIENT and m.get("t") == "exit", timeout=20, what=f"the client's exit (seed {SEED})"
    )
    client_out = "".join(m["data"] for p, m in k.messages if p == CLIENT and m.get("t") == "write")
    assert out["code"] == 0, f"seed {SEED}: client exit {out}; output {client_out!r}"
    lines = client_out.splitlines()
    assert json.loads(lines[1])[:2] == ["pong", "after the fuzz"], f"seed {SEED}: {client_out!r}"
    assert json.loads(lines[2]) == ["bigint", 1, 7, "function"], f"seed {SEED}: {client_out!r}"
    assert json.loads(lines[3]) == 42, f"seed {SEED}: {client_out!r}"
    assert not [m for p, m in k.messages if p == SERVICE and m.get("t") == "exit"], (
        f"seed {SEED}: the service exited"
    )
    with host.lock:
        assert SERVICE in host.apps, f"seed {SEED}: the service is gone"
    service_err = "".join(
        m["data"] for p, m in k.messages if p == SERVICE and m.get("t") == "write" and m.get("fd") == 2
    )
    assert service_err == "", f"seed {SEED}: the service printed errors: {service_err[:2000]}"
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "Uncaught" not in captured.out + captured.err, (
        f"seed {SEED}: {captured}"
    )


def test_pieces_of_a_message_from_a_sender_that_dies_do_not_break_the_service(host):
    """A sender killed in the middle of a long message leaves its first pieces behind; other peers still get answers."""
    obj, go = connected_pair(host)
    with host.lock:
        service = host.apps[SERVICE]
        body = frame(
            json.dumps(
                {"k": "call", "id": FORGED, "obj": obj, "method": "ping", "args": ["x" * 50000]}
            ).encode(),
            [],
        )
        host._deliver(service, STRANGER, body[:20000], MORE)
        host._deliver(service, STRANGER, body[20000:40000], MORE)
    host.kernel.reply(CLIENT, go, None)
    _, out = host.kernel.wait_for(lambda p, m: p == CLIENT and m.get("t") == "exit", what="the client's exit")
    assert out["code"] == 0
    text = "".join(m["data"] for p, m in host.kernel.messages if p == CLIENT and m.get("t") == "write")
    assert json.loads(text.splitlines()[1]) == ["pong", "after the fuzz", 1]
