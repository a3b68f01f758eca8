"""The machine's I/O thread (jsksh/machine/ioloop.py): work handed in from
other threads, and what happens to it once the loop has stopped."""

from __future__ import annotations

import os
import threading
import time

from jsksh.machine.ioloop import IOLoop


def test_call_soon_runs_on_the_loop_thread():
    loop = IOLoop()
    ran = threading.Event()
    where = []
    loop.call_soon(lambda: (where.append(threading.current_thread().name), ran.set()))
    assert ran.wait(2)
    assert where == ["jsksh-io"]
    loop.stop()


def test_call_soon_after_stop_touches_no_file_descriptor():
    # The loop closes its wake pipe when it stops. A late call_soon (a backend
    # closing during shutdown) once wrote to the closed fd: EBADF and a
    # traceback in about one `jsksh run` in 160, or a byte written into
    # whatever file had just been given the same number.
    loop = IOLoop()
    old = (loop._wake_r, loop._wake_w)
    loop.stop()
    r, w = os.pipe()  # the lowest free numbers: very likely the ones just closed
    try:
        os.set_blocking(r, False)
        loop.call_soon(lambda: None)  # must neither raise nor write
        if w in old or r in old:
            try:
                data = os.read(r, 16)
            except BlockingIOError:
                data = b""
            assert data == b""
    finally:
        os.close(r)
        os.close(w)


def test_call_later_runs_after_its_delay_in_deadline_order():
    loop = IOLoop()
    done = threading.Event()
    ran = []
    started = time.monotonic()
    loop.call_later(0.06, lambda: (ran.append(("late", time.monotonic() - started)), done.set()))
    loop.call_later(0.02, lambda: ran.append(("early", time.monotonic() - started)))
    loop.call_later(0.02, lambda: ran.append(("early, second", time.monotonic() - started)))
    assert done.wait(2)
    loop.stop()
    assert [name for name, _ in ran] == ["early", "early, second", "late"]
    assert ran[0][1] >= 0.02 and ran[2][1] >= 0.06
    assert ran[2][1] < 0.4, "the loop slept past the deadline (select's 0.5 s timeout)"


def test_call_later_from_the_loop_thread_and_after_stop():
    loop = IOLoop()
    done = threading.Event()
    loop.call_soon(lambda: loop.call_later(0.01, done.set))
    assert done.wait(2)
    loop.stop()
    loop.call_later(0, lambda: None)  # after stop: ignored, no error
