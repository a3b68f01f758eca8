"""The lessons' documents: docs/lessons/NAME.md, each with the transcript of a real run.

A lesson's document is prose written by hand around one generated part, the
transcript, between two markers::

    <!-- transcript: begin (python -m jsksh.demos.transcript NAME) -->
    ```text
    ...what `jsksh demo NAME --fast` printed...
    ```
    <!-- transcript: end -->

``python -m jsksh.demos.transcript NAME...`` plays each lesson on a new
machine and writes what it printed between the markers; ``--check`` plays
them and says whether each document still tells the truth, without writing.
tests/e2e/test_lessons.py does the check.

A run's text differs from the last one's in what the machine cannot keep
still: times, durations, pids, byte counts and addresses, the order of
lines that threads race to print (a trace's events, a summary sorted by
time), how many times a timer fired meanwhile, table widths. So the check
sets digits, hexadecimal numbers, MAC addresses and runs of spaces aside,
and asks of each step that every line the document shows is still among
the lines the machine prints now: a renamed op, an event that no longer
happens, a queue renamed, a message or a narration that changed all show;
an extra interrupt does not. The lessons' commands are written for this:
they select lines with grep over a whole trace, never a window of N lines
that an extra event would shift.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from jsksh.demos import find, shipped

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lessons"
BEGIN = re.compile(r"<!-- transcript: begin.*?-->\n")
END = "<!-- transcript: end -->"
LESSONS = ("keystroke", "packet", "boundary", "tcp-handshake", "fsync")


def record(name: str) -> str:
    """Play the lesson with --fast; what it printed, as a file shows it (no terminal codes)."""
    from jsksh.client.demo import Player

    out = io.StringIO()
    status = Player(find(name), [], fast=True, out=out).play()
    if status != 0:
        raise RuntimeError(f"lesson {name} failed (status {status}):\n{out.getvalue()[-2000:]}")
    return out.getvalue().rstrip() + "\n"


def steps(transcript: str) -> list[set[str]]:
    """The transcript cut at each narration line (which starts its piece), each piece a set of normalized lines."""
    pieces: list[list[str]] = [[]]
    for line in transcript.splitlines():
        if line.startswith("# "):
            pieces.append([])
        pieces[-1].append(normalize(line))
    return [{line for line in piece if line} for piece in pieces]


def normalize(line: str) -> str:
    line = re.sub(r"0x[0-9a-fA-F]+", "0x#", line)
    line = re.sub(r"\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b", "MAC", line)
    line = re.sub(r"\d+", "#", line)
    line = re.sub(r"[─]+", "─", line)
    return " ".join(line.split())


def document(name: str) -> Path:
    return DOCS / f"{name}.md"


def transcript_in(text: str) -> str:
    m = BEGIN.search(text)
    end = text.find(END)
    if not m or end < 0:
        raise ValueError("no transcript markers")
    body = text[m.end() : end]
    return body.removeprefix("```text\n").removesuffix("```\n")


def write(name: str, transcript: str) -> None:
    path = document(name)
    text = path.read_text()
    m = BEGIN.search(text)
    end = text.find(END)
    if not m or end < 0:
        raise ValueError(f"{path}: no transcript markers")
    path.write_text(text[: m.end()] + "```text\n" + transcript + "```\n" + text[end:])


def differences(recorded: str, fresh: str) -> list[str]:
    """What differs between two transcripts, step by step (empty: the same)."""
    old, new = steps(recorded), steps(fresh)
    out = []
    if len(old) != len(new):
        out.append(f"{len(old) - 1} narrated steps in the document, {len(new) - 1} now")
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        label = "before the first narration" if i == 0 else f"step {i}"
        out += [f"{label}: no longer printed: {line!r}" for line in sorted(a - b)]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jsksh.demos.transcript", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "lessons", nargs="*", default=list(LESSONS), help="lesson names (all documented ones)"
    )
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    status = 0
    for name in args.lessons:
        if name not in shipped():
            print(f"{name}: no such lesson", file=sys.stderr)
            return 2
        fresh = record(name)
        if args.check:
            diff = differences(transcript_in(document(name).read_text()), fresh)
            print(
                f"{name}: "
                + ("the document tells the truth" if not diff else "drifted:\n  " + "\n  ".join(diff))
            )
            status |= bool(diff)
        else:
            write(name, fresh)
            print(f"{name}: wrote {document(name)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
