"""The machine's I/O thread (jsksh/machine/ioloop.py): work handed in from
other threads, and what happens to it once the loop has stopped."""

from __future__ import annotations

import os
import threading

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
