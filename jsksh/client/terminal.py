"""How text reaches the terminal while the prompt stays live: two screens.

`AbovePrompt` is the full REPL's: prompt_toolkit draws the prompt, and text
from the machine is printed above it with run_in_terminal (the prompt is
erased, the text written, the prompt drawn again), batched so a burst of
messages costs one redraw. Guest stdout is written raw, so its ANSI
sequences (`clear`) reach the terminal.

`PlainScreen` is the simple prompt's (--simple-prompt, TERM=dumb,
PROMPT_TOOLKIT_NO_CPR=1): prompt_toolkit renders to nowhere, and this class
writes the prompt and echoes each typed character itself, the way a dumb
terminal or Emacs' shell mode expects. No cursor addressing, no redraws, so
pexpect and screen scrapers see plain text: `jsksh:/$ echo hi`, then output.
Both track whether the cursor is mid-line (render.Column).

While a program has the terminal raw (passthrough.py), neither draws a
prompt: `hold()` keeps output back from the moment the guest says so until
`begin_raw()`, when the prompt is off the screen; from then on output is
written as it comes, until `end_raw()`.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.output import Output
from prompt_toolkit.renderer import print_formatted_text
from prompt_toolkit.styles import BaseStyle

from jsksh.client.render import Column

Fragments = list[tuple[str, str]]


class AbovePrompt:
    def __init__(self, output: Output, style: BaseStyle):
        self.output = output
        self.style = style
        self.app = None  # set when the prompt's Application exists
        self.active = False  # (unused here: prompt_toolkit draws the prompt only while the app runs)
        self.column = Column()
        self._pending: list[str | Fragments] = []
        self._held = False  # keep output back: a raw-mode program is about to take the screen
        self._direct = False  # a raw-mode program has the screen: write at once

    def print(self, text: str) -> None:
        """Raw text (ANSI passes through)."""
        if text:
            self._queue(text)

    def echo(self, prompt: Fragments, lines: list[Fragments], continuation: Fragments) -> None:
        """What was typed, left on screen above the next prompt."""
        out: Fragments = list(prompt)
        for i, line in enumerate(lines):
            if i:
                out += [("", "\n")] + continuation
            out += line
        self._queue(out + [("", "\n")])

    def refresh(self) -> None:
        if self.app is not None and self.app.is_running:
            self.app.invalidate()

    def settled(self) -> bool:
        """Has everything printed so far reached the output?"""
        return not self._pending

    def close(self) -> None:
        if self._pending:
            self._flush()

    # ---- a raw-mode program's screen ---------------------------------------------
    def hold(self) -> None:
        self._held = True

    def begin_raw(self) -> None:
        """The prompt is erased (inside in_terminal): write what waited, and all that comes."""
        self._direct = True
        self._held = False
        self._flush()

    def end_raw(self) -> None:
        self._direct = self._held = False

    def _queue(self, item) -> None:
        # The column is followed as text is queued, not written, so that a
        # decision about the next prompt sees output still on its way.
        self.column.after(item if isinstance(item, str) else "".join(text for _, text in item))
        self._pending.append(item)
        if self._direct:
            self._flush()
        elif self._held:
            return
        elif self.app is None or not self.app.is_running:
            self._flush()
        elif len(self._pending) == 1:
            # One redraw for all the messages of this turn of the event loop.
            self.app.loop.call_soon(lambda: run_in_terminal(self._flush))

    def _flush(self) -> None:
        items, self._pending = self._pending, []
        for item in items:
            if isinstance(item, str):
                self.output.write_raw(item)
            else:
                print_formatted_text(self.output, item, self.style)
        self.output.flush()


class PlainScreen:
    """prompt(), continuation() and text() say what should be on the last line now."""

    def __init__(
        self,
        output: Output,
        prompt: Callable[[], str],
        continuation: Callable[[], str],
        text: Callable[[], str],
    ):
        self.output = output
        self.prompt = prompt
        self.continuation = continuation
        self.text = text
        self.column = Column()
        self.shown_prompt: str | None = None  # None: the prompt is not on screen
        self.shown_text = ""
        self.active = False  # no prompt until the REPL is ready for keys (after the replay)

    def print(self, text: str) -> None:
        if not text:
            return
        self._hide()
        self._write(text)
        self.column.after(text)
        self.refresh()

    def settled(self) -> bool:
        return True

    # ---- a raw-mode program's screen: no prompt ----------------------------------
    def hold(self) -> None:
        self.begin_raw()

    def begin_raw(self) -> None:
        self._hide()
        self.active = False

    def end_raw(self) -> None:
        self.active = True
        self.refresh()

    def close(self) -> None:
        """The REPL is leaving: end the prompt's line."""
        if self.shown_prompt or self.shown_text:
            self._write("\r\n")
        self.shown_prompt, self.shown_text, self.active = None, "", False

    def echo(self, prompt: Fragments, lines: list[Fragments], continuation: Fragments) -> None:
        """End the typed line; what was typed is on screen already, and anything
        the echo adds to it (a ^C) is written now."""
        self.refresh()
        shown = (self.shown_prompt or "") + self._lines(self.shown_text)
        whole = _text(prompt) + ("\r\n" + _text(continuation)).join(_text(line) for line in lines)
        self._write((whole[len(shown) :] if whole.startswith(shown) else "") + "\r\n")
        self.column.midline = False
        self.shown_prompt, self.shown_text = None, ""

    def refresh(self) -> None:
        if not self.active:
            return
        prompt, text = self.prompt(), self.text()
        if self.shown_prompt == prompt:
            self._update(text)
            return
        self._hide()
        self._write(prompt + self._lines(text))
        self.shown_prompt, self.shown_text = prompt, text

    def _update(self, text: str) -> None:
        old = self.shown_text
        if text == old:
            return
        if text.startswith(old):
            self._write(self._lines(text[len(old) :]))
        elif old.startswith(text) and "\n" not in old[len(text) :]:
            self._write("\b \b" * len(old[len(text) :]))
        else:
            prompt = self.shown_prompt or ""  # _hide forgets it
            self._hide()
            self._write(prompt + self._lines(text))
            self.shown_prompt = prompt
        self.shown_text = text

    def _hide(self) -> None:
        """Take the prompt line off the screen before other text is printed."""
        if self.shown_prompt is None:
            return
        if self.shown_prompt or self.shown_text:
            self._write("\r\n" if "\n" in self.shown_text else "\r\x1b[K")
            self.column.midline = False
        self.shown_prompt, self.shown_text = None, ""

    def _lines(self, text: str) -> str:
        return text.replace("\n", "\r\n" + self.continuation())

    def _write(self, text: str) -> None:
        if text:
            self.output.write_raw(text)
            self.output.flush()


def _text(fragments: Fragments) -> str:
    return "".join(text for _, text in fragments)
