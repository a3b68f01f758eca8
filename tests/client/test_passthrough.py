"""jsksh/client/passthrough.py without a terminal: keys written into a pipe
come out as the `stdin` texts the REPL would send, a character split between
two writes arrives whole, and Ctrl-] detaches instead of being sent."""

from __future__ import annotations

import asyncio
import os

from jsksh.client.passthrough import KeysThrough


async def drive(chunks: list[bytes], until_sent: int) -> tuple[list[str], int]:
    r, w = os.pipe()
    sent: list[str] = []
    detached = []
    keys = KeysThrough(r, sent.append, lambda: detached.append(True))
    task = asyncio.ensure_future(keys.run())
    try:
        for chunk in chunks:
            os.write(w, chunk)
            for _ in range(200):  # let the loop read it
                await asyncio.sleep(0)
                if keys.stop.is_set() or len(sent) >= until_sent:
                    break
        keys.stop.set()
        await asyncio.wait_for(task, 5)
    finally:
        os.close(r)
        os.close(w)
    return sent, len(detached)


def test_keys_go_as_they_come_and_escape_sequences_unmodified():
    sent, detached = asyncio.run(drive([b"a", b"\x1b[A", b"\x03"], until_sent=3))
    assert "".join(sent) == "a\x1b[A\x03" and detached == 0


def test_a_character_cut_between_two_reads_is_sent_whole():
    e_acute = "é".encode()
    sent, _ = asyncio.run(drive([e_acute[:1], e_acute[1:]], until_sent=1))
    assert sent == ["é"]


def test_ctrl_bracket_detaches_and_what_came_before_it_is_sent():
    sent, detached = asyncio.run(drive([b"xy\x1dz"], until_sent=1))
    assert sent == ["xy"] and detached == 1
