"""End to end: every documented lesson plays, and its document still tells the truth.

Each lesson (jsksh/demos/NAME.toml) is played with --fast on a new machine,
as `jsksh demo NAME --fast` plays it, and what it printed is compared with
the transcript in docs/lessons/NAME.md step by step, with what a run cannot
keep still (times, counts, pids, addresses, the order threads print in) set
aside (jsksh/demos/transcript.py). A renamed op, a lost event, a queue
renamed or a changed narration fails here; `python -m jsksh.demos.transcript
NAME` writes the document anew from a real run.
"""

from __future__ import annotations

import pytest

from jsksh.demos import find
from jsksh.demos.transcript import LESSONS, differences, document, normalize, record, steps, transcript_in


@pytest.mark.parametrize("name", LESSONS)
def test_the_lesson_plays_and_its_document_tells_the_truth(name):
    documented = transcript_in(document(name).read_text())
    assert documented.startswith(find(name).title + "\n")
    fresh = record(name)
    assert differences(documented, fresh) == []


def test_every_shipped_lesson_but_the_two_old_ones_has_a_document():
    from jsksh.demos import shipped

    assert set(shipped()) - {"runtime-js", "isolates"} == set(LESSONS)


def test_normalizing_sets_aside_numbers_addresses_and_spacing():
    assert normalize("  0.295182 virtio-console.port1.rx   used  head 6  51 B written") == (
        "#.# virtio-console.port#.rx used head # # B written"
    )
    assert normalize("42\tARP\t10.0.2.2 is at 52:55:0a:00:02:02") == "# ARP #.#.#.# is at MAC"
    assert (
        normalize("MMIO_READ  virtio-net InterruptStatus -> 0x1f")
        == "MMIO_READ virtio-net InterruptStatus -> #x#"
    )


def test_a_drifted_transcript_is_caught_and_an_order_change_or_an_extra_event_is_not():
    doc = "title\n# step one\n$ trace x\n  0.1 kernel trap SPAWN\n  0.2 kernel post __irq\n# step two\n$ ok\n"
    reordered = (
        "title\n# step one\n$ trace x\n  0.3 kernel post __irq\n  0.4 kernel trap SPAWN\n# step two\n$ ok\n"
    )
    renamed = "title\n# step one\n$ trace x\n  0.1 kernel trap SPAWN_APP\n  0.2 kernel post __irq\n# step two\n$ ok\n"
    extra = doc.replace(
        "post __irq\n", "post __irq\n  0.3 kernel post __irq\n  0.4 machine irq line 0 timer\n"
    )
    assert differences(doc, reordered) == []
    assert differences(doc, extra) == []
    assert differences(doc, renamed) == ["step 1: no longer printed: '#.# kernel trap SPAWN'"]
    assert differences(doc, doc.replace("# step two\n$ ok\n", "")) == [
        "2 narrated steps in the document, 1 now",
    ]
    assert differences(doc, doc.replace("# step two", "# step 2")) == [
        "step 2: no longer printed: '# step two'"
    ]
    assert [len(c) for c in steps(doc)] == [1, 4, 2]
