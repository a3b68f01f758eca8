"""The full REPL on a real terminal: tmux runs `jsksh`, capture-pane reads the screen.

A private tmux server (its own socket, no configuration) runs the REPL in a
100x30 window. Lines are typed with send-keys, and `capture-pane -p -e`
returns the screen with its colours as SGR escape sequences, so the test sees
what a person sees: the prompt, the line highlighted as it is typed, the
bottom toolbar with the machine's status, and the output after Enter.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
PROMPT = "jsksh:/$ "


class Tmux:
    """One tmux server on a private socket, with one session running the REPL."""

    def __init__(self, command: str, columns: int = 100, rows: int = 30):
        self.base = ["tmux", "-L", f"jsksh-test-{uuid.uuid4().hex[:12]}", "-f", "/dev/null"]
        self("new-session", "-d", "-s", "repl", "-x", str(columns), "-y", str(rows), command)

    def __call__(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], check=True, capture_output=True, text=True).stdout

    def screen(self, colours: bool = False) -> str:
        return self("capture-pane", "-p", *(["-e"] if colours else []), "-t", "repl")

    def type(self, text: str) -> None:
        self("send-keys", "-t", "repl", "-l", text)

    def press(self, key: str) -> None:
        self("send-keys", "-t", "repl", key)

    def wait_for(self, test, what: str, timeout: float = 20) -> str:
        """Poll the screen until test(screen) holds; the screen then."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if test(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout} s; the screen:\n{screen}")
            time.sleep(0.05)

    def kill(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


@pytest.fixture()
def tmux(tmp_path):
    # NO_COLOR in the test's environment would turn the highlighting off; the
    # history goes to a directory of the test's own.
    t = Tmux(f"env -u NO_COLOR XDG_DATA_HOME={tmp_path} {sys.executable} -m jsksh.cli --net none")
    yield t
    t.kill()


def styled_chars(line: str) -> list[tuple[str, frozenset]]:
    """Each visible character of a captured line with the attributes in force for it."""
    out, state, pos = [], {}, 0
    for m in SGR.finditer(line):
        out += [(ch, frozenset(state.items())) for ch in line[pos : m.start()]]
        apply_sgr(state, m.group(1))
        pos = m.end()
    return out + [(ch, frozenset(state.items())) for ch in line[pos:]]


def apply_sgr(state: dict, params: str) -> None:
    """Update {attribute: value} for one SGR sequence (ECMA-48 8.3.117): 0 resets,
    39 and 49 are the default colours, 38;5;N and 38;2;R;G;B are extended ones."""
    codes = [int(c) if c.isdigit() else 0 for c in params.replace(":", ";").split(";")]
    while codes:
        code = codes.pop(0)
        if code == 0:
            state.clear()
        elif code in (1, 2, 3, 4, 5, 7, 9):
            state[code] = True
        elif code in (22, 23, 24, 25, 27, 29):
            state.pop(code - 20, None)
            if code == 22:
                state.pop(2, None)
        elif code in (38, 48):
            n = 3 if codes[:1] == [5] else 5
            state["fg" if code == 38 else "bg"] = tuple(codes[:n])
            del codes[:n]
        elif code in (39, 49):
            state.pop("fg" if code == 39 else "bg", None)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            state["fg"] = code
        elif 40 <= code <= 47 or 100 <= code <= 107:
            state["bg"] = code


def style_of(chars: list[tuple[str, frozenset]], word: str) -> set[frozenset]:
    """The styles of the characters of the first `word` on the line."""
    text = "".join(ch for ch, _ in chars)
    start = text.index(word)
    return {style for _, style in chars[start : start + len(word)]}


def prompt_line(screen: str, typed: str) -> str:
    """The coloured line on which `typed` follows the prompt."""
    for line in screen.splitlines():
        visible = SGR.sub("", line)
        if visible.startswith(PROMPT) and visible[len(PROMPT) :].rstrip() == typed:
            return line
    raise AssertionError(f"no prompt line with {typed!r}:\n{screen}")


PLAIN = {frozenset()}


def test_prompt_highlighting_toolbar_and_output(tmux):
    # The prompt, and under it the machine at a glance: no network (--net none),
    # a few isolates, all well. The first status reply may come after the prompt.
    status = re.compile(r"\bup \d+:\d\d:\d\d\b.*\bisolates \d+\b.*\bip none\b.*\blast 0\b")
    tmux.wait_for(
        lambda s: PROMPT.rstrip() in s and status.search(s.rstrip().splitlines()[-1]), "prompt and toolbar"
    )  # capture-pane trims the space after the prompt

    js = "eval Math.PI * 2"
    tmux.type(js)
    tmux.wait_for(lambda s: PROMPT + js in s, "the typed JavaScript")
    chars = styled_chars(prompt_line(tmux.screen(colours=True), js))[len(PROMPT) :]
    command, builtin, number = style_of(chars, "eval"), style_of(chars, "Math"), style_of(chars, "2")
    assert command != PLAIN, f"the command word is not highlighted: {chars}"
    assert builtin not in (PLAIN, command), f"Math is not highlighted as JavaScript: {chars}"
    assert number not in (PLAIN, command), f"2 is not highlighted as a number: {chars}"
    assert style_of(chars, ".PI") == PLAIN, chars
    tmux.press("Enter")
    screen = tmux.wait_for(lambda s: "6.283185307179586" in s and s.count(PROMPT.rstrip()) >= 2, "the value")
    assert re.search(r"^6\.283185307179586\s*$", screen, re.M), screen

    shell = "ls /bin | grep ev"  # a few names: the screen keeps its earlier prompts
    tmux.type(shell)
    tmux.wait_for(lambda s: PROMPT + shell in s, "the typed shell line")
    chars = styled_chars(prompt_line(tmux.screen(colours=True), shell))[len(PROMPT) :]
    assert style_of(chars, "ls") != PLAIN and style_of(chars, "ls") == style_of(chars, "grep"), chars
    assert style_of(chars, "|") not in (PLAIN, style_of(chars, "ls")), chars
    assert style_of(chars, "/bin") == PLAIN, chars
    tmux.press("Enter")
    screen = tmux.wait_for(lambda s: "eval.js" in s and s.count(PROMPT.rstrip()) >= 3, "the output of ls")
    assert re.search(r"^devices\.js\s*$", screen, re.M), screen
    assert not re.search(r"^echo\.js\s*$", screen, re.M), screen  # grep ev dropped it

    tmux.type("eval nope")
    tmux.press("Enter")
    screen = tmux.wait_for(
        lambda s: re.search(r"\blast 1\b", s.splitlines()[-1]), "the failure in the toolbar"
    )
    assert "ReferenceError: nope is not defined" in screen, screen
