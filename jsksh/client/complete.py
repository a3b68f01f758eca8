"""Tab completion answered by the guest.

Only the guest knows its commands, its files and the names alive in an eval
REPL's isolate, so `GuestCompleter` sends `complete` (the whole buffer and
the cursor; with `run` when the text is the input an eval REPL asked for)
and turns the reply's items into prompt_toolkit Completions. It is an async
completer: prompt_toolkit runs it as a task on the event loop, so typing
never waits for it, and it gives up after TIMEOUT (the guest itself answers
empty after 500 ms).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

TIMEOUT = 1.0


async def ask(conn, text: str, cursor: int, run=None, timeout: float = TIMEOUT) -> dict | None:
    """The guest's `complete` reply for TEXT at CURSOR, or None."""
    message = {"t": "complete", "line": text, "cursor": cursor}
    if run is not None:
        message["run"] = run
    return await conn.request(message, timeout)


def completions(reply: dict | None, text: str, cursor: int) -> list[Completion]:
    """The items of a reply as Completions relative to the cursor.

    An item replaces characters start..end of the text; prompt_toolkit only
    replaces what is before the cursor, so text after the cursor that the
    item would also replace is dropped from the item when it ends with it."""
    if not reply or not isinstance(reply.get("items"), list):
        return []
    start = _clamp(reply.get("start"), cursor, cursor)
    end = _clamp(reply.get("end"), cursor, len(text))
    start = min(start, cursor)
    after = text[cursor:end] if end > cursor else ""
    out = []
    for item in reply["items"]:
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            continue
        insert = item["text"]
        if after and insert.endswith(after):
            insert = insert[: -len(after)]
        meta = item.get("meta") if isinstance(item.get("meta"), str) else ""
        kind = item.get("kind") if isinstance(item.get("kind"), str) else ""
        out.append(
            Completion(
                insert,
                start_position=start - cursor,
                display=_display(item["text"], kind),
                display_meta=meta or kind,
                style=f"class:completion.{kind}" if kind else "",
            )
        )
    return out


def _display(text: str, kind: str) -> str:
    """A path is shown by its last part, as shells list them."""
    if kind in ("file", "dir") and "/" in text.rstrip("/"):
        return os.path.basename(text.rstrip("/")) + ("/" if text.endswith("/") else "")
    return text


def _clamp(value, default: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    return max(0, min(value, high))


class GuestCompleter(Completer):
    """Asks the guest. `conn()` gives the live Connection; `run()` the run whose
    input is being typed (None: a shell line); `enabled()` whether to ask at all."""

    def __init__(self, conn: Callable, run: Callable[[], object], enabled: Callable[[], bool]):
        self.conn = conn
        self.run = run
        self.enabled = enabled

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        return []  # only asynchronous: see get_completions_async

    async def get_completions_async(
        self, document: Document, complete_event: CompleteEvent
    ) -> AsyncGenerator[Completion, None]:
        if not self.enabled():
            return
        text, cursor = document.text, document.cursor_position
        reply = await ask(self.conn(), text, cursor, self.run())
        for completion in completions(reply, text, cursor):
            yield completion
