"""jsksh/native/compact.py: JavaScript with its comments and indentation out, every line kept.

The literal cases are the lexical grammar's corners (ECMA-262 §12): template
literals across lines and with ${ } inside ${ }, strings continued on the
next line, regular expressions holding // or a quote, division told from a
regular expression.  Then every JavaScript file of the image is compacted,
and V8's own scanner checks that each place compact.py took for code is
code: a /*\\u*/ put there is a comment in code, but a SyntaxError inside a
string or a template literal, where a \\u must begin a Unicode escape.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jsksh.native import compact as compact_module
from jsksh.native.compact import compact, compacted, scan
from jsksh.native.v8 import Isolate, JSError

ROOT = Path(__file__).resolve().parents[2]


def test_indentation_and_comments_go_and_every_line_stays():
    src = "function f(a) {\n  // why\n  return a + 1; // the next\n}\n"
    assert compact(src) == "function f(a) {\n\nreturn a + 1;\n}\n"


def test_source_url_and_lazy_marks_stay():
    src = "//@lazy\nx();\n  //# sourceURL=/lib/a.js\n"
    assert compact(src) == "//@lazy\nx();\n//# sourceURL=/lib/a.js\n"


def test_a_template_literal_keeps_its_lines_as_they_are():
    src = "const t = `\n    indented\n    // not a comment\n`; // a comment\n  y();\n"
    assert compact(src) == "const t = `\n    indented\n    // not a comment\n`;\ny();\n"


def test_substitutions_nest_and_the_template_goes_on_after_them():
    src = (
        "const t = `a ${ { k: `b ${ c } d` }.k } e\n    still the template ${f({})}\n  // still\n`;\n  z();\n"
    )
    out = compact(src)
    assert out.split("\n")[1:3] == ["    still the template ${f({})}", "  // still"]
    assert out.split("\n")[4] == "z();"


def test_strings_keep_what_looks_like_comments_and_continue_over_a_backslash():
    src = "const s = 'a // b /* c';\nconst u = \"x\\\n    y\";\n  w();\n"
    assert compact(src) == "const s = 'a // b /* c';\nconst u = \"x\\\n    y\";\nw();\n"


def test_a_regular_expression_may_hold_slashes_quotes_and_a_backtick():
    src = "const r = /[/]'\"`\\/\\//g; // gone\n  const t = `\n  kept`;\n"
    assert compact(src) == "const r = /[/]'\"`\\/\\//g;\nconst t = `\n  kept`;\n"


def test_division_is_told_from_a_regular_expression_by_the_token_before():
    # After a value a / divides, so the ` after it opens a template; after
    # `return` a / begins a regular expression, so its ` does not.
    src = "x = a / 2; y = `\n  t`;\nfunction g() { return /`/.test(s); }\n  h();\n"
    assert compact(src) == "x = a / 2; y = `\n  t`;\nfunction g() { return /`/.test(s); }\nh();\n"


def test_a_block_comment_keeps_its_lines():
    src = "/* one\n   two */ a();\n  b();\n"
    lines = scan(src)
    assert [in_code for in_code, _ in lines] == [True, False, True, True]
    assert compact(src) == "/* one\n   two */ a();\nb();\n"


@pytest.mark.parametrize(
    "src",
    [
        "const t = `never closed\n  x\n",
        "/* never closed\n  x\n",
        "const s = 'runs past\n  its line';\n",
        "const t = `${ a \n  x\n",
        "}\n  x();\n",
        "const r = /runs past\n  x/;\n",
    ],
)
def test_a_text_the_scanner_cannot_follow_comes_back_unchanged(src):
    assert compact(src) == src


# ---- every file of the image, checked by V8 -------------------------------------------------
PROBE = "/*\\u*/"  # a comment in code; in a string or an untagged template, a bad escape


def probe(src: str) -> str:
    """``src`` with PROBE where compact() would cut: before each line it
    strips (taken to begin in code) and before each comment it removes."""
    out = []
    for text, (in_code, comment_at) in zip(src.split("\n"), scan(src), strict=True):
        if comment_at is not None:
            text = text[:comment_at] + PROBE + text[comment_at:]
        if in_code and text[:1] in (" ", "\t"):
            text = PROBE + text
        out.append(text)
    return "\n".join(out)


def image_sources() -> list[Path]:
    return sorted(
        [*ROOT.glob("kernel/**/*.js"), *ROOT.glob("apps/*.js"), *ROOT.glob("fs/**/*.js")],
        key=str,
    )


def test_every_file_of_the_image_compacts_and_v8_agrees_where_it_cut():
    iso = Isolate()
    try:
        parses = lambda text: iso.eval(  # noqa: E731
            f"(() => {{ try {{ new Function({json.dumps(text)}); return ''; }} catch (e) {{ return String(e); }} }})()"
        )
        files = image_sources()
        assert len(files) > 200
        checked = 0
        for path in files:
            src = path.read_text()
            if parses(src):  # not a function body (none are today): nothing to compare with
                continue
            out = compact(src)
            assert out != src, f"{path}: the scanner could not follow it"
            assert out.count("\n") == src.count("\n"), path
            assert parses(out) == "", path
            assert parses(probe(src)) == "", f"{path}: cut inside a string or template: {parses(probe(src))}"
            checked += 1
        assert checked == len(files)
    finally:
        iso.close()


def test_the_probe_finds_a_cut_inside_a_template():
    # What the check above relies on: V8 refuses the probe inside a template literal.
    iso = Isolate()
    try:
        with pytest.raises(JSError):
            iso.eval("new Function('const t = `\\n" + PROBE.replace("\\", "\\\\") + "  x`;')")
    finally:
        iso.close()


# ---- the disk cache --------------------------------------------------------------------------
def test_compacted_keeps_its_result_on_disk_and_reads_it_back(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    src = "function f() {\n  // why\n  return 1;\n}\n"
    assert compacted(src) == compact(src)
    (kept,) = (tmp_path / "jsksh" / "compact").iterdir()
    assert kept.read_text() == compact(src)
    kept.write_text("read from the cache\n")  # what a later machine gets is the file's
    assert compacted(src) == "read from the cache\n"
    assert compacted(src + " ") == compact(src + " ")  # another text, another entry


def test_compacted_works_without_a_writable_cache(tmp_path, monkeypatch):
    (tmp_path / "jsksh").write_text("a file where the cache's directory would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    src = "  a(); // b\n"
    assert compacted(src) == "a();\n"


def test_a_change_to_the_compactor_is_a_new_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    compacted("  x();\n")
    monkeypatch.setattr(compact_module, "_VERSION", "another")
    compacted("  x();\n")
    assert len(list((tmp_path / "jsksh" / "compact").iterdir())) == 2
