"""The client's protocol layer (jsksh/client/protocol.py) against a scripted peer.

The peer is the other end of a socketpair, so each test says byte for byte
what the "guest" sends: replies matched to requests by id, timeouts, lines
that are not messages, a busy port, a connection that closes.
"""

from __future__ import annotations

import asyncio
import json
import socket

from jsksh.client.protocol import Connection, Refused
from tests.client.driver import play


class Peer:
    """The guest's end: read the client's messages, send lines back."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader = sock.makefile("rb")

    async def receive(self) -> dict:
        line = await asyncio.get_running_loop().run_in_executor(None, self.reader.readline)
        return json.loads(line)

    def send(self, data) -> None:
        self.sock.sendall(data if isinstance(data, bytes) else json.dumps(data).encode() + b"\n")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


async def pair() -> tuple[Connection, Peer, list]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    conn = await Connection.open(ours)
    seen: list = []
    conn.on_message = seen.append
    return conn, Peer(theirs), seen


HELLO = {"t": "hello", "version": 2, "versions": [1, 2], "hostname": "jsksh", "motd": "hi\n"}


def test_hello_asks_for_version_2_with_rows():
    async def scenario():
        conn, peer, _ = await pair()
        waiting = asyncio.ensure_future(conn.hello())
        sent = await peer.receive()
        assert sent == {"t": "hello", "version": 2, "rows": True, "terminal": True}
        peer.send(HELLO)
        assert (await waiting)["hostname"] == "jsksh"
        await conn.close()

    play(scenario())


def test_replies_are_matched_to_requests_by_id_in_any_order():
    async def scenario():
        conn, peer, seen = await pair()
        first = asyncio.ensure_future(conn.request({"t": "status"}, 5))
        second = asyncio.ensure_future(conn.request({"t": "is-complete", "code": "ls |"}, 5))
        a, b = await peer.receive(), await peer.receive()
        assert a["id"] != b["id"]
        peer.send({"t": "stdout", "id": "r9", "data": "between\n"})
        peer.send({"t": "is-complete", "id": b["id"], "status": "incomplete", "indent": ""})
        peer.send({"t": "status", "id": a["id"], "uptime": 1.5})
        assert (await second)["status"] == "incomplete"
        assert (await first)["uptime"] == 1.5
        assert seen == [{"t": "stdout", "id": "r9", "data": "between\n"}]  # the rest went to the callback
        await conn.close()

    play(scenario())


def test_a_request_nobody_answers_gives_none_after_its_timeout():
    async def scenario():
        conn, peer, seen = await pair()
        assert await conn.request({"t": "complete", "line": "ec", "cursor": 2}, 0.05) is None
        late = await peer.receive()
        peer.send({"t": "complete", "id": late["id"], "start": 0, "end": 2, "items": []})
        peer.send({"t": "stdout", "id": 1, "data": "x"})
        while len(seen) < 2:
            await asyncio.sleep(0.01)
        assert [m["t"] for m in seen] == [
            "complete",
            "stdout",
        ]  # the late reply is passed on, for the REPL to drop
        await conn.close()

    play(scenario())


def test_lines_that_are_not_messages_become_one_line_errors():
    async def scenario():
        conn, peer, seen = await pair()
        peer.send(b'not json\n[1, 2]\n{"no": "type"}\n\xff\xfe\n\n')
        peer.send({"t": "stdout", "id": 1, "data": "still fine\n"})
        while len(seen) < 5:
            await asyncio.sleep(0.01)
        assert [m["t"] for m in seen] == ["error"] * 4 + ["stdout"]
        assert all(m["message"].startswith("unreadable message from the machine") for m in seen[:4])
        assert "\n" not in seen[0]["message"]
        await conn.close()

    play(scenario())


def test_an_error_reply_ends_the_request_and_is_shown():
    async def scenario():
        conn, peer, seen = await pair()
        waiting = asyncio.ensure_future(conn.request({"t": "complete", "line": 5}, 5))
        rid = (await peer.receive())["id"]
        peer.send({"t": "error", "id": rid, "message": "complete needs a line"})
        assert await waiting is None
        assert seen == [{"t": "error", "id": rid, "message": "complete needs a line"}]
        await conn.close()

    play(scenario())


def test_a_closed_connection_ends_serving_with_the_reason_and_fails_waiters():
    async def scenario():
        conn, peer, _ = await pair()
        waiting = asyncio.ensure_future(conn.request({"t": "status"}, 5))
        await peer.receive()
        peer.close()
        assert await asyncio.wait_for(conn.closed, 5) == "the machine closed the connection"
        assert await waiting is None
        conn.send({"t": "run", "id": 1, "line": "echo"})  # sending after the close is harmless
        await conn.close()

    play(scenario())


def test_a_busy_port_refuses_the_hello_with_what_it_said():
    async def scenario():
        conn, peer, _ = await pair()
        peer.send(b"jsksh: org.jsksh.shell.0 is busy: another client is attached\r\n")
        peer.close()
        try:
            await conn.hello()
        except Refused as e:
            assert str(e) == "org.jsksh.shell.0 is busy: another client is attached"
        else:
            raise AssertionError("hello did not fail")
        await conn.close()

    play(scenario())


def test_a_version_1_machine_is_refused_with_a_hint():
    async def scenario():
        conn, peer, _ = await pair()
        waiting = asyncio.ensure_future(conn.hello())
        await peer.receive()
        peer.send({"t": "hello", "version": 1})
        try:
            await waiting
        except Refused as e:
            assert "version 1" in str(e) and "--raw" in str(e)
        else:
            raise AssertionError("hello did not fail")
        await conn.close()

    play(scenario())


def test_ids_are_unique_to_the_client():
    async def scenario():
        a, _, _ = await pair()
        b, _, _ = await pair()
        assert a.new_id() != a.new_id()
        assert a.new_id() != b.new_id()  # two clients never share a run id
        await a.close()
        await b.close()

    play(scenario())
