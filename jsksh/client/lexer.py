"""Highlighting as you type: shell lines, and JavaScript where JavaScript is typed.

A small shell tokenizer (pygments' BashLexer knows only builtins, not that
the first word of each command is a command) gives the command word,
options, strings, variables, comments and the operators | ; & > <. After an
`eval` command word the rest of that line is JavaScript, and in the eval
REPL (a run whose `input` said language "javascript") the whole buffer is;
both go through pygments' JavascriptLexer. `ReplLexer` is the prompt_toolkit
Lexer; `STYLE` gives every class an ANSI colour, so it reads on light and
dark terminals alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style
from prompt_toolkit.styles.pygments import pygments_token_to_classname

Fragments = list[tuple[str, str]]

COMMAND, OPTION, STRING, VARIABLE, OPERATOR, COMMENT = (
    "class:shell.command",
    "class:shell.option",
    "class:shell.string",
    "class:shell.variable",
    "class:shell.operator",
    "class:shell.comment",
)
OPERATORS = ("&&", "||", ">>", ">&", "|", ";", "&", ">", "<", "(", ")")
STARTS_COMMAND = {"&&", "||", "|", ";", "&", "("}  # the next word is a command
SPECIAL = set(" \t\n|;&<>()")
REDIRECT = re.compile(r"\d*>&\d*|\d+>>?")

STYLE = Style.from_dict(
    {
        "shell.command": "ansiblue bold",
        "shell.option": "ansicyan",
        "shell.string": "ansigreen",
        "shell.variable": "ansimagenta",
        "shell.operator": "ansiyellow bold",
        "shell.comment": "ansibrightblack italic",
        "pygments.keyword": "ansimagenta bold",
        "pygments.name.builtin": "ansicyan",
        "pygments.name.function": "ansiblue",
        "pygments.name.class": "ansiblue bold",
        "pygments.literal.number": "ansiyellow",
        "pygments.literal.string": "ansigreen",
        "pygments.literal.string.regex": "ansired",
        "pygments.comment": "ansibrightblack italic",
        "pygments.operator": "ansiyellow",
        "pygments.keyword.constant": "ansired",
        "prompt": "",
        "placeholder": "ansibrightblack italic",
        "prompt.cwd": "ansiblue bold",
        "bottom-toolbar": "noreverse bg:ansiblack ansiwhite",
        "bottom-toolbar.key": "bold",
        "bottom-toolbar.bad": "ansired bold",
    }
)


# ---- JavaScript ---------------------------------------------------------------------
_js_lexer = None


def js_fragments(text: str) -> Fragments:
    global _js_lexer
    if _js_lexer is None:
        from pygments.lexers import JavascriptLexer

        _js_lexer = JavascriptLexer(stripnl=False, stripall=False, ensurenl=False)
    return [
        ("class:" + pygments_token_to_classname(t), v) for _, t, v in _js_lexer.get_tokens_unprocessed(text)
    ]


# ---- the shell ------------------------------------------------------------------------
def shell_fragments(text: str) -> Fragments:
    out: Fragments = []
    i, n = 0, len(text)
    expect_command = True  # at the start of a simple command
    expect_file = False  # after a redirection
    while i < n:
        c = text[i]
        if c in " \t\n":
            j = i
            while j < n and text[j] in " \t\n":
                j += 1
            out.append(("", text[i:j]))
            if "\n" in text[i:j]:
                expect_command, expect_file = True, False
            i = j
        elif c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append((COMMENT, text[i:j]))
            i = j
        elif (op := _operator_at(text, i)) is not None:
            out.append((OPERATOR, op))
            expect_file = op[-1] in "<>&" and op not in STARTS_COMMAND
            expect_command = op in STARTS_COMMAND or (expect_command and expect_file)
            i += len(op)
        else:
            j = _word_end(text, i)
            word = text[i:j]
            if expect_file:
                out += _word_fragments(word, "")
                expect_file = False
            elif expect_command and _is_assignment(word):
                name, _, value = word.partition("=")
                out += [(VARIABLE, name), (OPERATOR, "=")] + _word_fragments(value, "")
            elif expect_command:
                out += _word_fragments(word, COMMAND)
                expect_command = False
                if word == "eval":  # the rest of the line is JavaScript
                    end = text.find("\n", j)
                    end = n if end < 0 else end
                    out += js_fragments(text[j:end])
                    j = end
            else:
                out += _word_fragments(word, OPTION if word.startswith("-") else "")
            i = j
    return out


def _operator_at(text: str, i: int) -> str | None:
    if m := REDIRECT.match(text, i):  # 2> 2>> 2>&1 >&2
        return m.group()
    for op in OPERATORS:
        if text.startswith(op, i):
            return op
    return None


def _word_end(text: str, i: int) -> int:
    """The end of the word starting at i: quotes and escapes keep it going."""
    n = len(text)
    while i < n and text[i] not in SPECIAL:
        c = text[i]
        if c == "\\":
            i += 2
        elif c in "'\"":
            close = text.find(c, i + 1)
            while c == '"' and close > 0 and text[close - 1] == "\\":
                close = text.find(c, close + 1)
            i = n if close < 0 else close + 1
        else:
            i += 1
    return min(i, n)


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.isidentifier()


def _word_fragments(word: str, base: str) -> Fragments:
    """One word, with its quoted parts as strings and $names as variables."""
    out: Fragments = []
    i, n, plain = 0, len(word), ""

    def flush():
        nonlocal plain
        if plain:
            out.append((base, plain))
            plain = ""

    while i < n:
        c = word[i]
        if c == "'":
            flush()
            close = word.find("'", i + 1)
            end = n if close < 0 else close + 1
            out.append((STRING, word[i:end]))
            i = end
        elif c == '"':
            flush()
            j = i + 1
            while j < n and word[j] != '"':
                j += 2 if word[j] == "\\" else 1
            end = min(n, j + 1)
            out += _double_quoted(word[i:end])
            i = end
        elif c == "$":
            flush()
            end = _variable_end(word, i)
            out.append((VARIABLE, word[i:end]))
            i = end
        elif c == "\\":
            plain += word[i : i + 2]
            i += 2
        else:
            plain += c
            i += 1
    flush()
    return out


def _double_quoted(text: str) -> Fragments:
    out: Fragments = []
    start = 0
    i = 0
    while i < len(text):
        if text[i] == "$":
            out.append((STRING, text[start:i]))
            end = _variable_end(text, i)
            out.append((VARIABLE, text[i:end]))
            start = i = end
        else:
            i += 2 if text[i] == "\\" else 1
    out.append((STRING, text[start:]))
    return [f for f in out if f[1]]


def _variable_end(text: str, i: int) -> int:
    n = len(text)
    if i + 1 < n and text[i + 1] == "{":
        close = text.find("}", i)
        return n if close < 0 else close + 1
    if i + 1 < n and text[i + 1] in "?$#!@*0123456789":
        return i + 2
    j = i + 1
    while j < n and (text[j].isalnum() or text[j] == "_"):
        j += 1
    return j


# ---- prompt_toolkit -------------------------------------------------------------------
def split_lines(fragments: Fragments) -> list[Fragments]:
    lines: list[Fragments] = [[]]
    for style, text in fragments:
        parts = text.split("\n")
        for k, part in enumerate(parts):
            if k:
                lines.append([])
            if part:
                lines[-1].append((style, part))
    return lines


def fragments_for(language: str, text: str) -> Fragments:
    if language == "shell":
        return shell_fragments(text)
    if language == "javascript":
        return js_fragments(text)
    return [("", text)]


class ReplLexer(Lexer):
    """Highlights the buffer in the language the REPL is reading now:
    `language()` is "shell", "javascript" or anything else (plain)."""

    def __init__(self, language: Callable[[], str]):
        self.language = language

    def lex_document(self, document: Document):
        lines = split_lines(fragments_for(self.language(), document.text))

        def get_line(n: int) -> Fragments:
            return lines[n] if n < len(lines) else []

        return get_line

    def invalidation_hash(self):
        return self.language()
