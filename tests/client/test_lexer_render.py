"""Highlighting (jsksh/client/lexer.py) and how messages look (render.py), on literal text."""

from __future__ import annotations

from prompt_toolkit.document import Document

from jsksh.client import render
from jsksh.client.lexer import COMMAND, OPERATOR, OPTION, STRING, VARIABLE, ReplLexer, shell_fragments


def styles(text: str) -> dict[str, str]:
    """Each non-blank piece of a shell line and its style."""
    return {piece: style for style, piece in shell_fragments(text) if piece.strip()}


def test_shell_words_operators_strings_and_variables():
    s = styles("ls -l /bin | grep 'a b' > /tmp/out; echo \"$HOME\" $? && x=1 cat")
    assert s["ls"] == s["grep"] == s["echo"] == s["cat"] == COMMAND
    assert s["-l"] == OPTION
    assert s["/bin"] == s["/tmp/out"] == ""
    assert s["|"] == s[">"] == s[";"] == s["&&"] == OPERATOR
    assert s["'a b'"] == STRING
    assert s["$HOME"] == s["$?"] == s["x"] == VARIABLE
    assert s['"'] == STRING


def test_the_pieces_always_make_the_line_again():
    for line in ["echo 'open", 'echo "a $b', "a 2>&1 >&2 <in", "x\\ y # c\nnext", "${", "ls |", ""]:
        assert "".join(text for _, text in shell_fragments(line)) == line


def test_after_eval_the_line_is_javascript():
    s = styles("eval Math.max(1, 2) // x\nls")
    assert s["eval"] == COMMAND
    assert s["Math"] == "class:pygments.name.builtin"
    assert s["1"].startswith("class:pygments.literal.number")
    assert s["ls"] == COMMAND  # the next line is the shell's again


def test_the_lexer_follows_the_language_being_typed():
    language = ["shell"]
    lexer = ReplLexer(lambda: language[0])
    line = lexer.lex_document(Document("function f() {\n  return 1 }"))
    assert line(0)[0] == (COMMAND, "function")
    language[0] = "javascript"
    line = lexer.lex_document(Document("function f() {\n  return 1 }"))
    assert line(0)[0][0] == "class:pygments.keyword.declaration"
    assert ("class:pygments.keyword", "return") in line(1)


def test_a_table_right_aligns_numbers_and_fits_the_width():
    text = render.table_text(["PID", "NAME"], [[1, "init"], [123, "a-long-name"]], width=40, colour=False)
    lines = text.splitlines()
    assert lines[0].split() == ["PID", "NAME"]
    assert lines[2].startswith("  1 ") and lines[3].startswith("123 ")
    assert all(len(line) <= 40 for line in lines)
    assert render.numeric_columns(["a", "b"], [[1, "x"], [2.5, None], [None, 3]]) == [True, False]
    assert render.numeric_columns(["a"], [[True]]) == [False]


def test_colours_and_lines():
    assert render.stderr_text("oops\n") == "\x1b[31moops\x1b[0m\n"
    assert render.stderr_text("oops\n", colour=False) == "oops\n"
    assert render.log_text({"time": 1.5, "text": "hello"}) == "\x1b[2m[    1.500000] hello\x1b[0m\n"
    assert render.error_text("gone", colour=False) == "jsksh: gone\n"


def test_the_column_tracks_a_line_left_open():
    column = render.Column()
    column.after("abc")
    assert column.midline
    column.after("\x1b[0m")  # escapes alone move nothing
    assert column.midline
    column.after("def\n")
    assert not column.midline
    column.after("\x1b[H\x1b[2J")  # clear: still at a line start
    assert not column.midline
