"""The shell language's speed: a loop of builtins, and a loop over a glob.

In the guest, over the structured port (bench/pipes.py's run_timed: from the
run request to its exit), beside the same lines in dash and bash on the
host, in one run. Builtins (`[`, `$((...))`) run inside the shell's own
isolate: no app starts in the loop (the `echo $i` after it is a program).
Issue 12's expectation: the loop should beat bash, which forks nothing either
but is slower per builtin.

The session shell lives on between runs. Its first run of the loop, sent
right after the session's first command, finds V8 with the shell's hot
functions not compiled yet (about five times slower): printed apart, with the
spread of the runs; the median is over all of them, the first included. A
shell that has waited a second for a line warms its interpreter meanwhile
(fs/lib/shell/warm-up.js), as it has when a person types the loop: a second
machine's session waits IDLE_S first, and its first run is printed apart too.
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


IDLE_S = 3  # the shell warms up after 1 s without a line, in about half a second


def after_idle() -> float:
    """The loop's first run in a session that has waited IDLE_S for it."""
    m = Machine("--net", "none")
    try:
        run_timed(m.control_path, "true")
        time.sleep(IDLE_S)
        return run_timed(m.control_path, LOOP)[0]
    finally:
        m.stop()


def main(runs: int = 5) -> None:
    m = Machine("--net", "none")
    try:
        # The session shell is up, and busy (it waits for sleep, not for a
        # line: it does not warm up) while the console's shell, which Machine
        # attached and nobody types at, warms itself up beside it.
        run_timed(m.control_path, f"sleep {IDLE_S}")
        guest = {LOOP: [], GLOB: []}
        anchors = {(s, line): [] for s in ("dash", "bash") if have(s) for line in (LOOP, HOST_GLOB)}
        for _ in range(runs):
            for line in guest:
                guest[line].append(run_timed(m.control_path, line)[0])
            for shell, line in anchors:
                anchors[(shell, line)].append(host(shell, line))
    finally:
        m.stop()
    idle = after_idle()
    for shell in ("dash", "bash"):
        if (shell, LOOP) in anchors:
            anchors[(shell, LOOP)].append(host(shell, LOOP))  # beside the run after idle
    print(f"shell loops (median of {runs}; ratio = jsksh / host shell, same run)")
    g = median(guest[LOOP])
    runs_ms = [t * 1000 for t in guest[LOOP]]
    bash = median(anchors[("bash", LOOP)]) if ("bash", LOOP) in anchors else None
    ratio = (lambda t: f"   ratio {t / bash:.2f}") if bash else (lambda t: "")
    print(f"  {LOOP}")
    print(
        f"    jsksh sh, {runs} runs in a row     {g * 1000:8.1f} ms   [{min(runs_ms):.1f}-{max(runs_ms):.1f}]{ratio(g)}"
    )
    print(
        f"      its first run, cold        {runs_ms[0]:8.1f} ms{ratio(guest[LOOP][0])}   (right after the session's first command)"
    )
    print(
        f"      first run after {IDLE_S} s idle   {idle * 1000:8.1f} ms{ratio(idle)}   (another session; warmed up while it waited)"
    )
    for shell in ("dash", "bash"):
        if (shell, LOOP) in anchors:
            a = median(anchors[(shell, LOOP)])
            print(f"    {shell:28} {a * 1000:8.1f} ms")
    print(f"  {GLOB}   (the host's: over /usr/bin)")
    print(f"    jsksh sh                     {median(guest[GLOB]) * 1000:8.1f} ms")
    for shell in ("dash", "bash"):
        if (shell, HOST_GLOB) in anchors:
            print(f"    {shell:28} {median(anchors[(shell, HOST_GLOB)]) * 1000:8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
