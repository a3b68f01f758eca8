"""Keystroke to screen in the `jsksh` REPL while a program prints without pause.

The full REPL (prompt_toolkit, not the simple prompt) runs under a pty. A run
prints a line every 5 ms (`eval` with an endless loop of console.log and
await), and meanwhile keys are typed at the live prompt: the time from
writing one byte to the pty until that character comes back in the screen
output. Each key is erased again (Backspace) before the next, so the line
stays short, and the keys are letters that neither the stream, the toolbar
nor escape sequences contain. Anchors in the same run, measured the same way:
the same REPL idle, ptpython idle (another prompt_toolkit application;
skipped if missing), and `cat` in a plain pty (the kernel's tty echo).
Floor: p50 <= 5 ms with the stream running.
"""

from __future__ import annotations

import os
import select
import sys
import time

import pexpect
from common import JSKSH, pct
from repl_start import ENV

KEYS = b"qvwxz"  # not in "tick N", in the toolbar's words, or in CSI sequences
STREAM = (
    "eval 'for (let n = 0; ; n++) { console.log(\"tick \" + n); await new Promise(r => setTimeout(r, 5)) }'"
)


# The full REPL: PROMPT_TOOLKIT_NO_CPR=1 would select the simple prompt, so it
# is left out, and the Screen answers prompt_toolkit's cursor position
# requests (CSI 6n) the way a terminal does.
FULL_ENV = {k: v for k, v in ENV.items() if k != "PROMPT_TOOLKIT_NO_CPR"}
CPR_REQUEST = b"\x1b[6n"


class Screen:
    """A program under a pty, read and written directly for timing."""

    def __init__(self, argv: list[str], env: dict | None = None):
        self.child = pexpect.spawn(argv[0], argv[1:], env=env or FULL_ENV, timeout=30, dimensions=(30, 100))
        self.child.delaybeforesend = None
        self.fd = self.child.child_fd

    def read(self) -> bytes:
        data = os.read(self.fd, 65536)
        for _ in range(data.count(CPR_REQUEST)):
            os.write(self.fd, b"\x1b[1;1R")
        return data

    def wait_for(self, text: bytes, timeout: float = 30) -> None:
        seen = b""
        deadline = time.perf_counter() + timeout
        while text not in seen:
            if not select.select([self.fd], [], [], max(0, deadline - time.perf_counter()))[0]:
                raise RuntimeError(f"{text!r} did not appear within {timeout} s")
            seen = (seen + self.read())[-65536:]

    def drain(self, seconds: float) -> None:
        """Read and drop output until it has been quiet for `seconds`, or 0.5 s at most."""
        deadline = time.perf_counter() + 0.5
        while time.perf_counter() < deadline and select.select([self.fd], [], [], seconds)[0]:
            self.read()

    def key(self, byte: bytes, timeout: float = 5) -> float:
        """Seconds from writing `byte` until it is seen in the output."""
        self.drain(0)
        t0 = time.perf_counter()
        os.write(self.fd, byte)
        while True:
            if not select.select([self.fd], [], [], timeout)[0]:
                raise RuntimeError(f"{byte!r} was not echoed within {timeout} s")
            if byte in self.read():
                return time.perf_counter() - t0

    def keys(self, n: int) -> list[float]:
        samples = []
        for i in range(n):
            samples.append(self.key(KEYS[i % len(KEYS) : i % len(KEYS) + 1]))
            os.write(self.fd, b"\x7f")  # Backspace: the line is empty again
            self.drain(0.005)
        return samples

    def close(self) -> None:
        self.child.close(force=True)


def jsksh(n: int, streaming: bool) -> list[float]:
    screen = Screen([*JSKSH, "--net", "none"])
    try:
        screen.wait_for(b"isolates")  # the toolbar: the REPL is up (the prompt comes in pieces)
        # A first command takes the prompt's placeholder hint ("... leaves") away.
        os.write(screen.fd, b"true\r")
        screen.drain(0.3)
        if streaming:
            os.write(screen.fd, STREAM.encode() + b"\r")
            screen.wait_for(b"tick 3")
        screen.drain(0.2)
        return screen.keys(n)
    finally:
        if streaming:
            screen.child.send("\x03")
        screen.close()


def ptpython(n: int) -> list[float] | None:
    try:
        import ptpython  # noqa: F401
    except ImportError:
        return None
    env = {**FULL_ENV, "XDG_CONFIG_HOME": "/nonexistent"}
    screen = Screen([sys.executable, "-m", "ptpython"], env)
    try:
        screen.wait_for(b">>>")
        screen.drain(0.2)
        return screen.keys(n)
    finally:
        screen.close()


def cat(n: int) -> list[float]:
    screen = Screen(["cat"])
    try:
        return screen.keys(n)
    finally:
        screen.close()


def main(n: int = 300) -> None:
    busy = jsksh(n, streaming=True)
    idle = jsksh(n, streaming=False)
    pt = ptpython(n)
    tty = cat(n)
    p50 = pct(busy, 50)
    print(f"keystroke to screen in the REPL ({n} keys)")
    print(f"  jsksh, a run printing every 5 ms   p50 {p50 * 1e3:7.3f} ms   (floor: <= 5 ms)")
    print(f"  jsksh, a run printing every 5 ms   p99 {pct(busy, 99) * 1e3:7.3f} ms")
    print(
        f"  jsksh, idle                        p50 {pct(idle, 50) * 1e3:7.3f} ms   ratio {p50 / pct(idle, 50):.2f}"
    )
    print(f"  jsksh, idle                        p99 {pct(idle, 99) * 1e3:7.3f} ms")
    if pt is None:
        print("  ptpython, idle                     skipped: not installed (pip install ptpython)")
    else:
        print(
            f"  ptpython, idle                     p50 {pct(pt, 50) * 1e3:7.3f} ms   ratio {p50 / pct(pt, 50):.2f}"
        )
    print(
        f"  cat in a pty (tty echo)            p50 {pct(tty, 50) * 1e3:7.3f} ms   ratio {p50 / pct(tty, 50):.0f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
