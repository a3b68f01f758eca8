"""Drive the REPL (jsksh/client/repl.py) with keys, against a real machine in this process.

`Driver` builds the REPL on a machine's control port with prompt_toolkit's
pipe input and a recording DummyOutput, so a test types keys and waits for
the state they lead to: no terminal, but every message goes through the
real guest. `play()` runs a test's scenario on a fresh event loop.
"""

from __future__ import annotations

import asyncio
import time

from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from jsksh.client.protocol import Connection
from jsksh.client.repl import Repl
from jsksh.machine.machine import Machine


def play(scenario, timeout: float = 30.0):
    """Run an async scenario to the end (a hung one fails instead of hanging the suite)."""
    return asyncio.run(asyncio.wait_for(scenario, timeout))


class RecordingOutput(DummyOutput):
    """A DummyOutput that keeps what is written and has a size a test can change."""

    def __init__(self, columns: int = 100, rows: int = 30):
        self.size = Size(rows=rows, columns=columns)
        self.chunks: list[str] = []
        self.raw_chunks: list[str] = []  # write_raw only: the guest's output, passed through

    def write(self, data: str) -> None:
        self.chunks.append(data)

    def write_raw(self, data: str) -> None:
        self.chunks.append(data)
        self.raw_chunks.append(data)

    def raw(self) -> str:
        return "".join(self.raw_chunks)

    def clear(self) -> None:
        self.chunks.clear()
        self.raw_chunks.clear()

    def get_size(self) -> Size:
        return self.size

    def text(self) -> str:
        return "".join(self.chunks)


async def wait_until(test, what: str, timeout: float = 10.0):
    """Poll test() until it is true (its value then); fail saying `what` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = test()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Driver:
    """One REPL on `machine`, its keys from a pipe, its output recorded."""

    def __init__(self, machine: Machine, simple: bool = False, vi: bool = False):
        self.machine = machine
        self.simple = simple
        self.vi = vi
        self.output = RecordingOutput()
        self.repl: Repl | None = None
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> Driver:
        self._pipe = create_pipe_input()
        self.input = self._pipe.__enter__()
        self.conn = await Connection.open(self.machine.control.connect_local())
        hello = await self.conn.hello()
        self.repl = Repl(
            self.conn, hello, simple=self.simple, vi=self.vi, input=self.input, output=self.output
        )
        self.task = asyncio.ensure_future(self.repl.run())
        await wait_until(lambda: self.repl.session.app.is_running, "the prompt")
        return self

    async def __aexit__(self, *exc) -> None:
        if not self.task.done():
            self.repl.leave("detached")
        await asyncio.wait_for(self.task, 10)
        await self.conn.close()
        self._pipe.__exit__(None, None, None)

    # ---- typing and looking ------------------------------------------------------
    def type(self, text: str) -> None:
        self.input.send_text(text)

    @property
    def buffer(self):
        return self.repl.buffer

    def printed(self) -> str:
        return self.output.text()

    async def until(self, test, what: str, timeout: float = 10.0):
        return await wait_until(test, what, timeout)

    async def idle(self) -> None:
        """Wait for the shell prompt (no run active) and the output before it."""
        await self.until(lambda: self.repl.run_id is None, "the shell prompt")
        await self.settled()

    async def run(self, line: str) -> str:
        """Type a line and Enter; the text printed as it ran (raw: not the prompt's drawing)."""
        mark, runs = len(self.output.raw()), self.repl.runs_started
        self.type(line + "\r")
        await self.until(
            lambda: self.repl.runs_started > runs and self.repl.run_id is None, f"{line!r} to run"
        )
        await self.settled()
        return self.output.raw()[mark:]

    async def settled(self) -> None:
        """Wait until what the REPL printed has reached the output."""
        await self.until(self.repl.screen.settled, "the output to be written")
