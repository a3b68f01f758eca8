"""Run the `jsksh` REPL as a person does, under a real pty (pexpect).

`repl(...)` spawns `jsksh --simple-prompt ...` (with PROMPT_TOOLKIT_NO_CPR=1,
as scripts and the demo player run it) and waits for its first prompt;
`Session.line()` types a line and returns what it printed before the next
shell prompt. History goes to a temporary XDG_DATA_HOME.
"""

from __future__ import annotations

import re
import tempfile

import pexpect

from tests.e2e.machine import ENV, JSKSH

PROMPT = r"jsksh:\S*\$ "
SGR = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def env(**extra: str) -> dict:
    return {
        **ENV,
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "XDG_DATA_HOME": tempfile.mkdtemp(prefix="jsksh-xdg-"),
        **extra,
    }


class Session:
    def __init__(self, child: pexpect.spawn):
        self.child = child

    def line(self, text: str, timeout: float = 15) -> str:
        """Type text and Enter; the output (colours removed) up to the next shell prompt."""
        self.child.send(text + "\r")
        self.child.expect(re.escape(text) + "\r+\n")  # our own echo of the typed line
        self.child.expect(PROMPT, timeout=timeout)
        return plain(self.child.before)

    def expect(self, pattern, timeout: float = 15) -> str:
        self.child.expect(pattern, timeout=timeout)
        return plain(self.child.before)

    def expect_exact(self, text: str, timeout: float = 15) -> str:
        self.child.expect_exact(text, timeout=timeout)
        return plain(self.child.before)

    def send(self, text: str) -> None:
        self.child.send(text)

    def control(self, key: str) -> None:
        self.child.sendcontrol(key)

    def end(self, timeout: float = 15) -> tuple[int | None, str]:
        """Wait for the REPL to exit: (its status, what it printed last)."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        before = plain(self.child.before)
        self.child.close()
        return self.child.exitstatus, before

    def close(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


def plain(text: str) -> str:
    return SGR.sub("", text).replace("\r\n", "\n").replace("\r", "")


def repl(*args: str, columns: int = 100, rows: int = 30, wait: bool = True) -> Session:
    child = pexpect.spawn(
        JSKSH[0],
        [*JSKSH[1:], *args],
        env=env(),
        timeout=15,
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(rows, columns),
    )
    child.delaybeforesend = None
    session = Session(child)
    if wait:
        child.expect(PROMPT)
    return session


def attach(path: str, **kw) -> Session:
    return repl("attach", "--simple-prompt", path, **kw)
