"""`jsksh demo`: play a lesson (jsksh/demos/*.toml) as a scripted session.

The player boots a machine with the REPL in its simple-prompt mode
(`python -m jsksh.cli --simple-prompt ...`) under pexpect, in a pty of the
terminal's size, and everything the machine prints is copied to this
terminal. For each step it narrates one dim line, types the command at a
human pace (`--fast` types at once and never pauses), and waits for the
step's expected output and the prompt after it. A step that does not see what
it waits for ends the demo with one line saying which and why, powers the
machine off and exits 1.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pexpect

from jsksh.client.render import ESCAPE
from jsksh.demos import Lesson, LessonError, Step, find, shipped

SHELL_PROMPT = re.compile(r"jsksh:\S*\$ ")
# What a program reading input shows at the start of a line: the eval REPL's
# "> " (not its "... ", which asks for more of the same input).
INPUT_PROMPT = re.compile(r"(?:^|[\r\n])(?:\x1b\[[0-9;]*m)*> (?:\x1b\[[0-9;]*m)*")
BOOT_TIMEOUT = 30.0
ENTER = "\r"
# A terminal's control sequences (render.ESCAPE) are only noise in a pipe or
# a file, so PlainText takes them out; UNFINISHED is one cut off by a write.
UNFINISHED = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PlainText:
    """A writer for a pipe or a file: the machine's screen without its
    terminal control sequences, carriage returns made newlines once."""

    def __init__(self, out):
        self.out = out
        self.held = ""  # the start of a sequence cut off at the end of the last write

    def write(self, text: str) -> None:
        text = self.held + text
        cut = UNFINISHED.search(text)
        self.held = text[cut.start() :] if cut else ""
        text = text[: cut.start()] if cut else text
        self.out.write(ESCAPE.sub("", text).replace("\r\n", "\n").replace("\r", ""))

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return False


def main(args) -> int:
    if getattr(args, "list", False):
        return list_lessons()
    try:
        lesson = find(getattr(args, "lesson", None))
    except LessonError as e:
        print(f"jsksh demo: {e}", file=sys.stderr)
        return 2
    return Player(lesson, machine_options(args), fast=getattr(args, "fast", False)).play()


def list_lessons() -> int:
    names = shipped()
    width = max(map(len, names))
    for name in names:
        try:
            title = find(name).title
        except LessonError as e:
            title = f"(broken: {e})"
        default = "  (the default)" if name == "runtime-js" else ""
        print(f"{name:<{width}}  {title}{default}")
    return 0


def machine_options(args) -> list[str]:
    """The machine options of `jsksh demo` as arguments for the machine it boots."""
    argv = []
    for name in (
        "cmdline",
        "cpu_limit",
        "heap_limit",
        "cpus",
        "net",
        "mac",
        "pcap",
        "dns",
        "net_faults",
        "net_offload",
    ):
        value = getattr(args, name, None)
        if value not in (None, ""):
            argv += ["--" + name.replace("_", "-"), str(value)]
    for option in ("hostfwd", "limit"):
        for spec in getattr(args, option, None) or ():
            argv += ["--" + option, spec]
    return argv


class DemoFailed(Exception):
    """A step did not see what it waited for; the message is the one line to show."""


class Player:
    def __init__(self, lesson: Lesson, options: list[str], fast: bool = False, out=None):
        self.lesson = lesson
        self.options = options
        self.fast = fast
        out = out or sys.stdout
        self.styled = out.isatty() and "NO_COLOR" not in os.environ
        # Not a terminal (or NO_COLOR): the machine's colours and cursor moves are left out too.
        self.out = out if self.styled else PlainText(out)
        self.child: pexpect.spawn | None = None
        self.network: bool | None = None  # found out after boot if a step asks
        # The demo's lines stay out of the person's own REPL history.
        self.data_home = tempfile.TemporaryDirectory(prefix="jsksh-demo-")
        # {tmp} and {port} in the lesson's machine options and host commands.
        self.lesson_tmp = tempfile.TemporaryDirectory(prefix="jsksh-lesson-")
        self.port = _free_port()
        self.prompt = "jsksh:/$ "  # the last prompt seen, shown again under narration
        self.at_prompt = False  # is that prompt the last thing on screen?
        self.tail = ""  # output read before the machine exited, not matched yet

    # ---- The lesson ------------------------------------------------------

    def play(self) -> int:
        self.heading()
        try:
            self.boot()
            if any(step.when for step in self.lesson.steps):
                self.network = self.probe_network()  # at the first prompt, where a shell reads it
            for step in self.lesson.steps:
                if step.when and self.network != (step.when == "network"):
                    continue
                self.run(step)
                if self.child is None:  # the step powered the machine off
                    break
            else:
                self.power_off()
        except DemoFailed as e:
            self.power_off()
            self.write("\r\n")
            print(f"jsksh demo: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            self.power_off()
            self.write("\r\n")
            print("jsksh demo: interrupted", file=sys.stderr)
            return 130
        finally:
            self.data_home.cleanup()
            self.lesson_tmp.cleanup()
        if self.lesson.outro:
            self.at_prompt = False
            self.narrate(self.lesson.outro)
        return 0

    def heading(self) -> None:
        self.write(self.style("1", self.lesson.title) + "\n")
        if self.lesson.intro:
            self.write(self.style("2;3", self.lesson.intro) + "\n")
        self.write("\n")
        self.flush()

    def fill(self, text: str) -> str:
        return text.replace("{tmp}", self.lesson_tmp.name).replace("{port}", str(self.port))

    def run(self, step: Step) -> None:
        if not self.child.isalive():
            raise DemoFailed(f"{step.label()}: the machine is no longer running")
        if step.host:
            self.at_prompt = False  # its command goes on a line of its own, under the narration
        if step.say:
            self.narrate(step.say)
            self.pause(min(3.0, 0.6 + 0.02 * len(step.say)))
        if step.host:
            self.run_on_host(step)
            return
        lines = step.type.split("\n") if step.type else []
        for i, line in enumerate(lines):
            self.type_text(line)
            if i < len(lines) - 1 or step.enter:
                self.press(ENTER)
                # The echo of a line ends with its Enter: skip past it, so that
                # `expect` cannot match the command line itself, and so that
                # the next line of a multi-line input is typed where a person
                # would, after the continuation prompt.
                self.wait_for("\n", step, "the echo of the line", literal=True)
        for key in step.keys:
            self.press(key)
        if step.expect:
            self.wait_for(step.expect, step, f"/{step.expect.pattern}/")
        self.wait_until(step)
        if step.pause:
            # A step's own pause is part of the lesson (a loop must start
            # before Ctrl-C stops it), so --fast shortens it but keeps some.
            self.hold(min(step.pause, 0.3) if self.fast else step.pause)
        self.pause(0.8)

    def run_on_host(self, step: Step) -> None:
        """A host step: the command and its output, shown between two of the machine's prompts."""
        command = self.fill(step.host)
        self.write(("" if step.say else "\r\n") + self.style("1", "host$ ") + step.host + "\r\n")
        self.flush()
        try:
            done = subprocess.run(
                ["bash", "-c", command],
                capture_output=True,
                text=True,
                timeout=step.timeout,
                errors="replace",
            )
        except subprocess.TimeoutExpired:
            raise DemoFailed(
                f"{step.label()}: the host command did not end within {step.timeout:g} s"
            ) from None
        output = done.stdout + done.stderr
        self.write(output.replace("\n", "\r\n"))
        if done.returncode != 0:
            raise DemoFailed(f"{step.label()}: the host command exited with status {done.returncode}")
        if step.expect and not step.expect.search(output):
            raise DemoFailed(f"{step.label()}: did not see /{step.expect.pattern}/ in its output")
        self.write(self.prompt)
        self.at_prompt = True
        self.flush()
        if step.pause:
            self.hold(min(step.pause, 0.3) if self.fast else step.pause)
        self.pause(0.8)

    def wait_until(self, step: Step) -> None:
        self.at_prompt = step.until in ("prompt", "input")
        if step.until == "prompt":
            self.wait_for(SHELL_PROMPT, step, "the shell's prompt")
            self.prompt = self.child.after
        elif step.until == "input":
            self.wait_for(INPUT_PROMPT, step, "a program's input prompt")
            self.prompt = self.child.after.lstrip("\r\n")
        elif step.until == "exit":
            self.wait_for(pexpect.EOF, step, "the machine powering off")
            self.child.close()
            status = self.child.exitstatus
            self.child = None
            if status:
                raise DemoFailed(f"{step.label()}: the machine exited with status {status}")

    def probe_network(self) -> bool:
        """Has the machine an address? Asked with `ip addr`, off the screen."""
        if "--net" in self.options and self.options[self.options.index("--net") + 1] == "none":
            return False
        logfile, self.child.logfile_read = self.child.logfile_read, None
        try:
            self.child.send("ip addr" + ENTER)
            self.child.expect(SHELL_PROMPT, timeout=15)
            return "inet " in self.child.before
        except pexpect.ExceptionPexpect:
            raise DemoFailed("the network check (ip addr) did not come back") from None
        finally:
            self.child.logfile_read = logfile

    # ---- The machine -----------------------------------------------------

    def boot(self) -> None:
        size = shutil.get_terminal_size((100, 30))
        env = {
            **os.environ,
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "PYTHONUNBUFFERED": "1",
            "XDG_DATA_HOME": self.data_home.name,
        }
        argv = self.command()
        self.child = pexpect.spawn(
            argv[0],
            argv[1:],
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(size.lines, size.columns),
            timeout=BOOT_TIMEOUT,
        )
        self.child.delaybeforesend = None  # the pace is ours: pexpect would add 50 ms to every key
        self.child.logfile_read = self.out
        try:
            self.child.expect(SHELL_PROMPT)
        except pexpect.TIMEOUT:
            raise DemoFailed(f"the machine showed no prompt within {BOOT_TIMEOUT:.0f} s") from None
        except pexpect.EOF:
            self.child.close()
            raise DemoFailed(f"the machine exited while booting (status {self.child.exitstatus})") from None
        self.prompt = self.child.after
        # Let the REPL settle (take the terminal, draw the rest) before the
        # first key, as a presenter would: a key typed at the very moment the
        # prompt appears can be echoed twice.
        self.hold(0.3)
        self.at_prompt = True

    def command(self) -> list[str]:
        lesson = [self.fill(option) for option in self.lesson.machine]
        return [sys.executable, "-m", "jsksh.cli", "--simple-prompt", *self.options, *lesson]

    def power_off(self) -> None:
        """Leave no machine behind: interrupt what runs, `poweroff`, and at worst kill."""
        child, self.child = self.child, None
        if child is None or not child.isalive():
            return
        child.logfile_read = None
        try:
            child.send("\x03")
            time.sleep(0.2)
            child.send("poweroff" + ENTER)
            child.expect(pexpect.EOF, timeout=5)
        except pexpect.ExceptionPexpect:
            pass
        child.close(force=True)

    def wait_for(self, pattern, step: Step, what: str, literal: bool = False) -> None:
        try:
            if literal:
                self.child.expect_exact(pattern, timeout=step.timeout)
            else:
                self.child.expect(pattern, timeout=step.timeout)
        except pexpect.TIMEOUT:
            raise DemoFailed(f"{step.label()}: did not see {what} within {step.timeout:g} s") from None
        except pexpect.EOF:
            if pattern is pexpect.EOF or self.seen_before_exit(pattern, literal):
                return
            self.child.close()
            status = self.child.exitstatus
            self.child = None
            raise DemoFailed(
                f"{step.label()}: the machine exited (status {status}) before showing {what}"
            ) from None

    # ---- Typing and showing ----------------------------------------------

    def type_text(self, text: str) -> None:
        if self.fast:
            self.child.send(text)
            return
        for ch in text:
            self.child.send(ch)
            self.hold(random.uniform(0.04, 0.08))

    def press(self, key: str) -> None:
        self.child.send(key)
        if not self.fast:
            self.hold(0.15)

    def pause(self, seconds: float) -> None:
        """A pause for the audience to read: none with --fast."""
        if not self.fast:
            self.hold(seconds)

    def hold(self, seconds: float) -> None:
        """Wait while still copying the machine's output to the terminal.

        pexpect only reads (and so only shows) during an expect: waiting for
        a pattern that cannot come keeps the echo of each key on screen as it
        is typed. What it reads stays in the buffer for the next expect."""
        if self.child is None:
            time.sleep(seconds)
            return
        try:
            self.child.expect([pexpect.TIMEOUT], timeout=seconds)
        except pexpect.EOF:
            self.tail += self.child.before  # pexpect empties its buffer at the end

    def seen_before_exit(self, pattern, literal: bool) -> bool:
        """Was `pattern` in what the machine printed before it exited (and not yet matched)?"""
        text, self.tail = self.tail + (self.child.before or ""), ""
        if literal:
            end = text.find(pattern)
            end = end + len(pattern) if end >= 0 else -1
        else:
            m = re.compile(pattern).search(text)
            end = m.end() if m else -1
        self.tail = text[end:] if end >= 0 else text
        return end >= 0

    def narrate(self, text: str) -> None:
        """One line of narration above the prompt: the prompt is shown again under it."""
        if self.at_prompt and self.styled:
            self.write("\r\x1b[2K")  # the prompt already on screen moves below the narration
        else:
            self.write("\r\n")
        self.write(self.style("2;3", "# " + " ".join(text.split())) + "\r\n")
        if self.at_prompt:
            self.write(self.prompt)
        self.flush()

    def style(self, sgr: str, text: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.styled else text

    def write(self, text: str) -> None:
        self.out.write(text)

    def flush(self) -> None:
        self.out.flush()
