"""End-to-end: the README's two-minute tour, typed in order, does what it says.

The tour is the first thing a newcomer types, so it must stay true. Every
line at a `jsksh:...$` prompt in the tour's two blocks is run, in order, in
one session on one machine (the session shell keeps `cd` and variables, as
the REPL's does). Lines that need a person at a terminal are left out: Tab
completion, the `eval` REPL, the full-screen `edit` and `top`, and a loop
that waits for Ctrl-C; those have their own tests (tests/client,
tests/e2e/test_edit.py, test_terminal_modes.py). Every other line must end
with status 0 and nothing on stderr, except the ones listed in EXPECTED.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from tests.e2e.machine import BootedMachine

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
PROMPT = re.compile(r"^jsksh:\S*\$ (.*)$")
COMMENT = re.compile(r"\s{2,}#\s.*$")  # the tour's comments: two spaces, then '# '

# Needs a person at the terminal (see the docstring).
INTERACTIVE = re.compile(r"<Tab>|^eval$|^edit |^top$|while\(true\)|^poweroff$")
# Lines whose documented outcome is not a plain success: line -> (status, stderr).
EXPECTED = {
    "ulimit -t 1; eval 'for (;;) {}'": (152, "CPU time limit exceeded"),
    "dd if=/dev/zero of=/tmp/z bs=1M count=8": (0, "8+0 records out"),  # GNU dd reports on stderr
    "trace echo hi": (0, "events shown of"),  # the trace goes to stderr, as strace's does
}


def tour_lines() -> list[str]:
    text = README.read_text()
    tour = text[text.index("## A two-minute tour") :]
    tour = tour[: tour.index("\nScripting and attaching")]
    lines = []
    for line in tour.splitlines():
        m = PROMPT.match(line)
        if m:
            lines.append(COMMENT.sub("", m.group(1)).strip())
    return lines


def test_the_tour_has_the_lines_it_is_known_for():
    # The parser above finds the tour (a README edit that breaks it fails here, not silently).
    lines = tour_lines()
    assert len(lines) >= 30
    assert "echo hello world" in lines and "ps -l" in lines


@pytest.fixture(scope="module")
def tour_machine():
    m = BootedMachine("--net", "none")
    yield m
    m.stop()


def test_every_tour_line_runs_as_the_readme_says(tour_machine):
    ran = 0
    for line in tour_lines():
        if INTERACTIVE.search(line):
            continue
        status, out, err = tour_machine.run(line, timeout=60)
        want_status, want_err = EXPECTED.get(line, (0, ""))
        assert status == want_status, f"{line!r}: status {status}\n{out}{err}"
        if want_err:
            assert want_err in err, f"{line!r}: stderr {err!r}"
        else:
            assert err == "", f"{line!r}: stderr {err!r}"
        ran += 1
    assert ran >= 25
    # What some lines promise, checked: the pipeline's byte count, the same sum twice.
    status, out, _ = tour_machine.run("head -c 256M /dev/zero | cat | cat | wc -c", timeout=60)
    assert out.split() == ["268435456"]
