"""The REPL's keys: what Enter, Ctrl-C, Ctrl-D, Ctrl-], Tab and closing brackets mean here.

Everything else is prompt_toolkit's (emacs or vi editing, Ctrl-R search,
history). The handlers only call the Repl (repl.py), which knows whether a
run is active. Enter's handler (and the simple prompt's Tab) may return a
coroutine, which prompt_toolkit runs as a background task, so asking the
guest `is-complete` never blocks typing.
"""

from __future__ import annotations

from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import Condition, emacs_insert_mode, has_focus, vi_insert_mode
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.key_binding.key_processor import KeyPressEvent

INDENT = 2  # the guest's indent step (fs/lib/complete/javascript.js)


def repl_bindings(repl) -> KeyBindings:
    kb = KeyBindings()
    typing = has_focus(DEFAULT_BUFFER)

    @kb.add("enter", filter=typing)
    def enter(event: KeyPressEvent):
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.complete_state = None  # Enter takes the highlighted completion, like a menu
            return None
        return repl.press_enter(buffer)

    @kb.add("escape", "enter", filter=typing)
    def newline(event: KeyPressEvent):
        """Meta-Enter: a new line without asking whether the input is complete."""
        event.current_buffer.insert_text("\n")

    @kb.add("c-c", filter=typing, eager=True)
    def interrupt(event: KeyPressEvent):
        repl.press_interrupt(event.current_buffer)

    @kb.add("c-d", filter=typing, eager=True)
    def end_of_input(event: KeyPressEvent):
        repl.press_eof(event.current_buffer)

    @kb.add("c-]", eager=True)
    def detach(event: KeyPressEvent):
        repl.leave("detached", 0)

    for closing in "}])":

        @kb.add(closing, filter=typing & (emacs_insert_mode | vi_insert_mode))
        def dedent(event: KeyPressEvent):
            """A closing bracket typed on an indented empty line takes one indent level back."""
            buffer = event.current_buffer
            before = buffer.document.current_line_before_cursor
            if before and not before.strip():
                buffer.delete_before_cursor(min(len(before), INDENT))
            buffer.insert_text(event.data)

    @kb.add("tab", filter=typing & Condition(lambda: repl.simple))
    def complete_plainly(event: KeyPressEvent):
        return repl.complete_plainly(event.current_buffer)

    return kb
