"""How the guest's messages look on the client's terminal, as text.

Pure functions from a message to the text to print: stdout passes through
raw (its ANSI sequences, `clear` among them, reach the terminal), stderr is
red, kernel log lines are dim, the client's own errors red, and a `rows`
message becomes a table drawn by rich (numbers right-aligned, as the
kernel's own text tables do, kernel/tty/table.js). Where the text goes, above
a live prompt or straight to a file, is terminal.py's and batch.py's job.
"""

from __future__ import annotations

import io
import json
import os
import re

RED, DIM, RESET = "\x1b[31m", "\x1b[2m", "\x1b[0m"
# A terminal's control sequences (ECMA-48): CSI (colours, cursor moves,
# erase), OSC (titles) and the two-byte escapes; they take no room on screen.
ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def colours_wanted() -> bool:
    return "NO_COLOR" not in os.environ


def paint(sgr: str, text: str, colour: bool = True) -> str:
    """Wrap text in an SGR colour, keeping a trailing newline outside it."""
    if not colour or not text:
        return text
    body = text.rstrip("\n")
    return f"{sgr}{body}{RESET}" + text[len(body) :]


def stderr_text(data: str, colour: bool = True) -> str:
    return paint(RED, data, colour)


def error_text(message: str, colour: bool = True) -> str:
    return paint(RED, f"jsksh: {message}\n", colour)


def log_text(msg: dict, colour: bool = True) -> str:
    """A kernel message the way dmesg prints it: [   seconds] text."""
    try:
        stamp = f"[{float(msg.get('time', 0)):12.6f}] "
    except (TypeError, ValueError):
        stamp = ""
    level = msg.get("level", "info")
    sgr = RED if level in ("error", "crit", "alert", "emerg") else DIM
    return paint(sgr, f"{stamp}{msg.get('text', '')}".rstrip("\n") + "\n", colour)


def note_text(text: str, colour: bool = True) -> str:
    """A dim line from the client itself (--- replay ---)."""
    return paint(DIM, text.rstrip("\n") + "\n", colour)


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def numeric_columns(columns: list, rows: list) -> list[bool]:
    """A column is numeric when every cell is a number (or empty), as the kernel decides."""

    def number(v):
        return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))

    return [
        bool(rows) and all(number(r[i] if i < len(r) else None) for r in rows) for i in range(len(columns))
    ]


def table_text(columns, rows, width: int = 80, colour: bool = True) -> str:
    """A `rows` message drawn as a rich table, `width` columns wide at most."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    columns = [cell(c) for c in columns] if isinstance(columns, list) else []
    rows = [r if isinstance(r, list) else [r] for r in rows] if isinstance(rows, list) else []
    numeric = numeric_columns(columns, rows)
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold"
    )
    for name, right in zip(columns, numeric, strict=True):
        table.add_column(name, justify="right" if right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(cell(row[i]) if i < len(row) else "" for i in range(len(columns))))
    out = io.StringIO()
    console = Console(
        file=out,
        width=max(20, width),
        force_terminal=colour,
        no_color=not colour,
        color_system="standard" if colour else None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(table)
    return out.getvalue()


class Column:
    """Tracks whether the terminal's cursor is mid-line after the text printed so far,
    so the prompt can start on a fresh line after output without a newline."""

    def __init__(self):
        self.midline = False

    def after(self, text: str) -> None:
        visible = ESCAPE.sub("", text)
        tail = re.split(r"[\r\n]", visible)[-1]
        if tail:
            self.midline = True
        elif visible and visible[-1] in "\r\n":
            self.midline = False
