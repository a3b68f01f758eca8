"""`jsksh` start to a usable prompt: the REPL booting its machine, under a pty.

Two times per start, each the median of N starts: process start to the
prompt on screen, and to the output of the first command typed at it (the
prompt accepts input: a line typed right after it runs). Measured for
`jsksh --net none` and `jsksh` (the default: the built-in NAT, DHCP
included). Anchors in the same run, timed the same way: ptpython to its
`>>>` (`pip install ptpython`; skipped if missing) and Node's REPL to its
`> ` (skipped if there is no `node`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import time

import pexpect
from common import JSKSH, median

# The prompt as prompt_toolkit draws it: colours may sit inside it, and the
# space after it may be a cursor movement.
JSKSH_PROMPT = r"jsksh\S*\$"
# A private XDG_DATA_HOME: the benchmark's lines stay out of the REPL history.
DATA_HOME = tempfile.mkdtemp(prefix="jsksh-bench-")
atexit.register(shutil.rmtree, DATA_HOME, True)
ENV = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "XDG_DATA_HOME": DATA_HOME}


def start(argv: list[str], prompt: str, command: str, env: dict | None = None) -> tuple[float, float]:
    """Seconds from spawn to `prompt`, and to `ready` printed by `command` typed at it."""
    t0 = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env or ENV, timeout=30, dimensions=(30, 100))
    child.delaybeforesend = None  # pexpect sleeps 50 ms before each send by default
    try:
        child.expect(prompt)
        to_prompt = time.perf_counter() - t0
        child.send(command + "\r")
        child.expect("ready\r\n")
        to_output = time.perf_counter() - t0
        return to_prompt, to_output
    finally:
        child.close(force=True)


def series(argv: list[str], prompt: str, command: str, n: int, env: dict | None = None):
    start(argv, prompt, command, env)  # a warm-up: page cache, .pyc files
    runs = [start(argv, prompt, command, env) for _ in range(n)]
    return median([r[0] for r in runs]), median([r[1] for r in runs])


def jsksh(n: int, *net: str):
    # `echo rea''dy` prints "ready"; its echo on screen never contains it.
    return series([*JSKSH, *net], JSKSH_PROMPT, "echo rea''dy", n)


def ptpython(n: int):
    try:
        import ptpython  # noqa: F401
    except ImportError:
        return None
    # A private config dir: no user configuration, no history file to load.
    env = {**ENV, "XDG_CONFIG_HOME": "/nonexistent"}
    return series([sys.executable, "-m", "ptpython"], ">>>", "print('rea' + 'dy')", n, env)


def node(n: int):
    if not shutil.which("node"):
        return None
    return series(["node"], "> ", "console.log('rea' + 'dy')", n)


def main(n: int = 10) -> None:
    none = jsksh(n, "--net", "none")
    user = jsksh(n)
    anchors = {"ptpython": ptpython(n), "node": node(n)}
    print(f"REPL start to a usable prompt (median of {n})")
    print(f"  {'':28} {'to prompt':>10} {'to output':>10}")
    print(f"  {'jsksh --net none':28} {none[0] * 1e3:7.1f} ms {none[1] * 1e3:7.1f} ms")
    print(f"  {'jsksh (--net user, DHCP)':28} {user[0] * 1e3:7.1f} ms {user[1] * 1e3:7.1f} ms")
    for name, figures in anchors.items():
        if figures is None:
            how = "pip install ptpython" if name == "ptpython" else "install Node.js"
            print(f"  {name:28} skipped: not installed ({how})")
            continue
        print(
            f"  {name:28} {figures[0] * 1e3:7.1f} ms {figures[1] * 1e3:7.1f} ms"
            f"   ratio (--net none) {none[0] / figures[0]:.2f} / {none[1] / figures[1]:.2f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
