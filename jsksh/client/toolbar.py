"""The bottom toolbar: the machine at a glance.

`status` requests (docs/protocol.md) are polled every POLL seconds and after
each run exits; between polls the uptime ticks on the client's own clock, so
the toolbar can redraw every second without asking the guest.
"""

from __future__ import annotations

import asyncio
import time

POLL = 2.0
TIMEOUT = 1.0


def format_uptime(seconds: float) -> str:
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    clock = f"{hours}:{minutes:02}:{s:02}"
    return f"{days}d {clock}" if days else clock


class StatusBar:
    def __init__(self, hostname: str = "jsksh"):
        self.status: dict = {"hostname": hostname}
        self.received = time.monotonic()
        self.last: int | None = None  # the last exit status, as the REPL saw it
        self.wake = asyncio.Event()

    def update(self, reply: dict | None) -> None:
        if reply:
            self.status = reply
            self.received = time.monotonic()
            if self.last is None and isinstance(reply.get("last"), int):
                self.last = reply["last"]

    def uptime(self) -> float | None:
        up = self.status.get("uptime")
        if not isinstance(up, (int, float)):
            return None
        return up + (time.monotonic() - self.received)

    async def poll(self, conn, on_update) -> None:
        """Ask for `status` until cancelled; on_update(reply or None) after each."""
        while True:
            reply = await conn.request({"t": "status"}, TIMEOUT)
            self.update(reply)
            on_update(reply)
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), POLL)
            except asyncio.TimeoutError:
                pass

    def poll_now(self) -> None:
        self.wake.set()

    def fragments(self) -> list[tuple[str, str]]:
        s = self.status
        up = self.uptime()
        address = s.get("address") or "none"
        last = self.last if self.last is not None else s.get("last", 0)
        parts = [
            ("class:bottom-toolbar.key", f" {s.get('hostname') or 'jsksh'} "),
            ("", f" up {format_uptime(up) if up is not None else '?'} "),
            ("", f" isolates {s.get('isolates', '?')} "),
            ("", f" ip {address} "),
            ("class:bottom-toolbar.bad" if last else "", f" last {last} "),
        ]
        out: list[tuple[str, str]] = []
        for i, part in enumerate(parts):
            if i:
                out.append(("", "│"))
            out.append(part)
        return out
