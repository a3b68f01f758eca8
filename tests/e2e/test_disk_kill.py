"""Real kills: `kill -9` of the jsksh process at random moments of a write-heavy workload, 100 times (issue 15).

One image across 100 machines. Each machine runs a workload stored on the
disk itself (/home/w.js, put there by `jsksh disk put` before the first
boot): it writes files of varied sizes into a directory of its round and
says `synced ROUND K` each time a sync(2) has returned for files 0..K. At a
random moment the test kills the machine's process with SIGKILL. The next
machine boots on the same image (its mount replays the log: the unclean
stop), and first runs /home/v.js, which checks that every file a `synced`
line of the killed round promised is there with its bytes; `jsksh disk
fsck` on the host checks the image every tenth round, and a last machine,
not killed, checks every promised file of every round.

A kill of the process does not lose what the host's page cache holds (the
device's cache is that page cache: docs/disk.md), so what this tests is
that the file system recovers from a stop at any point of its own work:
in the middle of an operation, a commit, an install, the log's reuse. The
power cuts with lost writes are the crash simulator's (tests/js/test_disk_crash_*.js).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time

import pytest

from tests.e2e.machine import ENV, JSKSH, BootedMachine

ROUNDS = 100
FSCK_EVERY = 10

# The workload: file K of round R holds "R:K:" and (K * 97) % 6000 more bytes,
# so files span 0 to 2 blocks; a sync every 4 files, said on stdout.
WORKLOAD = """module.exports = async function main(argv) {
  const round = argv[1];
  await sys.fs.mkdir(`/home/r${round}`);
  for (let k = 0; ; k++) {
    const f = await sys.fs.open(`/home/r${round}/f${k}`, 'w');
    await f.write(`${round}:${k}:` + 'x'.repeat((k * 97) % 6000));
    await f.close();
    if (k % 4 === 3) {
      await sys.fs.sync();
      sys.print(`synced ${round} ${k}`);
    }
  }
};
"""

# The check: argv is "R:K" pairs, every file 0..K of round R promised durable.
VERIFY = """module.exports = async function main(argv) {
  let checked = 0;
  for (const pair of argv.slice(1)) {
    const [round, last] = pair.split(':').map(Number);
    for (let k = 0; k <= last; k++) {
      const want = `${round}:${k}:` + 'x'.repeat((k * 97) % 6000);
      let got;
      try {
        got = await sys.fs.readFile(`/home/r${round}/f${k}`);
      } catch (e) {
        sys.print(`LOST r${round}/f${k}: ${e.message}`);
        return 1;
      }
      if (got !== want) {
        sys.print(`WRONG r${round}/f${k}: ${got.length} bytes, not ${want.length}`);
        return 1;
      }
      checked++;
    }
  }
  sys.print(`verified ${checked}`);
  return 0;
};
"""


def disk_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*JSKSH, "disk", *args], capture_output=True, text=True, timeout=60, env=ENV)


@pytest.mark.slow
def test_kill_9_at_random_moments_of_writes_loses_nothing_synced(tmp_path):
    image = str(tmp_path / "home.img")
    assert disk_tool("create", image, "64M").returncode == 0
    for name, source in (("w.js", WORKLOAD), ("v.js", VERIFY)):
        local = tmp_path / name
        local.write_text(source)
        local.chmod(0o755)
        put = disk_tool("put", image, str(local), f"/{name}")
        assert put.returncode == 0, put.stderr
    rng = random.Random(15)
    promised: dict[int, int] = {}  # round -> the last file a sync covered
    for r in range(ROUNDS):
        m = BootedMachine("--net", "none", "--disk", image)
        try:
            # The round just killed, every file of it a sync covered (the
            # older rounds were checked after their own kill, and all of
            # them are again at the end).
            pairs = f"{r - 1}:{promised[r - 1]}" if r - 1 in promised else ""
            status, out, err = m.run(f"/home/v.js {pairs}", timeout=60)
            assert status == 0 and out.startswith("verified"), f"round {r}: {out}{err}\n{m.output()}"
            # The workload, on the console; its `synced` lines until the kill.
            console = m.socket()
            console.sendall(f"/home/w.js {r}\r".encode())
            deadline = time.monotonic() + rng.uniform(0.05, 0.6)
            seen = b""
            while time.monotonic() < deadline:
                console.settimeout(max(0.001, deadline - time.monotonic()))
                try:
                    seen += console.recv(65536)
                except TimeoutError:
                    break
            os.kill(m.proc.pid, signal.SIGKILL)
            m.proc.wait(10)
            # Lines that arrived before the kill only: each came after its sync returned.
            synced = [int(k) for k in re.findall(rb"synced %d (\d+)\r?\n" % r, seen)]
            if synced:
                promised[r] = max(synced)
        finally:
            m.stop()
        if r % FSCK_EVERY == FSCK_EVERY - 1:
            check = disk_tool("fsck", image)
            assert check.returncode == 0, f"round {r}: fsck said {check.stdout}{check.stderr}"
    # The last check, on a machine that boots and is not killed.
    m = BootedMachine("--net", "none", "--disk", image)
    try:
        pairs = " ".join(f"{k}:{v}" for k, v in promised.items())
        status, out, _ = m.run(f"/home/v.js {pairs}", timeout=120)
        assert status == 0, out
        files = int(out.split()[1])
        assert files > 4 * ROUNDS // 2, (
            f"only {files} files were ever synced: the kills came too soon to test much"
        )
    finally:
        m.stop()
