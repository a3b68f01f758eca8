"""Parsing the machine's limits (jsksh --limit NAME=VALUE)."""

from __future__ import annotations

import pytest

from jsksh.native import limits


def test_sizes_counts_and_seconds():
    got = limits.parse_assignments(
        ["heap=32M", "external=1.5g", "memory=512k", "cpu=2.5", "queue=16", "isolates=40"]
    )
    assert got == {
        "heap": 32 << 20,
        "external": int(1.5 * (1 << 30)),
        "memory": 512 << 10,
        "cpu": 2.5,
        "queue": 16,
        "isolates": 40,
    }


@pytest.mark.parametrize("bad", ["heap", "nope=1", "heap=lots", "cpu=-1", "queue=0"])
def test_bad_limits_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError) as e:
        limits.parse_assignments([bad])
    assert str(e.value)


def test_describe():
    assert limits.describe("heap", 64 << 20) == "64 MiB"
    assert limits.describe("cpu", 1.0) == "1 s"
    assert limits.describe("queue", 1024) == "1024"
