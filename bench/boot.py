"""Boot to prompt, against `python -c` that imports mini-racer and evaluates in one isolate.

Both are measured the same way, from process start to ready, in one run:
jsksh from spawning `jsksh boot` to the shell prompt arriving on the console
socket; the anchor from spawning `python -c` to its exit. Floor: the kernel
adds at most 50% (ratio <= 1.5).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

from common import JSKSH, have, median

ANCHOR = "from py_mini_racer import MiniRacer; MiniRacer().eval('1')"


def boot_once() -> float:
    d = tempfile.mkdtemp()
    con, ctl = os.path.join(d, "c"), os.path.join(d, "k")
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [*JSKSH, "boot", "--console", con, "--control", ctl],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not os.path.exists(con):
        time.sleep(0.001)
    s = socket.socket(socket.AF_UNIX)
    s.connect(con)
    buf = b""
    while b"$ " not in buf:
        buf += s.recv(65536)
    dt = time.perf_counter() - t0
    s.close()
    p.terminate()
    p.wait()
    return dt


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(n: int = 10) -> None:
    boot_once()  # warm the image cache and the page cache
    jsksh, anchor, node = [], [], []
    for _ in range(n):
        jsksh.append(boot_once())
        anchor.append(timed([sys.executable, "-c", ANCHOR]))
        if have("node"):
            node.append(timed(["node", "-e", "0"]))
    j, a = median(jsksh), median(anchor)
    print(f"boot to prompt (median of {n})")
    print(f"  jsksh boot -> prompt         {j * 1000:7.1f} ms")
    print(f"  python -c mini-racer eval    {a * 1000:7.1f} ms   (anchor)")
    if node:
        print(f"  node -e 0                    {median(node) * 1000:7.1f} ms")
    print(f"  ratio jsksh / anchor         {j / a:7.2f}   (floor: <= 1.50)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
