"""The shell language's speed: a loop of builtins, and a loop over a glob.

In the guest, over the structured port (bench/pipes.py's run_timed: from the
run request to its exit), beside the same lines in dash and bash on the
host, in one run. Builtins (`[`, `$((...))`) run inside the shell's own
isolate: no app starts in the loop (the `echo $i` after it is a program).
Issue 12's expectation: the loop should beat bash, which forks nothing either
but is slower per builtin.

The session shell lives on between runs, so its first run of the loop is the
one a person typing it first gets: V8 has not compiled the shell's hot
functions yet (about three times slower). It is printed apart, with the
spread of the runs; the median is over all of them, the first included.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pipes import run_timed

from common import Machine, have, median

LOOP = "i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done; echo $i"
GLOB = "for f in /bin/*; do echo $f; done | wc -l"
HOST_GLOB = "for f in /usr/bin/*; do echo $f; done | wc -l"  # a directory of the same kind, larger


def host(shell: str, line: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([shell, "-c", line], check=True, capture_output=True)
    return time.perf_counter() - t0


def main(runs: int = 5) -> None:
    m = Machine("--net", "none")
    try:
        run_timed(m.control_path, "true")  # the session shell is up
        guest = {LOOP: [], GLOB: []}
        anchors = {(s, line): [] for s in ("dash", "bash") if have(s) for line in (LOOP, HOST_GLOB)}
        for _ in range(runs):
            for line in guest:
                guest[line].append(run_timed(m.control_path, line)[0])
            for shell, line in anchors:
                anchors[(shell, line)].append(host(shell, line))
    finally:
        m.stop()
    print(f"shell loops (median of {runs}; ratio = jsksh / host shell, same run)")
    g = median(guest[LOOP])
    runs_ms = [t * 1000 for t in guest[LOOP]]
    print(f"  {LOOP}")
    print(
        f"    jsksh sh                     {g * 1000:8.1f} ms   [{min(runs_ms):.1f}-{max(runs_ms):.1f}], first run {runs_ms[0]:.1f} ms"
    )
    for shell in ("dash", "bash"):
        if (shell, LOOP) in anchors:
            a = median(anchors[(shell, LOOP)])
            print(f"    {shell:28} {a * 1000:8.1f} ms   ratio {g / a:.2f}")
    print(f"  {GLOB}   (the host's: over /usr/bin)")
    print(f"    jsksh sh                     {median(guest[GLOB]) * 1000:8.1f} ms")
    for shell in ("dash", "bash"):
        if (shell, HOST_GLOB) in anchors:
            print(f"    {shell:28} {median(anchors[(shell, HOST_GLOB)]) * 1000:8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
