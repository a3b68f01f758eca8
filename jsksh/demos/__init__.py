"""Lessons for `jsksh demo`: scripted sessions, one TOML file each.

`jsksh demo NAME` plays the lesson shipped here as NAME.toml; `jsksh demo
path/to/lesson.toml` plays a teacher's own. A lesson is a title, an intro and
a list of steps, each played in order (jsksh/client/demo.py is the player):

    title = "Isolates, not processes"
    intro = "Printed before the machine boots."
    outro = "Printed after it powers off."
    machine = ["--disk", "{tmp}/home.img"]   # options for the lesson's machine

    [[step]]
    say = "One line of narration, shown before the step."
    type = "eval 6*7"          # typed at a human pace, then Enter
    expect = "42"              # a regex the output must show (Python re)
    until = "prompt"           # then wait for: prompt | input | exit | nothing

Every step key:

    say      narration shown before the step
    type     text to type; each newline in it is an Enter; Enter follows it
    enter    false: do not press Enter after `type` (to show Tab completion)
    keys     keys pressed after `type`: "ctrl-c", "ctrl-d", "tab", "enter",
             "escape", "up", "down", "left", "right", or any "ctrl-LETTER"
    expect   a regular expression to wait for in the output
    until    "prompt" (the shell's prompt, the default), "input" (a program's
             input prompt, as the eval REPL's `> `), "exit" (the machine has
             powered off), "nothing" (go on at once: the command keeps running)
    when     "network" or "no-network": play the step only if the machine
             has (or lacks) a network address
    pause    seconds to wait after the step (to let a loop spin, say)
    timeout  seconds to wait for `expect` and `until` (15 by default)
    host     a command the player runs on the host (bash), shown as `host$ ...`
             with its output, instead of typing at the machine: a lesson's
             other side (curl to a --hostfwd port, tshark reading a --pcap)

In `machine` and `host`, {tmp} is a directory the player makes for the
lesson (and removes after it), {port} a free TCP port on the host's loopback.

Loading checks all of this and raises LessonError with the file, the step and
what is wrong, so a lesson with a typo fails before the machine boots.
Reading TOML needs Python 3.11's tomllib (or the tomli package on 3.10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT = "runtime-js"
UNTIL = ("prompt", "input", "exit", "nothing")
WHEN = ("network", "no-network")
NAMED_KEYS = {
    "enter": "\r",
    "tab": "\t",
    "escape": "\x1b",
    "backspace": "\x7f",
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
}
LESSON_KEYS = {"title": str, "intro": str, "outro": str, "machine": list, "step": list}
STEP_KEYS = {
    "say": str,
    "type": str,
    "enter": bool,
    "keys": list,
    "expect": str,
    "until": str,
    "when": str,
    "pause": (int, float),
    "timeout": (int, float),
    "host": str,
}


class LessonError(Exception):
    """A lesson that cannot be played: the message says where and why."""


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, as a teacher counts the [[step]] tables
    say: str = ""
    type: str = ""
    enter: bool = True
    keys: tuple[str, ...] = ()  # the bytes to send, already translated from names
    key_names: tuple[str, ...] = ()
    expect: re.Pattern | None = None
    until: str = "prompt"
    when: str | None = None
    pause: float = 0.0
    timeout: float = 15.0
    host: str = ""

    def label(self) -> str:
        """How a message names this step: its number and what it types."""
        what = self.type.splitlines()[0] if self.type else self.host or " ".join(self.key_names)
        return f"step {self.number}" + (f" ({what})" if what else "")


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    intro: str
    outro: str
    steps: tuple[Step, ...]
    machine: tuple[str, ...] = ()  # options for its machine, with {tmp} and {port} to fill in


def shipped() -> list[str]:
    """The names of the lessons in this package, sorted."""
    return sorted(p.name[:-5] for p in resources.files(__name__).iterdir() if p.name.endswith(".toml"))


def find(name_or_path: str | None) -> Lesson:
    """A shipped lesson by name, or a lesson file by path."""
    name = name_or_path or DEFAULT
    if name.endswith(".toml") or "/" in name or Path(name).is_file():
        path = Path(name).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise LessonError(f"{name}: cannot read: {e.strerror or e}") from None
        return parse(text, str(path), path.stem)
    if name not in shipped():
        raise LessonError(f"no lesson called {name!r}; the lessons are: {', '.join(shipped())}")
    text = resources.files(__name__).joinpath(name + ".toml").read_text(encoding="utf-8")
    return parse(text, name + ".toml", name)


def parse(text: str, where: str, name: str) -> Lesson:
    """Check a lesson's TOML text and turn it into a Lesson."""
    toml = _toml_module()
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as e:
        raise LessonError(f"{where}: not valid TOML: {e}") from None
    if isinstance(data.get("step"), dict):
        raise LessonError(f"{where}: step must be a list: write each step as [[step]], not [step]")
    _check_keys(data, LESSON_KEYS, where)
    if not data.get("title", "").strip():
        raise LessonError(f'{where}: a lesson needs a title (title = "...")')
    tables = data.get("step", [])
    if not tables:
        raise LessonError(f"{where}: a lesson needs at least one [[step]]")
    steps = tuple(_step(t, i, where) for i, t in enumerate(tables, 1))
    machine = data.get("machine", [])
    if not all(isinstance(option, str) for option in machine):
        raise LessonError(f'{where}: machine must be a list of strings, like ["--disk", "{{tmp}}/home.img"]')
    return Lesson(
        name,
        data["title"].strip(),
        data.get("intro", "").strip(),
        data.get("outro", "").strip(),
        steps,
        tuple(machine),
    )


