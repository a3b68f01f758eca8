"""The disk file system's crash tests at full strength (marked slow).

tests/js/test_disk_crash_random.js checks one crash state per power cut in
the default run; this runs the same file with DISK_CRASH_FULL set, so each
cut is checked four ways (every unflushed write kept, none kept, a random
subset, a random subset with one write torn), with a longer time limit.
"""

from __future__ import annotations

import pytest

from tests.js.runner import HERE, JSTestFile


@pytest.mark.slow
def test_disk_crash_random_full():
    f = JSTestFile(HERE / "test_disk_crash_random.js")
    f.iso.eval("globalThis.DISK_CRASH_FULL = true")
    for name in f.names():
        result = f.run(name, timeout=120.0)
        assert result["ok"], f"{name}: {result.get('error')}"
