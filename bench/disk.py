"""The disk (issue 15): durable small writes, small files with and without group commit, and sequential bytes, beside the host's own file system in the same run.

The guest: a machine with `--disk` on a new image (formatted as it is
made, mounted at /home at boot: docs/disk.md), running a small app that
times each workload with performance.now() and prints JSON. The host's
anchors run the same workloads on the file system that holds the image,
in the same round:
- append: 4 KiB appended and made durable, N times (the guest: a handle's
  write then fsync; the host: write + os.fsync, in Python);
- files: N files, each created, 4 KiB written, fsync'ed, closed;
- files, one sync: the same with no fsync, then one sync at the end
  (sync(2) on both sides): what group commit buys;
- sequential: SIZE MiB written in 1 MiB pieces then fsync'ed, and read
  back (the host: `dd bs=1M conv=fsync`, then `dd` reading it; both reads
  are from the host's page cache, as the guest's disk is a file there).
Each figure is the median [min-max] of ROUNDS rounds; the ratio is jsksh's
rate over the host's, per round. The guest's file system journals data
too (docs/disk-format.md): every byte it writes goes to the disk twice.

    python disk.py [ROUNDS] [-n N] [--size MIB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

from common import Machine, spread

GUEST_APP = r"""module.exports = async function main(argv) {
  const [, what, n, dir] = argv;
  const count = Number(n);
  const block = new Uint8Array(4096).fill(120);
  const t0 = performance.now();
  if (what === 'append') {
    const f = await sys.fs.open(`${dir}/append.dat`, 'a');
    for (let i = 0; i < count; i++) {
      await f.write(block);
      await f.fsync();
    }
    await f.close();
  } else if (what === 'files' || what === 'files-sync') {
    await sys.fs.mkdir(`${dir}/${what}`);
    for (let i = 0; i < count; i++) {
      const f = await sys.fs.open(`${dir}/${what}/f${i}`, 'w');
      await f.write(block);
      if (what === 'files') await f.fsync();
      await f.close();
    }
    if (what === 'files-sync') await sys.fs.sync();
  } else if (what === 'write') {
    const mib = new Uint8Array(1 << 20).fill(121);
    const f = await sys.fs.open(`${dir}/seq.dat`, 'w');
    for (let i = 0; i < count; i++) await f.write(mib);
    await f.fsync();
    await f.close();
  } else if (what === 'read') {
    const f = await sys.fs.open(`${dir}/seq.dat`, 'r');
    let bytes = 0;
    for (let b; (b = await f.read(1 << 20)) !== null; ) bytes += b.length;
    await f.close();
    if (bytes !== count * (1 << 20)) throw new Error(`read ${bytes} bytes of ${count} MiB`);
  }
  sys.print(JSON.stringify({ what, seconds: (performance.now() - t0) / 1000 }));
};
"""


def guest_run(m: Machine, what: str, n: int, directory: str) -> float:
    out = m.command(f"/tmp/diskbench.js {what} {n} {directory}", timeout=1800)
    for line in out.splitlines():
        if line.startswith("{"):
            return json.loads(line)["seconds"]
    raise RuntimeError(f"diskbench {what}: {out.strip()[-300:]}")


def host_append(directory: str, n: int) -> float:
    block = b"x" * 4096
    path = os.path.join(directory, "append.dat")
    t0 = time.perf_counter()
    with open(path, "ab") as f:
        for _ in range(n):
            f.write(block)
            f.flush()
            os.fsync(f.fileno())
    return time.perf_counter() - t0


def host_files(directory: str, n: int, each_fsync: bool) -> float:
    block = b"x" * 4096
    where = os.path.join(directory, "files" if each_fsync else "files-sync")
    os.mkdir(where)
    t0 = time.perf_counter()
    for i in range(n):
        with open(os.path.join(where, f"f{i}"), "wb") as f:
            f.write(block)
            if each_fsync:
                f.flush()
                os.fsync(f.fileno())
    if not each_fsync:
        os.sync()
    return time.perf_counter() - t0


def host_dd(directory: str, mib: int) -> tuple[float, float]:
    path = os.path.join(directory, "seq.dat")
    t0 = time.perf_counter()
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={mib}", "conv=fsync"],
        check=True,
        capture_output=True,
    )
    t1 = time.perf_counter()
    subprocess.run(["dd", f"if={path}", "of=/dev/null", "bs=1M"], check=True, capture_output=True)
    return t1 - t0, time.perf_counter() - t1


def main(rounds: int, n: int, mib: int) -> None:
    rows: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        rows.setdefault(key, []).append(value)

    for _ in range(rounds):
        work = tempfile.mkdtemp(prefix="jsksh-bench-disk-", dir=os.environ.get("BENCH_DISK_DIR"))
        try:
            image = os.path.join(work, "disk.img")
            size = max(256, 2 * mib + 256)
            m = Machine("--net", "none", "--disk", image, "--disk-size", f"{size}M")
            try:
                if " /home " not in m.command("cat /proc/mounts"):
                    m.command("mkfs /dev/vda && mount /dev/vda /home")  # an image made blank
                m.command(f"cat > /tmp/diskbench.js <<'EOF'\n{GUEST_APP}EOF")
                m.command("mkdir /home/bench")
                add("jsksh append", n / guest_run(m, "append", n, "/home/bench"))
                add("jsksh files", n / guest_run(m, "files", n, "/home/bench"))
                add("jsksh files-sync", n / guest_run(m, "files-sync", n, "/home/bench"))
                add("jsksh write", mib / guest_run(m, "write", mib, "/home/bench"))
                add("jsksh read", mib / guest_run(m, "read", mib, "/home/bench"))
            finally:
                m.stop()
            host = os.path.join(work, "host")
            os.mkdir(host)
            add("host append", n / host_append(host, n))
            add("host files", n / host_files(host, n, True))
            add("host files-sync", n / host_files(host, n, False))
            w, r = host_dd(host, mib)
            add("host write", mib / w)
            add("host read", mib / r)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    report(rows, rounds, n, mib)


def report(r: dict[str, list[float]], rounds: int, n: int, mib: int) -> None:
    print(f"the disk, {rounds} round(s), median [min-max]; the host: the file system holding the image")
    print(
        f"  (host load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; other work on the host skews every row)"
    )
    for key, what, unit in (
        ("append", f"append 4 KiB + fsync, {n} times", "ops/s"),
        ("files", f"{n} files: create, 4 KiB, fsync, close", "files/s"),
        ("files-sync", f"{n} files, one sync at the end", "files/s"),
        ("write", f"sequential write, {mib} MiB + fsync", "MiB/s"),
        ("read", f"sequential read, {mib} MiB", "MiB/s"),
    ):
        ratio = [a / b for a, b in zip(r[f"jsksh {key}"], r[f"host {key}"], strict=True)]
        print(
            f"  {what:42} jsksh {spread(r[f'jsksh {key}'], '{:,.1f}'):>26} {unit:7}"
            f" host {spread(r[f'host {key}'], '{:,.1f}'):>30}   ratio {spread(ratio, '{:.3f}')}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument("-n", type=int, default=1000, help="appends and files per workload (1000)")
    parser.add_argument("--size", type=int, default=256, help="MiB written and read in sequence (256)")
    args = parser.parse_args()
    main(args.rounds, args.n, args.size)
