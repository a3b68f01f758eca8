"""JavaScript as an isolate gets it: comments and indentation out, every line where it was.

V8 keeps the source of each script it compiles in the isolate that compiles
it, and scans all of it there: a fresh isolate pays for every comment and
every indent.  The kernel's and the libraries' sources explain themselves at
length (they are written to be read), so the machine hands isolates a
compacted copy: the app runtime when the warm pool makes an isolate
(app_pool.py), a program and the libraries it links when it starts
(app_host.py, ``with_code``).  That is about a third less text, and a new
`worker` isolate's start takes about 1 ms less CPU (docs/performance.md).

What goes: a line's indentation, and a ``//`` comment with the blanks before
it (a line that was only a comment stays, empty).  What stays: every line
break (a stack trace's line numbers are the file's; its columns move left),
``/* */`` comments, ``//#`` and ``//@`` lines (``//# sourceURL``, the
runtime's ``//@lazy`` mark), and everything inside a string, template literal
or regular expression.

Telling those apart takes a scanner, not a regular expression: a template
literal (ECMA-262 §12.9.6) may span lines, and its indentation and any
``//`` in it are its value.  The scanner follows the lexical grammar (§12)
as far as that needs: comments (§12.4), string literals (§12.9.4) with
their line continuations, template literals with their ``${ }``
substitutions nesting to any depth, and regular expression literals
(§12.9.5).  Whether a ``/`` starts a regular expression or is a division
depends on the syntactic context (§12, the InputElementRegExp goal); as
tokenizers that do not parse do, it is decided by the token before: after a
value (a name, a number, a literal, ``)``, ``]``, ``}``) it divides, after
anything else (an operator, ``(``, ``,``, a keyword such as ``return``) it
starts a regular expression.  /lib/worker/module-form.js scans the same way.

A text the scanner cannot follow to a clean end (still inside a comment,
string or template, or with ``${ }`` left open) is given back unchanged:
a guess that went wrong changes no program.

``compacted()`` is what the machine calls: ``compact()`` with the result
kept on disk (~/.cache/jsksh/compact/), as Python keeps bytecode.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from jsksh import cache

# After these words a `/` starts a regular expression (`return /x/.test(s)`);
# after any other name it divides (`total / count`).
REGEX_AFTER_WORDS = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await".split()
)
_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_BLANK = " \t"


class _Unfollowable(Exception):
    """The text ends inside something, or closes what it never opened."""


_SPECIAL = re.compile(r"[\n'\"`/{}]")  # what the scanner stops at in code; all else it jumps over
_WORD_BEFORE = re.compile(r"[A-Za-z0-9_$]+$")


def scan(src: str) -> list[tuple[bool, int | None]]:
    """For each line of ``src``: (whether it begins in code, not inside a
    comment, string or template literal; the column where a ``//`` comment
    in code begins on it, or None)."""
    lines: list[tuple[bool, int | None]] = []
    line_start, starts_in_code, comment_at = 0, True, None

    def newline(at: int, next_in_code: bool) -> None:
        nonlocal line_start, starts_in_code, comment_at
        lines.append((starts_in_code, comment_at))
        line_start, starts_in_code, comment_at = at + 1, next_in_code, None

    n = len(src)
    depth = 0  # { } nesting, each template's ${ counted as a brace
    substitutions: list[int] = []  # the depth at which each open ${ began
    i = 0
    while True:
        m = _SPECIAL.search(src, i)
        if m is None:
            break
        i = m.start()
        c = src[i]
        if c == "\n":
            newline(i, True)
            i += 1
        elif c == "/":
            nxt = src[i + 1 : i + 2]
            if nxt == "/":
                comment_at = i - line_start
                end = src.find("\n", i)
                i = n if end < 0 else end
            elif nxt == "*":
                end = src.find("*/", i + 2)
                if end < 0:
                    raise _Unfollowable("a /* comment never ends")
                for at in _newlines(src, i, end):
                    newline(at, False)
                i = end + 2
            elif _divides(src, i):
                i += 1
            else:
                i = _regex(src, i + 1)
        elif c in "'\"":
            i = _string(src, i, newline)
        elif c == "{":
            depth += 1
            i += 1
        elif c == "}" and not (substitutions and substitutions[-1] == depth - 1):
            depth -= 1
            if depth < 0:
                raise _Unfollowable("a } closes nothing")
            i += 1
        else:  # a backtick opens a template, or a } closes a ${ and the template goes on
            if c == "}":
                substitutions.pop()
                depth -= 1
            i = _template(src, i + 1, newline)
            if i < 0:  # stopped at a ${: code until its }
                i = -i
                substitutions.append(depth)
                depth += 1
    if substitutions:
        raise _Unfollowable("a template's ${ never closes")
    lines.append((starts_in_code, comment_at))
    return lines


def _divides(src: str, slash: int) -> bool:
    """Whether the ``/`` at ``slash`` is a division: the token before it is a
    value (a name other than the words above, a number, a literal's end, or
    one of ) ] }), judged from the text before it on its line."""
    before = src[src.rfind("\n", 0, slash) + 1 : slash].rstrip(" \t\r")
    if not before:
        return False
    last = before[-1]
    if last in ")]}'\"`":
        return True
    word = _WORD_BEFORE.search(before)
    return word is not None and word.group() not in REGEX_AFTER_WORDS


def _newlines(src: str, start: int, end: int):
    at = src.find("\n", start, end)
    while at >= 0:
        yield at
        at = src.find("\n", at + 1, end)


def _string(src: str, i: int, newline) -> int:
    """Past the string literal opening at ``i`` (§12.9.4: a backslash before
    a line break continues it on the next line)."""
    quote, n = src[i], len(src)
    i += 1
    while i < n:
        c = src[i]
        if c == quote:
            return i + 1
        if c == "\\":
            if src.startswith("\r\n", i + 1):
                newline(i + 2, False)
                i += 3
                continue
            if i + 1 < n and src[i + 1] == "\n":
                newline(i + 1, False)
            i += 2
            continue
        if c == "\n":
            raise _Unfollowable("a string runs past its line")
        i += 1
    raise _Unfollowable("a string never ends")


def _template(src: str, i: int, newline) -> int:
    """From inside a template literal at ``i``: past its closing backtick,
    or, negated, past a ``${`` (code until the matching ``}``)."""
    n = len(src)
    while i < n:
        c = src[i]
        if c == "`":
            return i + 1
        if c == "\\":
            if i + 1 < n and src[i + 1] == "\n":
                newline(i + 1, False)
            i += 2
            continue
        if c == "$" and src.startswith("{", i + 1):
            return -(i + 2)
        if c == "\n":
            newline(i, False)
        i += 1
    raise _Unfollowable("a template literal never ends")


def _regex(src: str, i: int) -> int:
    """Past the regular expression literal whose body begins at ``i`` (§12.9.5:
    it cannot span lines; a / inside [ ] does not end it), and its flags."""
    n = len(src)
    in_class = False
    while i < n and src[i] != "\n":
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            i += 1
            while i < n and src[i] in _NAME:
                i += 1
            return i
        i += 1
    raise _Unfollowable("a regular expression runs past its line")


def compact(src: str) -> str:
    """``src`` without indentation and ``//`` comments, line for line (above)."""
    try:
        lines = scan(src)
    except _Unfollowable:
        return src
    out = []
    for text, (in_code, comment_at) in zip(src.split("\n"), lines, strict=True):
        if comment_at is not None and not text.startswith(("//#", "//@"), comment_at):
            text = text[:comment_at].rstrip(_BLANK)
        out.append(text.lstrip(_BLANK) if in_code else text)
    return "\n".join(out)


# ---- compacted texts kept on disk ------------------------------------------------------------
# Compacting is about 17 MB/s of Python: the shell's libraries (230 KB) took
# 14 ms of the first boot's first spawn.  As Python keeps bytecode in
# __pycache__, each compacted text is kept by the hash of its source (and of
# this file, so a change here is never served stale): later machines read it.
_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def compacted(src: str) -> str:
    """compact(src), from the disk when a machine compacted the same text before.
    A cache that cannot be read or written only costs the compacting."""
    data = src.encode("utf-8", "surrogatepass")
    path = cache.directory("compact") / hashlib.sha256(_VERSION.encode() + data).hexdigest()[:40]
    kept = cache.read(path)
    if kept is not None:
        try:
            return kept.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            pass
    out = compact(src)
    cache.keep(path, out.encode("utf-8", "surrogatepass"))
    return out
