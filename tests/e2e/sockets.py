"""The host's side of the TCP tests: read a connection to its end, and serve in a thread.

Shared by the tests that talk TCP to a guest over TAP (test_tcp_peer_linux,
test_tcp_faults) and through the user backend (test_net_user_tcp).
"""

from __future__ import annotations

import socket
import threading


def recv_all(conn: socket.socket) -> bytes:
    """Everything the peer sends, up to its FIN."""
    chunks = []
    while data := conn.recv(1 << 16):
        chunks.append(data)
    return b"".join(chunks)


def run_in_thread(fn):
    """Start ``fn()`` on a thread; returns ``join(timeout=120)``, which gives
    fn's value, or raises what fn raised, or fails if it has not finished."""
    box: dict = {}

    def body():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller
            box["error"] = e

    t = threading.Thread(target=body, daemon=True)
    t.start()

    def join(timeout=120):
        t.join(timeout)
        assert not t.is_alive(), "timed out"
        if "error" in box:
            raise box["error"]
        return box.get("value")

    return join
