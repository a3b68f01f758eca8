"""The serial port's host side: one client, a busy second, replay, early input."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from jsksh.machine.chardev import Chardev
from jsksh.machine.ioloop import IOLoop


@pytest.fixture()
def port(tmp_path):
    loop = IOLoop()
    dev = Chardev(loop, "console", str(tmp_path / "c.sock"))
    yield dev
    dev.close()
    loop.stop()


def connect(dev) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(dev.path)
    s.settimeout(5)
    return s


def wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_input_before_a_device_is_plugged_in_is_kept(port):
    got, connected = [], threading.Event()
    client = connect(port)
    client.sendall(b'{"t":"run"}\n')
    wait_for(lambda: port.connected)
    time.sleep(0.05)  # the bytes reach the port before any device does
    port.plug(got.append, lambda up: up and connected.set())
    wait_for(lambda: b"".join(got) == b'{"t":"run"}\n')
    assert connected.wait(5)  # the device learns a client was already there
    client.sendall(b"more")
    wait_for(lambda: b"".join(got).endswith(b"more"))
    client.close()


def test_second_client_is_told_busy_and_first_keeps_working(port):
    got = []
    port.plug(got.append)
    first = connect(port)
    wait_for(lambda: port.connected)
    second = connect(port)
    assert b"busy" in second.recv(200)
    first.sendall(b"x")
    wait_for(lambda: got == [b"x"])
    port.write(b"out")
    assert first.recv(10) == b"out"


def test_output_is_replayed_to_the_next_client_and_a_vanished_client_detaches(port):
    port.plug(lambda data: None)
    port.write(b"boot log\r\n")
    first = connect(port)
    assert first.recv(100) == b"boot log\r\n"
    first.close()  # gone without a word
    second = connect(port)  # not refused as busy
    assert second.recv(100) == b"boot log\r\n"


def test_the_socket_path_appears_only_once_it_accepts(tmp_path, monkeypatch):
    # A client that waits for the file and connects at once (as tests and
    # scripts do) must never be refused: bind() creates the file, so the path
    # may not exist until listen() has run.  Also: a stale file is replaced.
    path = tmp_path / "c.sock"
    path.write_text("stale")
    seen_at_listen = []

    class Watched(socket.socket):
        def listen(self, *args):
            seen_at_listen.append(path.exists())
            return super().listen(*args)

    monkeypatch.setattr("jsksh.machine.chardev.socket.socket", Watched)
    loop = IOLoop()
    dev = Chardev(loop, "console", str(path))
    try:
        assert seen_at_listen == [False]
        client = connect(dev)
        wait_for(lambda: dev.connected)
        client.close()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sock"]
    finally:
        dev.close()
        loop.stop()
