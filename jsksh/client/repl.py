"""The interactive REPL: one long-lived prompt over the structured port.

`jsksh` and `jsksh attach PATH` end up here. One prompt_toolkit PromptSession
runs for the whole session and is never cancelled: what it shows (the shell
prompt `jsksh:CWD$ `, a program's input prompt, or nothing while a command
runs), how it highlights and whom it asks for completions are callables
that read the Repl's state, and a state change only invalidates the screen.
So typed-ahead text survives a command ending, and output printed above the
prompt (terminal.py) never garbles what is being typed.

The run model (docs/client.md): Enter on a shell line asks the guest
`is-complete`; a complete line is sent as `run`. While a run is active, Enter
sends the line as the run's `stdin` (asking `is-complete` first when the
program said it answers, as the eval REPL does), Ctrl-C sends `interrupt`
and Ctrl-D `stdin eof`. The run's `exit` brings the shell prompt back.

A program that makes the terminal raw (an editor, `top`; the guest sends
`mode`) gets the terminal itself: the prompt steps aside and every key goes
to the program as it is typed (passthrough.py), until the mode is canonical
again or the run ends.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass

from prompt_toolkit import PromptSession
from prompt_toolkit.application import in_terminal
from prompt_toolkit.application.application import attach_winch_signal_handler
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.document import Document
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.output import DummyOutput, Output, create_output
from prompt_toolkit.shortcuts import CompleteStyle

from jsksh.client import render
from jsksh.client.complete import GuestCompleter, ask, completions
from jsksh.client.history import Histories
from jsksh.client.keys import repl_bindings
from jsksh.client.lexer import STYLE, ReplLexer, fragments_for, split_lines
from jsksh.client.messages import REBOOT_LOG
from jsksh.client.passthrough import KeysThrough
from jsksh.client.protocol import Connection, Refused, hello_message, id_key, int_field
from jsksh.client.terminal import AbovePrompt, PlainScreen
from jsksh.client.toolbar import StatusBar

IS_COMPLETE_TIMEOUT = 1.0
ATTACH_TIMEOUT = 5.0
REBOOT_WAIT = 0.5  # seconds after them: the old kernel is gone, the port waits for the new one


@dataclass
class Outcome:
    """How the REPL ended: "exit" (Ctrl-D), "detached" (Ctrl-]), "ended" (the
    session's shell exited), "closed" (the machine went away), "refused"."""

    how: str
    status: int = 0
    message: str = ""


@dataclass
class Enter:
    """An Enter key press waiting for its answer: the text and cursor then,
    and what was being typed (the run, or None for a shell line)."""

    text: str
    cursor: int
    context: tuple


def simple_prompt_wanted(flag: bool = False) -> bool:
    return (
        flag
        or os.environ.get("TERM") == "dumb"
        or os.environ.get("PROMPT_TOOLKIT_NO_CPR") == "1"
        or os.environ.get("JSKSH_SIMPLE_PROMPT") == "1"
    )


def vi_wanted(flag: bool = False) -> bool:
    return flag or os.environ.get("JSKSH_EDITING_MODE", "").lower() == "vi"


class Repl:
    def __init__(
        self,
        conn: Connection,
        hello: dict | None = None,
        *,
        simple: bool = False,
        vi: bool = False,
        input=None,
        output: Output | None = None,
        colour: bool | None = None,
        histories: Histories | None = None,
        attach: bool = True,
        machine_output=None,
    ):
        self.conn = conn
        self.hello = hello or conn.server or {}
        self.simple = simple
        self.attach = attach
        self.output = output or create_output()
        self.colour = render.colours_wanted() if colour is None else colour
        self.histories = histories or Histories()
        self.machine_output = machine_output  # an embedded machine's fds 1 and 2 (machine_output.py)
        # The session as we know it.
        self.cwd = "/"
        self.last_status = 0
        self.run_id = None  # the active run
        self.input_prompt = ""  # what the active run's program asked with (shown while it waits)
        self.language = None  # of that input: "javascript" or None
        self.answers = False  # does that program answer complete / is-complete?
        self.outcome: Outcome | None = None
        self.enters: list[Enter] = []
        self.runs_started = 0
        self.adopted: str | None = None  # the line of a run going when we attached
        self.answering = False  # is an Enter's is-complete question out?
        self.replaying = False
        self.replayed_input: dict = {}
        self.attached = asyncio.Event()
        self.size = None
        self.keys_through: KeysThrough | None = None  # a raw-mode program has the terminal
        self.status_bar = StatusBar(self.hello.get("hostname") or "jsksh")
        self.session = self._make_session(input, vi)
        self.buffer = self.session.default_buffer
        self.buffer.accept_handler = self._accept  # anything else that accepts goes our way
        if simple:
            self.screen = PlainScreen(
                self.output, self.prompt_text, self.continuation_text, lambda: self.buffer.text
            )
            self.buffer.on_text_changed += lambda _: self.screen.refresh()
        else:
            self.screen = AbovePrompt(self.output, STYLE)
            self.screen.app = self.session.app
        self.session.app.before_render += lambda _: self.check_size()
        conn.on_message = self.on_message

    def _make_session(self, input, vi: bool) -> PromptSession:
        full = not self.simple
        return PromptSession(
            message=self.prompt_fragments,
            prompt_continuation=self.continuation_fragments,
            lexer=ReplLexer(self.typing_language) if full else None,
            completer=GuestCompleter(lambda: self.conn, lambda: self.run_id, self.completion_enabled),
            complete_while_typing=False,
            complete_style=CompleteStyle.COLUMN,
            auto_suggest=AutoSuggestFromHistory() if full else None,
            history=self.histories.shell,
            search_ignore_case=True,
            key_bindings=repl_bindings(self),
            style=STYLE,
            include_default_pygments_style=False,
            editing_mode=EditingMode.VI if vi else EditingMode.EMACS,
            bottom_toolbar=self.status_bar.fragments if full else None,
            refresh_interval=1.0 if full else 0,
            input=input,
            output=self.output if full else DummyOutput(),
            enable_open_in_editor=False,
            mouse_support=False,
            placeholder=self.placeholder if full else None,
        )

    # ---- what the prompt shows ---------------------------------------------------
    def typing_language(self) -> str:
        """ "shell", "javascript" (an eval REPL's input) or "input" (any other program's)."""
        if self.run_id is None:
            return "shell"
        return "javascript" if self.language == "javascript" else "input"

    def prompt_text(self) -> str:
        return f"jsksh:{self.cwd}$ " if self.run_id is None else self.input_prompt

    def prompt_fragments(self):
        if self.run_id is not None or self.simple:
            return [("class:prompt", self.prompt_text())]
        return [("class:prompt", "jsksh:"), ("class:prompt.cwd", self.cwd), ("class:prompt", "$ ")]

    def placeholder(self):
        """A hint on the empty prompt until the first command is run."""
        if self.run_id is not None or self.runs_started:
            return []
        return [("class:placeholder", "help lists the commands · Tab completes · Ctrl-D leaves")]

    def continuation_text(self) -> str:
        language = self.typing_language()
        return "> " if language == "shell" else "... " if language == "javascript" else ""

    def continuation_fragments(self, width: int, line_number: int, wrap_count: int):
        return [("class:prompt.continuation", "" if wrap_count else self.continuation_text())]

    def completion_enabled(self) -> bool:
        return self.run_id is None or self.answers

    def context(self) -> tuple:
        return (self.run_id, self.language, self.answers)

    def changed(self) -> None:
        """The state changed: the prompt, its language or its history may differ now."""
        history = self.histories.for_language(self.typing_language())
        if self.buffer.history is not history:
            self.buffer.history = history
            self.buffer.reset(self.buffer.document)
        self.screen.refresh()

    # ---- the session -------------------------------------------------------------
    async def run(self) -> Outcome:
        motd = self.hello.get("motd")
        if motd and self.attach:
            self.screen.print(motd if motd.endswith("\n") else motd + "\n")
        self.check_size()
        if self.attach:
            self.conn.send({"t": "attach", "replay": True})
            try:
                await asyncio.wait_for(self.attached.wait(), ATTACH_TIMEOUT)
            except asyncio.TimeoutError:
                pass
        tasks = [asyncio.ensure_future(self._watch_connection())]
        loop = asyncio.get_running_loop()
        try:
            # Ctrl-C is a key while the prompt reads the terminal in raw mode; a
            # SIGINT before that (or from `kill -INT`) means the same.
            loop.add_signal_handler(signal.SIGINT, lambda: self.press_interrupt(self.buffer))
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread
        if not self.simple:
            tasks.append(
                asyncio.ensure_future(self.status_bar.poll(self.conn, lambda _: self.screen.refresh()))
            )
        if self.machine_output is not None:
            dim = lambda text: self.screen.print(render.paint(render.DIM, text, self.colour))  # noqa: E731
            self.machine_output.sink = lambda text: loop.call_soon_threadsafe(dim, text)
        try:
            if self.outcome is None:
                self.changed()
                await self.session.prompt_async(
                    set_exception_handler=False, handle_sigint=False, pre_run=self._started
                )
        except (EOFError, KeyboardInterrupt):
            self.outcome = self.outcome or Outcome("exit", self.last_status)
        finally:
            for task in tasks:
                task.cancel()
            loop.remove_signal_handler(signal.SIGINT)
            if self.machine_output is not None:
                self.machine_output.sink = None
            self.screen.close()
        return self.outcome or Outcome("exit", self.last_status)

    def _started(self) -> None:
        """The prompt's application is starting: show the prompt once it reads keys."""
        self.session.app.loop.call_soon(self._show_prompt)

    def _show_prompt(self) -> None:
        if self.outcome is not None:  # it ended before the prompt was up
            self.leave(self.outcome.how)
            return
        # Only now, with the terminal in raw mode: a prompt shown earlier would
        # invite keys that the terminal would echo itself.
        self.screen.active = True
        if self.adopted is not None and self.run_id is not None:
            note = f"--- still running: {self.adopted} (Ctrl-C interrupts it) ---"
            self.screen.print(render.note_text(note, self.colour))
        self.changed()

    async def _watch_connection(self) -> None:
        reason = await asyncio.shield(self.conn.closed)
        self.leave("closed", self.last_status, reason)

    def leave(self, how: str, status: int = 0, message: str = "") -> None:
        if self.outcome is None:
            self.outcome = Outcome(how, status, message)
        self._raw_over()
        app = self.session.app
        if app.is_running and app.future is not None and not app.future.done():
            app.exit()

    def _rebooted(self) -> None:
        """The machine rebooted under us (`reboot`): its new kernel knows nothing
        of this client, so shake hands and attach again; `attached` then ends
        the runs the old kernel took with it. (What is sent while the machine
        is between kernels waits in the port for the new one.)"""
        self.screen.print(render.note_text("--- the machine rebooted ---", self.colour))
        self.conn.send(hello_message(rows=True, terminal=True, modes=True))
        self.size = None
        self.check_size()
        self.conn.send({"t": "attach", "replay": False})

    def check_size(self) -> None:
        """Tell the guest the window's size when it changes (and at the start)."""
        try:
            size = self.output.get_size()
        except OSError:
            return
        if size != self.size and size.columns > 0 and size.rows > 0:
            self.size = size
            self.conn.send({"t": "resize", "columns": size.columns, "rows": size.rows})

    def columns(self) -> int:
        return self.size.columns if self.size else 80

    # ---- messages from the machine -------------------------------------------
    def on_message(self, msg: dict) -> None:
        try:
            self._handle(msg)
        except Exception as e:  # a message of the wrong shape must not end the REPL
            self.screen.print(render.error_text(f"cannot show a {msg.get('t')!r} message: {e}", self.colour))

    def _handle(self, msg: dict) -> None:
        kind = msg["t"]
        if msg.get("replay"):
            return self._replayed(msg)
        if kind == "stdout":
            self.screen.print(str(msg.get("data", "")))
        elif kind == "stderr":
            self.screen.print(render.stderr_text(str(msg.get("data", "")), self.colour))
        elif kind == "rows":
            self.screen.print(
                render.table_text(msg.get("columns"), msg.get("rows"), self.columns(), self.colour)
            )
        elif kind == "log":
            self.screen.print(render.log_text(msg, self.colour))
            if str(msg.get("text", "")).startswith(REBOOT_LOG):
                asyncio.get_running_loop().call_later(REBOOT_WAIT, self._rebooted)
        elif kind == "input":
            self._input_requested(msg)
        elif kind == "mode":
            self._mode(msg)
        elif kind == "exit":
            self._exited(msg)
        elif kind == "session":
            self.leave("ended", int_field(msg.get("status"), self.last_status))
        elif kind == "attached":
            self._attached(msg)
        elif kind == "error":
            self.screen.print(render.error_text(str(msg.get("message", "error")), self.colour))
        # Late replies (complete, is-complete, status after their timeout) are dropped.

    def _replayed(self, msg: dict) -> None:
        kind = msg["t"]
        if kind not in ("stdout", "stderr", "rows", "input"):
            return
        if not self.replaying:
            self.replaying = True
            self.screen.print(render.note_text("--- replay ---", self.colour))
        if kind == "input":
            self.replayed_input[id_key(msg.get("id"))] = msg
            return
        self.replayed_input.pop(id_key(msg.get("id")), None)
        self._handle({k: v for k, v in msg.items() if k != "replay"})

    def _attached(self, msg: dict) -> None:
        self.cwd = str(msg.get("cwd") or self.cwd)
        self.last_status = int_field(msg.get("status"), self.last_status)
        self.status_bar.last = self.last_status
        running = msg.get("running") or []
        if running and isinstance(running[0], dict):
            run = running[0]
            self.run_id = run.get("id")
            self.adopted = str(run.get("line", "?"))  # told when the prompt is up (_show_prompt)
            waiting = self.replayed_input.get(id_key(self.run_id))
            if waiting:
                self._input_requested(waiting)
            mode = msg.get("mode")
            if isinstance(mode, dict) and mode.get("raw") is True:
                self._mode({"id": self.run_id, **mode})  # the run we adopt has the terminal raw
        elif self.run_id is not None:
            self._run_over(0)  # after a reboot: our run went with the old kernel
        self.attached.set()
        self.changed()

    def _input_requested(self, msg: dict) -> None:
        if self.run_id is None:
            self.run_id = msg.get("id")  # a run we did not start (another client's): it is ours now
        if msg.get("id") != self.run_id:
            return
        self.input_prompt = str(msg.get("prompt") or "")
        self.language = msg.get("language") if isinstance(msg.get("language"), str) else None
        self.answers = msg.get("answers") is True
        self.changed()

    def _exited(self, msg: dict) -> None:
        if isinstance(msg.get("cwd"), str):
            self.cwd = msg["cwd"]
        if msg.get("id") == self.run_id:
            self._run_over(int_field(msg.get("status"), 1))
        else:
            self.changed()

    def _run_over(self, status: int) -> None:
        self._raw_over()
        self.last_status = status
        self.status_bar.last = status
        self.status_bar.poll_now()
        self.run_id = None
        self.input_prompt, self.language, self.answers = "", None, False
        if self.screen.column.midline:
            self.screen.print("\n")  # the prompt starts on a line of its own
        self.changed()

    # ---- a raw-mode program (passthrough.py) ---------------------------------------
    def _mode(self, msg: dict) -> None:
        """The guest changed the session's terminal mode for run `id`."""
        raw = msg.get("raw") is True
        if not raw:
            self._raw_over()
        elif self.keys_through is None and self.run_id is not None and msg.get("id") == self.run_id:
            self.screen.hold()  # its first frame waits until the prompt is off the screen
            self.keys_through = KeysThrough(
                self._input_fd(), self._send_keys, lambda: self.leave("detached", 0)
            )
            self.session.app.create_background_task(self._raw_keys(self.keys_through))

    def _input_fd(self) -> int:
        return self.session.app.input.fileno()

    def _send_keys(self, text: str) -> None:
        if self.run_id is not None:
            self.conn.send({"t": "stdin", "id": self.run_id, "data": text})

    async def _raw_keys(self, keys: KeysThrough) -> None:
        """The prompt steps aside while the program reads raw keys."""
        try:
            async with in_terminal():
                self.screen.begin_raw()
                try:
                    with attach_winch_signal_handler(self.check_size):
                        await keys.run()
                finally:
                    self.screen.end_raw()
        finally:
            if self.keys_through is keys:
                self.keys_through = None
            self.changed()

    def _raw_over(self) -> None:
        if self.keys_through is not None:
            self.keys_through.stop.set()
            self.keys_through = None

    # ---- keys --------------------------------------------------------------------
    def press_enter(self, buffer):
        """Enter: remember the text now; the answer to is-complete decides later.
        Returns the coroutine that asks (the key binding hands it to prompt_toolkit
        to run as a background task), or None if one is asking already."""
        self.enters.append(Enter(buffer.text, buffer.cursor_position, self.context()))
        if self.answering:
            return None  # queued: the running one answers it next
        self.answering = True
        return self._answer_enters()

    def _accept(self, buffer) -> bool:
        asking = self.press_enter(buffer)
        if asking is not None:
            self.session.app.create_background_task(asking)
        return True  # keep the text: _answer_enters decides what becomes of it

    async def _answer_enters(self) -> None:
        try:
            while self.enters:
                enter = self.enters[0]
                status, indent = await self._is_complete(enter)
                if not self.enters or self.enters[0] is not enter:
                    continue  # Ctrl-C threw it away meanwhile
                if enter.context != self.context():  # a run started or ended meanwhile
                    enter.context = self.context()
                    continue
                self.enters.pop(0)
                self._apply_enter(enter, status, indent)
        except Exception as e:
            self.enters.clear()
            self.screen.print(render.error_text(f"Enter failed: {e}", self.colour))
        finally:
            self.answering = False

    async def _is_complete(self, enter: Enter) -> tuple[str, str]:
        run_id = enter.context[0]
        if run_id is None:
            if not enter.text.strip():
                return "complete", ""
            message = {"t": "is-complete", "code": enter.text}
        elif enter.context[2] and enter.text.strip():
            message = {"t": "is-complete", "code": enter.text, "run": run_id}
        else:
            return "complete", ""
        reply = await self.conn.request(message, IS_COMPLETE_TIMEOUT)
        if not reply:
            return "complete", ""  # no answer in time: run it, and let the guest say what is wrong
        indent = reply.get("indent") if isinstance(reply.get("indent"), str) else ""
        return str(reply.get("status", "complete")), indent

    def _apply_enter(self, enter: Enter, status: str, indent: str) -> None:
        text = self.buffer.text
        if not text.startswith(enter.text):
            return  # edited since Enter was pressed: that Enter no longer applies
        rest = text[len(enter.text) :]
        if status == "incomplete":
            at = enter.cursor if not rest else len(enter.text)
            grown = enter.text[:at] + "\n" + indent + enter.text[at:]
            cursor = self.buffer.cursor_position + (
                1 + len(indent) if self.buffer.cursor_position >= at else 0
            )
            self.buffer.document = Document(grown + rest, cursor)
            self._rebase(enter.text, grown)
        else:
            cursor = max(0, self.buffer.cursor_position - len(enter.text))
            self._submit(enter.text)
            self.buffer.reset(Document(rest, min(cursor, len(rest))))
            self._rebase(enter.text, "")
        self.changed()

    def _rebase(self, old: str, new: str) -> None:
        """Enters queued behind one just answered saw its old text: give them its new text."""
        for enter in self.enters:
            if enter.text.startswith(old):
                enter.text = new + enter.text[len(old) :]
                enter.cursor = max(0, enter.cursor + len(new) - len(old))

    def _submit(self, text: str) -> None:
        language = self.typing_language()
        self._echo(text, language)
        if text.strip() and language in ("shell", "javascript"):
            history = self.buffer.history
            past = history.get_strings()
            if not past or past[-1] != text:
                history.append_string(text)
        if self.run_id is None:
            if text.strip():
                self.run_id = self.conn.new_id()
                self.runs_started += 1
                self.input_prompt, self.language, self.answers = "", None, False
                self.conn.send({"t": "run", "id": self.run_id, "line": text})
        else:
            self.conn.send({"t": "stdin", "id": self.run_id, "data": text + "\n"})
            self.input_prompt = ""  # until the program asks again

    def _echo(self, text: str, language: str) -> None:
        prompt = self.prompt_fragments()
        continuation = [("class:prompt.continuation", self.continuation_text())]
        lines = split_lines(fragments_for(language, text) if self.colour else [("", text)])
        self.screen.echo(prompt, lines, continuation)

    def press_interrupt(self, buffer) -> None:
        """Ctrl-C: interrupt the active run, or throw the line away."""
        self.enters.clear()
        typed = buffer.text
        if self.run_id is not None:
            self.conn.send({"t": "interrupt", "id": self.run_id})
            self._echo(typed + "^C", "input")
        else:
            self._echo(typed + "^C", "shell")
        buffer.reset()
        self.changed()

    def press_eof(self, buffer) -> None:
        """Ctrl-D: end of input for the active run; at an empty shell prompt, leave."""
        if self.run_id is not None:
            if buffer.text:
                self.conn.send({"t": "stdin", "id": self.run_id, "data": buffer.text})
            self.conn.send({"t": "stdin", "id": self.run_id, "eof": True})
            self._echo(buffer.text, "input")
            buffer.reset()
            self.input_prompt = ""
            self.changed()
        elif not buffer.text:
            self.leave("exit", self.last_status)
        else:
            buffer.delete()

    async def complete_plainly(self, buffer) -> None:
        """Tab in the simple prompt: complete like readline, listing choices as text."""
        if not self.completion_enabled():
            return
        text, cursor = buffer.text, buffer.cursor_position
        reply = await ask(self.conn, text, cursor, self.run_id)
        if buffer.text != text or buffer.cursor_position != cursor or not reply:
            return
        items = completions(reply, text, cursor)
        if not items:
            return
        start = items[0].start_position
        typed = text[cursor + start : cursor]
        common = os.path.commonprefix([c.text for c in items])
        if len(items) == 1:
            common = items[0].text + ("" if items[0].text.endswith("/") else " ")
        if len(common) > len(typed) and all(c.start_position == start for c in items):
            if common.startswith(typed):
                buffer.insert_text(common[len(typed) :])
            else:
                buffer.delete_before_cursor(len(typed))
                buffer.insert_text(common)
        elif len(items) > 1:
            names = "  ".join(c.display_text for c in items)
            self.screen.print(names + "\n")


async def start(sock, *, simple: bool = False, vi: bool = False, finish=None, **kw) -> Outcome:
    """Open the connection on a connected socket, shake hands, run the REPL.
    finish(outcome), if given, is called before the connection is closed."""
    conn = await Connection.open(sock)
    outcome = Outcome("closed", 1, "the connection failed")
    try:
        try:
            hello = await conn.hello(rows=True, terminal=True, modes=True)
        except Refused as e:
            outcome = Outcome("refused", 1, str(e))
            return outcome
        outcome = await Repl(conn, hello, simple=simple, vi=vi, **kw).run()
        return outcome
    except asyncio.CancelledError:  # Ctrl-C before the prompt was up
        outcome = Outcome("detached", 130, "interrupted")
        raise
    finally:
        if finish is not None:
            finish(outcome)
        await conn.close()
