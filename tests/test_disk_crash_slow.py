"""The disk file system's crash tests at full strength (marked slow).

tests/js/test_disk_crash_random.js checks one crash state per power cut in
the default run, and every subset of every 32nd epoch's writes; this runs
the same file with DISK_CRASH_FULL set, so each cut is checked two ways
(every unflushed write kept, a random subset with one write torn) and every
subset of every epoch's writes is (25,065 states, with a longer time limit).

tests/js/test_disk_crash_ace.js checks every subset of every epoch's writes
in the default run, and tears writes in the all-kept state only; with
DISK_CRASH_FULL it tears each kept write of every subset at each sector
boundary that makes a different disk: 6,360 subset states and 32,577 torn
ones (about 40 s), the counts it prints.
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
    f = run_full("test_disk_crash_random.js", 300.0)
    figures = json.loads(f.iso.eval("JSON.stringify(globalThis.randomSweep)"))
    assert figures["parts"] == 4 and figures["states"] == figures["expected"] > 10000, figures
    print(f"random workload, every subset of every epoch: {figures}")


@pytest.mark.slow
def test_disk_crash_ace_full():
    f = run_full("test_disk_crash_ace.js", 300.0)
    figures = json.loads(f.iso.eval("globalThis.aceFigures"))
    assert figures["states"] == figures["expected"], figures
    print(f"ACE, every kept write torn: {figures}")
