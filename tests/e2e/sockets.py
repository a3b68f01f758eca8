"""The host's side of the TCP tests: read a connection to its end, serve in a thread, serve files over HTTP.

Shared by the tests that talk TCP to a guest over TAP (test_tcp_peer_linux,
test_tcp_faults, test_http_peer_linux, test_tcp_pcap) and through the user
backend (test_net_user_tcp, test_http_user).
"""

from __future__ import annotations

import functools
import http.server
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


class Handler(http.server.SimpleHTTPRequestHandler):
    """Files from the server's directory (GET, HEAD), and an echo of POST and PUT."""

    protocol_version = "HTTP/1.1"

    def echo(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        reply = (
            f"{self.command} {self.path} {self.headers.get('Content-Type')} {self.headers.get('X-Test')}\n".encode()
            + body
        )
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_POST = do_PUT = echo

    def log_message(self, *args):
        pass


def serve_directory(sock: socket.socket, directory: str) -> http.server.ThreadingHTTPServer:
    """Python's http.server (Handler) on `sock`, bound but not listening (it
    may belong to a network namespace), serving `directory` from a thread.
    Stop it with shutdown() and server_close()."""
    handler = functools.partial(Handler, directory=directory)
    server = http.server.ThreadingHTTPServer(sock.getsockname(), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_address = sock.getsockname()
    sock.listen(16)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
