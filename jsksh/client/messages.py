"""The structured port's messages as data (docs/protocol.md, version 2): the
hello a client sends, and reading a line the guest sent. No I/O here: the
asyncio client (protocol.py) and `jsksh run`'s synchronous loop (runner.py)
both use it, and `jsksh run` need not import asyncio (30 ms of its start)."""

from __future__ import annotations

import json

VERSION = 2
# The kernel's last words before a reboot (as Linux's), a `log` message to
# every client: a run in progress went with the old kernel.
REBOOT_LOG = "reboot: Restarting system"


def hello_message(rows: bool, terminal: bool, binary: bool = False, modes: bool = False) -> dict:
    """The version 2 hello: tables as `rows` or as text, output on a terminal or
    not; ``binary``: programs' output as raw bytes, each piece after a
    ``{"t": "stdout", "id": ID, "size": N}`` line (docs/protocol.md, "Bytes");
    ``modes``: the client leaves its prompt and sends raw keys while a
    program has the terminal raw (``{"t": "mode"}``, docs/protocol.md)."""
    return {
        "t": "hello",
        "version": VERSION,
        "rows": rows,
        "terminal": terminal,
        **({"binary": True} if binary else {}),
        **({"modes": True} if modes else {}),
    }


def id_key(value):
    """A message's id as a dict key (ids are any JSON value; lists are not hashable)."""
    try:
        hash(value)
        return value
    except TypeError:
        return json.dumps(value)


def int_field(value, default: int) -> int:
    """A number the guest sent (an exit status), or `default` if it is not an integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def parse(line: bytes) -> dict | None:
    """One line from the guest as a message, or None if it is not one."""
    try:
        msg = json.loads(line)
    except ValueError:
        return None
    if not isinstance(msg, dict) or not isinstance(msg.get("t"), str):
        return None
    return msg
