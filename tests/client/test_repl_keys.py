"""The REPL's keys and run model, typed through a pipe at a real machine in this process.

Enter asks the guest whether the line is complete; Ctrl-C clears the line or
interrupts the run; Ctrl-D ends a program's input or leaves; Ctrl-] detaches;
the prompt follows the session (cwd, a program's input prompt).
"""

from __future__ import annotations

from tests.client.driver import Driver, play

CTRL_C, CTRL_D, CTRL_RB = "\x03", "\x04", "\x1d"


def test_enter_runs_a_line_and_its_output_is_printed(machine):
    async def scenario():
        async with Driver(machine) as d:
            out = await d.run("echo hello; cat /nope")
            assert "hello\n" in out
            assert "\x1b[31mcat: /nope: No such file or directory\x1b[0m" in out  # stderr in red
            assert d.repl.last_status == 1

    play(scenario())


def test_ctrl_c_when_idle_clears_the_line(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("echo half-typed")
            await d.until(lambda: d.buffer.text == "echo half-typed", "the typed text")
            d.type(CTRL_C)
            await d.until(lambda: d.buffer.text == "", "the line to clear")
            assert d.repl.run_id is None and d.repl.runs_started == 0  # nothing ran
            assert "echo half-typed^C" in d.printed()

    play(scenario())


def test_enter_with_incomplete_input_inserts_a_newline(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("echo 'open\r")
            await d.until(lambda: d.buffer.text == "echo 'open\n", "a second line")
            assert d.repl.runs_started == 0
            assert d.repl.continuation_text() == "> "  # as sh shows it
            d.type("quote'\r")
            await d.until(lambda: d.repl.runs_started == 1, "the run")
            await d.idle()
            assert "open\nquote\n" in d.printed()

    play(scenario())


def test_a_pipe_at_the_end_continues_and_typed_ahead_lines_queue(machine):
    async def scenario():
        async with Driver(machine) as d:
            # Three Enters typed at once: each is answered in turn, on the text it ended.
            d.type("echo one two |\rwc -w\r")
            await d.until(lambda: d.repl.runs_started == 1, "the pipeline")
            await d.idle()
            assert "2\n" in d.printed()
            assert d.buffer.text == ""

    play(scenario())


def test_ctrl_d_on_an_empty_line_leaves_with_the_last_status(machine):
    async def scenario():
        async with Driver(machine) as d:
            await d.run("false")
            d.type("x" + CTRL_D)  # on a line with text, Ctrl-D deletes (nothing here)
            await d.until(lambda: d.buffer.text == "x", "the typed x")
            d.type("\x08" + CTRL_D)
            outcome = await d.task
            assert (outcome.how, outcome.status) == ("exit", 1)

    play(scenario())


def test_ctrl_bracket_detaches_at_any_time(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("sleep 30\r")
            await d.until(lambda: d.repl.run_id is not None, "the run")
            d.type(CTRL_RB)
            outcome = await d.task
            assert outcome.how == "detached"

    play(scenario())


def test_ctrl_c_interrupts_a_run_and_the_shell_lives_on(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("eval 'sys.print(\"spinning\"); sys.kernel.info(); while (true) {}'\r")
            await d.until(lambda: "spinning\n" in d.printed(), "the loop to start")
            d.type("typed ahead")
            d.type(CTRL_C)
            await d.idle()
            assert d.repl.last_status == 130
            assert d.buffer.text == ""  # Ctrl-C throws away what was typed for the program too
            assert "alive\n" in await d.run("echo alive")

    play(scenario())


def test_the_prompt_follows_the_session_directory(machine):
    async def scenario():
        async with Driver(machine) as d:
            assert d.repl.prompt_text() == "jsksh:/$ "
            await d.run("cd /tmp")
            assert d.repl.prompt_text() == "jsksh:/tmp$ "
            assert "/tmp\n" in await d.run("pwd")

    play(scenario())


def test_a_program_reading_input_gets_lines_and_end_of_input(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("cat\r")
            await d.until(lambda: d.repl.run_id is not None, "cat to start")
            d.type("a line for cat\r")
            await d.until(lambda: "a line for cat\n" in d.output.raw(), "cat's copy of the line")
            d.type(CTRL_D)
            await d.idle()
            assert d.repl.last_status == 0

    play(scenario())


def test_typed_ahead_text_survives_the_end_of_a_run(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("sleep 0.3\r")
            await d.until(lambda: d.repl.run_id is not None, "sleep to start")
            d.type("echo next")
            await d.idle()
            assert d.buffer.text == "echo next"
            assert d.repl.prompt_text() == "jsksh:/$ "

    play(scenario())


def test_exit_ends_the_session_and_the_repl(machine):
    async def scenario():
        async with Driver(machine) as d:
            d.type("exit 3\r")
            outcome = await d.task
            assert (outcome.how, outcome.status) == ("ended", 3)

    play(scenario())


def test_vi_mode_edits_with_vi_keys(machine):
    async def scenario():
        async with Driver(machine, vi=True) as d:
            d.type("echo vi mode")
            await d.until(lambda: d.buffer.text == "echo vi mode", "the typed text")
            d.type("\x1b")  # to navigation mode
            await d.until(lambda: d.buffer.cursor_position == len("echo vi mod"), "escape")
            d.type("0dw")  # to the start, delete a word
            await d.until(lambda: d.buffer.text == "vi mode", "dw")
            d.type("ccecho again\r")
            await d.until(lambda: "again\n" in d.printed(), "the edited line to run")

    play(scenario())


def test_history_is_kept_per_language_in_xdg_data_home(machine, tmp_path):
    async def scenario():
        async with Driver(machine) as d:
            await d.run("echo kept in history")
            d.type("eval\r")
            await d.until(lambda: d.repl.input_prompt == "> ", "eval's prompt")
            d.type("6 * 7\r")
            await d.until(lambda: "42" in d.output.raw(), "42")
            d.type(CTRL_D)
            await d.idle()
        shell = (tmp_path / "data" / "jsksh" / "history").read_text()
        js = (tmp_path / "data" / "jsksh" / "history-js").read_text()
        assert "+echo kept in history" in shell and "+eval" in shell and "6 * 7" not in shell
        assert "+6 * 7" in js and "echo" not in js
        async with Driver(machine) as d:  # a new REPL remembers
            d.type("\x1b[A")  # Up
            await d.until(lambda: d.buffer.text == "eval", "the last line from history")

    play(scenario())


def test_ctrl_r_searches_history_and_suggestions_come_from_it(machine):
    async def scenario():
        async with Driver(machine) as d:
            await d.run("echo first-needle")
            await d.run("echo other")
            d.type("\x12needle")  # Ctrl-R, then the text to find
            await d.until(lambda: d.repl.session.app.current_buffer.text == "needle", "the search text")
            d.type("\r")  # accepts the search: the line is back at the prompt, not run
            await d.until(lambda: d.buffer.text == "echo first-needle", "the search to find the line")
            assert d.repl.session.app.layout.has_focus(d.buffer)
            assert d.repl.runs_started == 2
            d.type("\r")
            await d.until(lambda: d.repl.runs_started == 3, "the found line to run")
            await d.idle()
            d.type("echo oth")
            await d.until(lambda: d.buffer.suggestion and d.buffer.suggestion.text == "er", "a suggestion")

    play(scenario())


def test_ctrl_c_while_enter_waits_for_the_guest_drops_that_enter(machine):
    class Slow:
        """The guest's answer to is-complete takes a while."""

        def __init__(self, conn):
            self.conn = conn

        async def request(self, message, timeout):
            import asyncio

            await asyncio.sleep(0.2)
            return await self.conn.request(message, timeout)

        def __getattr__(self, name):
            return getattr(self.conn, name)

    async def scenario():
        async with Driver(machine) as d:
            d.repl.conn = Slow(d.repl.conn)
            d.type("echo dropped\r")
            await d.until(lambda: d.repl.answering, "the question to go out")
            d.type(CTRL_C)
            await d.until(lambda: not d.repl.answering, "the answer")
            assert d.repl.runs_started == 0 and d.buffer.text == ""
            assert "Enter failed" not in d.output.raw()

    play(scenario())
