"""Batch mode: command lines from a pipe or a file, run in order, like `sh < script`.

`echo 'echo hi; ls' | jsksh` and `jsksh < script` come here (stdin is not a
terminal). Each line is one command line; a line the session shell calls
incomplete (an open quote, a trailing |) is joined with the next ones, as
the guest's `is-complete` says. A run that asks for `input` (the eval REPL,
`cat`) is fed the next lines of stdin, and end of input when there are no
more, so `printf 'eval\\n1+2\\n' | jsksh` works. stdout and stderr go to ours;
tables come as aligned text (hello without rows). The status is the last
run's, as a shell script's is.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from jsksh.client.protocol import Connection, Refused, int_field

IS_COMPLETE_TIMEOUT = 1.0


@dataclass
class Result:
    status: int
    closed: str | None = None  # why the connection ended early, if it did


class Lines:
    """The lines of a text stream, one at a time, without their newline."""

    def __init__(self, stream):
        self.stream = stream

    def next(self) -> str | None:
        line = self.stream.readline()
        if not line:
            return None
        return line[:-1] if line.endswith("\n") else line


async def run_batch(sock, stdin=None, out=None, err=None, terminal: bool = False, finish=None) -> Result:
    """Run stdin's command lines on the machine at the other end of sock.
    finish(result), if given, is called before the connection is closed
    (an embedded machine is powered off then, so it never sees us hang up)."""
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    conn = await Connection.open(sock)
    result = Result(1)
    try:
        try:
            await conn.hello(rows=False, terminal=terminal)
        except Refused as e:
            err.write(f"jsksh: {e}\n")
            result = Result(1, str(e))
            return result
        result = await Batch(conn, Lines(stdin), out, err).run_all()
        return result
    finally:
        if finish is not None:
            finish(result)
        await conn.close()


class Batch:
    def __init__(self, conn: Connection, lines: Lines, out, err):
        self.conn = conn
        self.lines = lines
        self.out = out
        self.err = err
        self.messages: asyncio.Queue = asyncio.Queue()
        conn.on_message = self.messages.put_nowait
        conn.closed.add_done_callback(lambda _: self.messages.put_nowait(None))

    async def run_all(self) -> Result:
        status = 0
        while (line := self.lines.next()) is not None:
            code = await self.whole_command(line)
            if not code.strip():
                continue
            result = await self.run(code)
            if result.closed is not None:
                return result
            status = result.status
            if await self.session_ended():
                return Result(status, "the session ended")  # `exit`: the script ends, as in sh
        return Result(status)

    async def session_ended(self) -> bool:
        """Did a `session` message follow the run's exit (the shell ran `exit`)?"""
        await asyncio.sleep(0)  # let the reader hand over what came with the exit
        kept, ended = [], False
        while not self.messages.empty():
            msg = self.messages.get_nowait()
            ended = ended or (msg is not None and msg.get("t") == "session")
            kept.append(msg)
        for msg in kept:
            self.messages.put_nowait(msg)
        return ended

    async def whole_command(self, code: str) -> str:
        """The line, joined with the next ones while the shell says it goes on."""
        while code.strip():
            reply = await self.conn.request({"t": "is-complete", "code": code}, IS_COMPLETE_TIMEOUT)
            if not reply or reply.get("status") != "incomplete":
                break
            more = self.lines.next()
            if more is None:
                break
            code += "\n" + more
        return code

    async def run(self, code: str) -> Result:
        rid = self.conn.new_id()
        self.conn.send({"t": "run", "id": rid, "line": code})
        while True:
            msg = await self.messages.get()
            if msg is None:
                return Result(125, self.conn.closed.result())
            kind = msg.get("t")
            if kind == "stdout":
                self.write(self.out, msg.get("data"))
            elif kind == "stderr":
                self.write(self.err, msg.get("data"))
            elif kind == "input" and msg.get("id") == rid:
                more = self.lines.next()
                if more is None:
                    self.conn.send({"t": "stdin", "id": rid, "eof": True})
                else:
                    self.conn.send({"t": "stdin", "id": rid, "data": more + "\n"})
            elif kind == "exit" and msg.get("id") == rid:
                return Result(int_field(msg.get("status"), 1))
            elif kind == "session":
                return Result(int_field(msg.get("status"), 0), "the session ended")
            elif kind == "error":
                self.write(self.err, f"jsksh: {msg.get('message')}\n")
                if msg.get("id") == rid:
                    return Result(1)

    @staticmethod
    def write(stream, data) -> None:
        stream.write(str(data or ""))
        stream.flush()
