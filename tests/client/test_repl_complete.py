"""Tab completion and the eval REPL mode, answered by a real guest.

The guest knows the commands, the files and an eval isolate's names; Tab
asks it without ever blocking the keys typed meanwhile.
"""

from __future__ import annotations

import time

from jsksh.client import complete
from tests.client.driver import Driver, play

TAB = "\t"


def menu_of(d):
    """A test for the completion menu having its items."""
    return lambda: (
        d.buffer.complete_state if d.buffer.complete_state and d.buffer.complete_state.completions else None
    )


def test_tab_completes_a_command(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("ec" + TAB)
            await d.until(lambda: d.buffer.text == "echo", "ec to become echo")

    play(scenario())


def test_tab_completes_a_path(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("ls /e" + TAB)
            await d.until(lambda: d.buffer.text == "ls /etc/", "/e to become /etc/")

    play(scenario())


def test_options_are_listed_with_their_meaning(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("ls -" + TAB)
            state = await d.until(menu_of(d), "the completion menu")
            menu = {c.text: c.display_meta_text for c in state.completions}
            assert set(menu) == {"-l", "-a"}
            assert menu["-l"].startswith("long listing")

    play(scenario())


def test_in_the_eval_repl_the_program_completes_and_continues_lines(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("eval\r")
            await d.until(lambda: d.repl.input_prompt == "> ", "eval's prompt")
            assert d.repl.typing_language() == "javascript"
            assert d.buffer.history is d.repl.histories.javascript
            d.type("Math." + TAB)
            state = await d.until(menu_of(d), "the completion menu")
            assert "max" in [c.text for c in state.completions]
            d.type("\x07")  # Ctrl-G closes the menu
            d.buffer.reset()
            # Multi-line input: eval's own is-complete says `{` goes on, with an indent.
            d.type("function twice(x) {\r")
            await d.until(lambda: d.buffer.text == "function twice(x) {\n  ", "a continuation line")
            assert d.repl.continuation_text() == "... "
            d.type("return 2 * x\r")
            await d.until(lambda: d.buffer.text.endswith("x\n  "), "the third line")
            d.type("}\r")  # the closing brace takes the indent back
            await d.until(lambda: d.repl.input_prompt == "> " and d.buffer.text == "", "the next prompt")
            d.type("twice(21)\r")
            await d.until(lambda: "42" in d.output.raw(), "42")
            d.type("\x04")  # Ctrl-D ends eval's input
            await d.idle()
            assert d.repl.last_status == 0
            assert d.repl.histories.javascript.get_strings()[-2:] == [
                "function twice(x) {\n  return 2 * x\n}",
                "twice(21)",
            ]
            assert d.repl.histories.shell.get_strings() == ["eval"]

    play(scenario())


def test_completion_never_blocks_typing(machine):
    """A guest that does not answer: the keys typed after Tab still land at once."""

    class Silent:
        async def request(self, message, timeout):
            import asyncio

            await asyncio.sleep(timeout)
            return None

    async def scenario():
        async with Driver(machine) as d:
            real = d.repl.conn
            d.repl.conn = Silent()
            t0 = time.monotonic()
            d.type("ec" + TAB + "ho typed")
            await d.until(lambda: d.buffer.text == "echo typed", "the keys after Tab")
            assert time.monotonic() - t0 < complete.TIMEOUT
            d.repl.conn = real

    play(scenario())


def test_a_reply_becomes_completions_relative_to_the_cursor():
    reply = {"start": 3, "end": 5, "items": [{"text": "/etc/", "kind": "dir"}, "bad", 7, {"text": 1}]}
    items = complete.completions(reply, "ls /e | wc", 5)
    assert [(c.text, c.start_position, c.display_text) for c in items] == [
        ("/etc/", -2, "etc/"),
        ("bad", -2, "bad"),
    ]
    # An item that would also replace text after the cursor keeps that text once.
    items = complete.completions({"start": 0, "end": 4, "items": [{"text": "echo"}]}, "echo", 2)
    assert [(c.text, c.start_position) for c in items] == [("ec", -2)]
    assert complete.completions(None, "x", 1) == []
    assert complete.completions({"items": "nonsense"}, "x", 1) == []
