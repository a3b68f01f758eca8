"""The embedded machine's own output, shown above the prompt instead of through it.

When `jsksh` boots its machine in its own process, the machine's threads
write diagnostics straight to file descriptors 1 and 2 (a port's client
detaching, say, or anything native code prints). On the terminal the REPL draws, those bytes would
land in the middle of the prompt. `OutputCapture` points fds 1 and 2 at a
pipe for the REPL's lifetime and gives the REPL `terminal`, a new handle on
the real stdout, to draw on. A thread reads the pipe and hands each chunk to
a sink (the REPL prints it dim, above the prompt), or, with no sink, to the
real stderr. Leaving restores both descriptors.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable


class OutputCapture:
    def __init__(self):
        self.sink: Callable[[str], None] | None = None
        self.terminal = None  # the real stdout, for the REPL

    def __enter__(self) -> OutputCapture:
        sys.stdout.flush()
        sys.stderr.flush()
        self._saved = {fd: os.dup(fd) for fd in (1, 2)}
        self.terminal = os.fdopen(os.dup(1), "w", encoding=sys.stdout.encoding, errors="replace")
        read_fd, write_fd = os.pipe()
        for fd in (1, 2):
            os.dup2(write_fd, fd)
        os.close(write_fd)
        self._thread = threading.Thread(target=self._pump, args=(read_fd,), name="jsksh-capture", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.sink = None
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)  # the pipe loses its writers: the pump sees its end
        self._thread.join(2)
        self.terminal.close()
        for saved in self._saved.values():
            os.close(saved)

    def _pump(self, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while data := pipe.read(65536):
                self._deliver(data.decode(errors="replace"))

    def _deliver(self, text: str) -> None:
        sink = self.sink
        if sink is not None:
            try:
                sink(text)
                return
            except RuntimeError:  # the REPL's loop has closed
                pass
        os.write(self._saved[2], text.encode())
