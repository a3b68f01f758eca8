"""`jsksh run true` end to end, against the mini-racer anchor of bench/boot.py.

What every script that calls jsksh pays: process start, boot, the session
shell, one command, power-off and exit. The anchor, in the same run, is
`python -c` that imports mini-racer and evaluates in one isolate (boot.py's).
Floor (issue 12): at most 1.5 times the anchor.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from boot import ANCHOR
from common import JSKSH, median


def timed(cmd: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - t0


def main(n: int = 10) -> None:
    where = tempfile.mkdtemp(prefix="jsksh-bench-")  # not the checkout: as a script elsewhere would
    env_cmd = [*JSKSH, "run", "true"]
    timed(env_cmd, where)  # warm the image cache and the page cache
    jsksh, anchor = [], []
    for _ in range(n):
        jsksh.append(timed(env_cmd, where))
        anchor.append(timed([sys.executable, "-c", ANCHOR], where))
    j, a = median(jsksh), median(anchor)
    ratios = sorted(x / y for x, y in zip(jsksh, anchor, strict=True))
    print(f"jsksh run true, end to end (median of {n})")
    print(
        f"  jsksh run true               {j * 1000:7.1f} ms   [{min(jsksh) * 1000:.0f}-{max(jsksh) * 1000:.0f}]"
    )
    print(f"  python -c mini-racer eval    {a * 1000:7.1f} ms   (anchor)")
    print(
        f"  ratio jsksh / anchor         {j / a:7.2f}   [{ratios[0]:.2f}-{ratios[-1]:.2f}]   (floor: <= 1.50)"
    )
    os.rmdir(where)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
