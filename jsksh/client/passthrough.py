"""Raw keys for a program that put the terminal in raw mode (an editor, `top`).

While the guest says the session's terminal is raw (a `mode` message,
docs/protocol.md), the REPL steps aside: repl.py leaves its prompt with
prompt_toolkit's `in_terminal()` (which erases the prompt and stops reading
keys) and runs `KeysThrough` there. It puts the host terminal in raw mode
(no echo, no line editing, Ctrl-C a byte: the guest decides what Ctrl-C
means) and sends every key to the program as `stdin` data, as it comes,
until told to stop. Ctrl-] still detaches, as it does everywhere. The
guest's output is written straight to the terminal meanwhile (terminal.py,
`begin_raw`), and the window's size is sent on every SIGWINCH.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import termios
import tty
from collections.abc import Callable

DETACH = b"\x1d"  # Ctrl-]


class KeysThrough:
    """send(text): a chunk of keys to the program; detach(): Ctrl-] was pressed."""

    def __init__(self, fd: int, send: Callable[[str], None], detach: Callable[[], None]):
        self.fd = fd
        self.send = send
        self.detach = detach
        self.stop = asyncio.Event()
        # Keys are UTF-8; a character cut between two reads waits for its rest.
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    async def run(self) -> None:
        """Until stop is set: the host terminal raw, its keys to the program."""
        loop = asyncio.get_running_loop()
        with self._raw_terminal():
            loop.add_reader(self.fd, self._readable)
            try:
                await self.stop.wait()
            finally:
                loop.remove_reader(self.fd)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the terminal closed: nothing more will come
            self.stop.set()
            return
        before, detach, _ = data.partition(DETACH)
        text = self.decoder.decode(before)
        if text:
            self.send(text)
        if detach:
            self.stop.set()
            self.detach()

    @contextlib.contextmanager
    def _raw_terminal(self):
        saved = None
        if os.isatty(self.fd):
            saved = termios.tcgetattr(self.fd)
            # TCSADRAIN, not TCSAFLUSH: keys typed ahead are the program's.
            tty.setraw(self.fd, termios.TCSADRAIN)
        try:
            yield
        finally:
            if saved is not None:
                termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)
