"""The machine's tracer (jsksh/native/tracer.py): its ring, its owner, and the names it reads from messages.

Time is injected: the tests hand the tracer a clock they move by hand."""

from __future__ import annotations

import json

from jsksh.native.tracer import Tracer, message_name


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_off_by_default_and_records_only_once_started():
    tracer = Tracer(Clock())
    assert tracer.on is False
    assert tracer.start("guest", 100) is True
    tracer.emit("trap", "kernel", "CLOCK", 0.5, 0.000002)
    assert tracer.snapshot()["events"] == [[0.5, 0.000002, "trap", "kernel", "CLOCK", 0, ""]]


def test_a_second_start_is_refused_until_the_first_stops():
    tracer = Tracer(Clock())
    assert tracer.start("host", 100)
    assert tracer.start("guest", 100) is False
    assert tracer.owner == "host"
    tracer.stop()
    assert tracer.start("guest", 100) and tracer.owner == "guest"


def test_a_full_ring_keeps_the_first_events_and_counts_the_rest():
    tracer = Tracer(Clock())
    tracer.start("guest", 16)  # the smallest ring
    for i in range(40):
        tracer.emit("kick", "virtio-net.tx", "QueueNotify", float(i))
    snap = tracer.snapshot()
    assert [e[0] for e in snap["events"]] == [float(i) for i in range(16)]
    assert snap["dropped"] == 24 and snap["capacity"] == 16


def test_starting_again_empties_the_ring():
    tracer = Tracer(Clock())
    tracer.start("guest", 16)
    tracer.emit("kick", "q", "QueueNotify", 1.0)
    tracer.stop()
    tracer.start("guest", 16)
    assert tracer.snapshot()["events"] == [] and tracer.snapshot()["dropped"] == 0


def test_events_come_out_in_time_order_though_threads_append_out_of_it():
    tracer = Tracer(Clock())
    tracer.start("guest", 100)
    tracer.emit("post", "kernel", "__irq", 2.0, 0.5)  # appended when it ended
    tracer.emit("trap", "kernel", "IRQ_CLAIM", 2.1, 0.0001)
    tracer.emit("irq", "machine", "line 1", 1.9)
    assert [e[4] for e in tracer.snapshot()["events"]] == ["line 1", "__irq", "IRQ_CLAIM"]


def test_the_snapshot_is_read_in_slices_that_join_to_its_json():
    clock = Clock()
    tracer = Tracer(clock)
    clock.t = 3.0
    tracer.start("guest", 100)
    for i in range(50):
        tracer.emit("msg", "pid 7 cat", "-> kernel", 3.0 + i / 1000, 0.0, 12, "call fs.read")
    clock.t = 4.0
    tracer.stop()
    total, first = tracer.read(0, 1000)
    parts, at = [first], len(first)
    while at < total:
        _, piece = tracer.read(at, 1000)
        parts.append(piece)
        at += len(piece)
    snap = json.loads(b"".join(parts))
    assert total > 1000 and len(snap["events"]) == 50
    assert snap["started"] == 3.0 and snap["stopped"] == 4.0 and snap["recording"] is False
    assert snap["fields"] == ["time", "dur", "kind", "track", "name", "size", "detail"]


def test_a_message_is_named_by_its_type_and_a_calls_op():
    assert message_name(b'{"t":"call","id":4,"op":"fs.open","args":{}}') == "call fs.open"
    assert message_name(b'{"t":"exit","status":0}') == "exit"
    assert message_name(b'{"t":"reply","id":4,"value":{}}') == "reply"


def test_a_message_that_is_not_one_is_named_with_a_question_mark():
    assert message_name(b"") == "?"
    assert message_name(b"\xff\xfe binary") == "?"
    assert message_name(b'{"t":"' + b"x" * 40 + b'"}') == "?"  # longer than any type: not read
