"""Runs JavaScript unit tests inside V8 (through jsksh.native.v8), for pytest.

Each ``tests/js/test_*.js`` file becomes one pytest test per ``test(name, fn)``
it declares.  The file runs in a fresh isolate with the harness, the kernel's
own CommonJS loader, and a ``require`` over the repository's ``kernel/`` and
``fs/lib/`` trees (``require('/kernel/tty/line-discipline')``,
``require('/lib/shell/parse')``), so tests load exactly the code that boots.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from jsksh.native.v8 import Isolate

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def source_table() -> dict[str, str]:
    """Image-style paths for every JavaScript file a test may require."""
    table = {}
    bases = (
        (ROOT / "kernel", "/kernel"),
        (ROOT / "fs", ""),
        (ROOT / "apps", "/bin"),
        (HERE / "lib", "/tests/lib"),
    )
    for base, prefix in bases:
        for p in base.rglob("*.js*"):
            table[prefix + "/" + p.relative_to(base).as_posix()] = p.read_text()
    return table


class JSTestFile:
    def __init__(self, path: Path):
        self.iso = Isolate()
        self.iso.eval((HERE / "harness.js").read_text())
        self.iso.eval((ROOT / "kernel" / "loader.js").read_text())
        self.iso.eval(
            "globalThis.__sources = " + json.dumps(source_table()) + ";"
            "globalThis.require = __makeRequire((p) => __sources[p] ?? null);"
        )
        self.iso.eval(path.read_text() + f"\n//# sourceURL={path.name}")

    def names(self) -> list[str]:
        return json.loads(self.iso.eval("__testNames()"))

    def run(self, name: str, timeout: float = 10.0) -> dict:
        self.iso.eval(f"__runTest({json.dumps(name)})")
        deadline = time.monotonic() + timeout
        while True:
            result = self.iso.eval("globalThis.__testResult")
            if result:
                return json.loads(result)
            if time.monotonic() > deadline:
                return {"ok": False, "error": f"timed out after {timeout}s"}
            time.sleep(0.002)  # async tests settle on timers the test installs
