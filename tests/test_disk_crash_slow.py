"""The disk file system's crash tests at full strength (marked slow).

tests/js/test_disk_crash_random.js checks one crash state per power cut in
the default run; this runs the same file with DISK_CRASH_FULL set, so each
cut is checked four ways (every unflushed write kept, none kept, a random
subset, a random subset with one write torn), with a longer time limit.

tests/js/test_disk_crash_ace.js checks every subset of every epoch's writes
in the default run, and tears writes in the all-kept state only; with
DISK_CRASH_FULL it tears each kept write of every subset at each sector
boundary that makes a different disk: 17,502 subset states and 85,932 torn
ones (about 2.5 minutes on two busy cores), the counts it prints.
"""

from __future__ import annotations

import json

import pytest

from tests.js.runner import HERE, JSTestFile


def run_full(name: str, timeout: float) -> JSTestFile:
    f = JSTestFile(HERE / name)
    f.iso.eval("globalThis.DISK_CRASH_FULL = true")
    for test in f.names():
        result = f.run(test, timeout=timeout)
        assert result["ok"], f"{test}: {result.get('error')}"
    return f


@pytest.mark.slow
def test_disk_crash_random_full():
    run_full("test_disk_crash_random.js", 120.0)


@pytest.mark.slow
def test_disk_crash_ace_full():
    f = run_full("test_disk_crash_ace.js", 300.0)
    figures = json.loads(f.iso.eval("globalThis.aceFigures"))
    assert figures["states"] == figures["expected"], figures
    print(f"ACE, every kept write torn: {figures}")
