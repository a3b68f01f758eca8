"""Where the REPL keeps what was typed: one history for shell lines, one for JavaScript.

$XDG_DATA_HOME/jsksh/history and history-js (XDG_DATA_HOME defaults to
~/.local/share), in prompt_toolkit's FileHistory format. If the directory
cannot be made (a read-only home), history lasts for the session only.
Lines typed for other programs (`cat` reading input) are not kept.
"""

from __future__ import annotations

import os

from prompt_toolkit.history import FileHistory, History, InMemoryHistory


def data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "jsksh")


def open_history(name: str) -> History:
    path = os.path.join(data_dir(), name)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a"):
            pass
    except OSError:
        return InMemoryHistory()
    return FileHistory(path)


class Histories:
    """The three histories, by the language being typed."""

    def __init__(self):
        self.shell = open_history("history")
        self.javascript = open_history("history-js")
        self.input = InMemoryHistory()

    def for_language(self, language: str) -> History:
        return {"shell": self.shell, "javascript": self.javascript}.get(language, self.input)
