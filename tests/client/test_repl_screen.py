"""What the REPL shows: tables, the window size reaching programs, replay on
attach, kernel log lines, the toolbar, and the simple prompt's plain text."""

from __future__ import annotations

import re

from prompt_toolkit.data_structures import Size

from jsksh.client.toolbar import StatusBar, format_uptime
from tests.client.driver import Driver, play, wait_until

SGR = re.compile(r"\x1b\[[0-9;]*m")


def test_rows_become_a_table_with_numbers_right_aligned(machine):
    async def scenario():
        async with Driver(machine) as d:
            out = SGR.sub("", await d.run("ps"))
            header = next(line for line in out.splitlines() if "PID" in line)
            assert header.split()[:3] == ["PID", "PPID", "STAT"]
            rows = out.splitlines()[out.splitlines().index(header) + 2 :]
            ps_row = next(line for line in rows if line.rstrip().endswith(" ps"))
            # PID is numeric: right-aligned under its header, so the header starts before the number.
            assert ps_row[: len("PID")].strip().isdigit() and ps_row[len("PID") - 1] != " "
            assert "─" in out  # rich's rule under the header

    play(scenario())


def test_the_window_size_reaches_ls(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.output.size = Size(rows=20, columns=30)
            d.repl.session.app.invalidate()  # a redraw notices the new size, as after SIGWINCH
            await d.until(lambda: d.repl.size == d.output.size, "the resize to be sent")
            narrow = SGR.sub("", await d.run("ls /bin")).splitlines()
            d.output.size = Size(rows=50, columns=200)
            d.repl.session.app.invalidate()
            await d.until(lambda: d.repl.size == d.output.size, "the second resize")
            wide = SGR.sub("", await d.run("ls /bin")).splitlines()
            listing = [line for line in narrow if "echo.js" in line or ".js  " in line]
            assert max(len(line.rstrip()) for line in listing) <= 30
            assert len(narrow) > len(wide)

    play(scenario())


def test_reattaching_replays_output_and_adopts_a_run_still_going(machine):
    async def scenario():
        async with Driver(machine) as first:
            await first.run("echo replay-marker-4d1")
            first.type("sleep 30\r")
            await first.until(lambda: first.repl.run_id is not None, "sleep to start")
        await wait_until(lambda: not machine.control.connected, "the first client to go")
        async with Driver(machine) as second:
            await second.until(lambda: second.repl.attached.is_set(), "attached")
            text = second.printed()
            assert "--- replay ---" in text
            assert text.index("--- replay ---") < text.index("replay-marker-4d1\n")
            assert second.repl.run_id is not None  # the sleep, still going: Ctrl-C is for it
            second.type("\x03")
            await second.idle()
            assert second.repl.last_status == 130

    play(scenario())


def test_kernel_messages_print_dim_above_the_prompt(machine):
    async def scenario():
        async with Driver(machine) as d:
            await d.run("echo note-for-the-log > /dev/kmsg")
            await d.until(lambda: "note-for-the-log\x1b[0m" in d.output.raw(), "the log line")
            assert re.search(r"\x1b\[2m\[\s+\d+\.\d{6}\] note-for-the-log\x1b\[0m\n", d.output.raw())

    play(scenario())


def test_the_toolbar_shows_the_machine_at_a_glance(machine):
    async def scenario():
        async with Driver(machine) as d:
            bar = d.repl.status_bar
            await d.until(lambda: "uptime" in bar.status, "a status reply")
            await d.run("false")
            text = "".join(t for _, t in bar.fragments())
            assert "jsksh" in text and "ip none" in text and "last 1" in text
            assert re.search(r"isolates \d+", text) and re.search(r"up \d+:\d\d:\d\d", text)

    play(scenario())


def test_uptime_ticks_between_polls():
    bar = StatusBar()
    bar.update({"uptime": 59.5, "isolates": 2})
    bar.received -= 1.0  # a second passed since the reply
    assert format_uptime(bar.uptime()) == "0:01:00"
    assert format_uptime(90061) == "1d 1:01:01"


def test_the_simple_prompt_writes_plain_text(machine):
    async def scenario():
        async with Driver(machine, simple=True) as d:
            d.output.clear()
            d.type("echo plain\r")
            await d.until(lambda: "plain\n" in d.output.raw(), "the output")
            await d.idle()
            await d.until(lambda: d.output.raw().endswith("jsksh:/$ "), "the next prompt")
            assert d.output.raw() == "echo plain\r\nplain\njsksh:/$ "
            d.type("ec\t")  # Tab completes as readline does, in place
            await d.until(lambda: d.buffer.text == "echo ", "the completion")
            assert d.output.raw().endswith("jsksh:/$ echo ")

    play(scenario())


def test_after_a_reboot_the_repl_attaches_to_the_new_kernel(machine):
    async def scenario():
        async with Driver(machine, simple=True) as d:
            d.type("reboot\r")
            await d.until(lambda: "--- the machine rebooted ---" in d.output.raw(), "the reboot")
            await d.idle()  # the reboot's run ended with the old kernel
            assert "after\n" in await d.run("echo after")
            d.type("eval\r")  # input requests (version 2) work again: the hello was sent anew
            await d.until(lambda: d.repl.input_prompt == "> ", "eval's prompt")

    play(scenario())