def _step(table, number: int, where: str) -> Step:
    at = f"{where}: step {number}"
    if not isinstance(table, dict):
        raise LessonError(f"{at}: write steps as [[step]] tables")
    _check_keys(table, STEP_KEYS, at)
    if not any(k in table for k in ("say", "type", "keys", "host")):
        raise LessonError(f"{at}: a step needs at least one of say, type, keys or host")
    if "host" in table and any(k in table for k in ("type", "keys", "until")):
        raise LessonError(f"{at}: a host step runs on the host: it has no type, keys or until")
    until = table.get("until", "prompt")
    if until not in UNTIL:
        raise LessonError(f"{at}: until = {until!r}: expected one of {', '.join(UNTIL)}")
    when = table.get("when")
    if when is not None and when not in WHEN:
        raise LessonError(f"{at}: when = {when!r}: expected one of {', '.join(WHEN)}")
    expect = None
    if "expect" in table:
        try:
            expect = re.compile(table["expect"])
        except re.error as e:
            raise LessonError(
                f"{at}: expect = {table['expect']!r} is not a regular expression: {e}"
            ) from None
    names = table.get("keys", [])
    for seconds in ("pause", "timeout"):
        if table.get(seconds, 0) < 0:
            raise LessonError(f"{at}: {seconds} must not be negative")
    return Step(
        number=number,
        say=table.get("say", "").strip(),
        type=table.get("type", ""),
        enter=table.get("enter", True),
        keys=tuple(_key(k, at) for k in names),
        key_names=tuple(names),
        expect=expect,
        until=until,
        when=when,
        pause=float(table.get("pause", 0)),
        timeout=float(table.get("timeout", 15)),
        host=table.get("host", ""),
    )


def _key(name, at: str) -> str:
    """The bytes a key name stands for: "ctrl-c" is \\x03, "up" is ESC [ A."""
    if not isinstance(name, str):
        raise LessonError(f'{at}: keys must be strings, like "ctrl-c"')
    lower = name.lower()
    if lower in NAMED_KEYS:
        return NAMED_KEYS[lower]
    m = re.fullmatch(r"ctrl-([a-z\]\\^_\[])", lower)
    if m:
        return chr(ord(m.group(1).upper()) & 0x1F)
    choices = ", ".join([*NAMED_KEYS, "ctrl-LETTER"])
    raise LessonError(f"{at}: unknown key {name!r}: expected one of {choices}")


def _check_keys(table: dict, allowed: dict, at: str) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise LessonError(f"{at}: unknown key {key!r}: expected one of {', '.join(allowed)}")
        kind = allowed[key]
        # bool is an int in Python: a `pause = true` is still a mistake.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            want = kind.__name__ if isinstance(kind, type) else "a number"
            raise LessonError(f"{at}: {key} must be {_article(want)}, not {value!r}")


def _article(kind: str) -> str:
    return {"str": "a string", "bool": "true or false", "list": "a list"}.get(kind, kind)


def _toml_module():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise LessonError("reading lessons needs Python 3.11 or newer (or `pip install tomli`)") from None
    return tomllib
