"""Power cuts replayed from a real machine's writes (issue 15: "a crash simulator in the device").

A machine in this process, its disk's every completed write and flush
recorded in completion order by the device (jsksh/disk/recorder.py,
WriteLog). A workload on /home writes numbered files, each with bytes of
its own, and renames a state file over itself, with a sync every few
files. Then the disk is rebuilt as a power cut at each point of the
recording would have left it:
- everything completed kept (every cut);
- past the last flush, a random subset of the later writes lost: the
  volatile cache's worst case (every third cut);
- one of those writes torn at a 512-byte sector (every third cut).
Each state is mounted by the same file system code on the host
(jsksh/disk/host_fs.py: the log replayed if committed), must pass fsck, and
every file in it must hold its own bytes, whole or a first part of them
(the create and the writes are operations of their own), and the state
file one whole number (it is renamed over, whole): nothing that was never
written is visible. At the last cut every file the workload synced is
there. The crash device of tests/js does this for the library alone, at
every write of 1,000 operations; this does it for the bytes a real guest
sent through virtio-blk, the kernel's mount, pumps and driver included.
"""

from __future__ import annotations

import random
import subprocess
import threading

import pytest

from jsksh.disk.host_fs import ImageFileSystem
from jsksh.disk.image import SECTOR, DiskImage
from jsksh.disk.recorder import WriteLog
from tests.e2e.machine import ENV, JSKSH, run_on_control_port

FILES = 24


def content(k: int) -> bytes:
    return (f"file {k}:" + "abcdefgh" * ((k * 389) % 1100)).encode()


# The workload, an app on the disk itself (put there from the host).
WORKLOAD = """module.exports = async function main() {
  await sys.fs.mkdir('/home/w');
  for (let k = 0; k < FILES; k++) {
    const f = await sys.fs.open(`/home/w/f${k}`, 'w');
    await f.write(`file ${k}:` + 'abcdefgh'.repeat((k * 389) % 1100));
    await f.close();
    await sys.fs.writeFile('/home/w/state.new', String(k));
    await sys.fs.rename('/home/w/state.new', '/home/w/state');
    if (k % 4 === 3) await sys.fs.sync();
  }
  return 0;
};
""".replace("FILES", str(FILES))


def check_state(path: str, disk: bytes, must_have: int = 0) -> None:
    """Mount (replaying the log), read every file, fsck: consistent, nothing half-done."""
    with open(path, "wb") as f:
        f.write(disk)
    image = DiskImage(path)
    try:
        with ImageFileSystem(image) as fs:
            listing = fs.run("ls", path="/")
            names = {e["name"] for e in listing["entries"]}
            files = set()
            if "w" in names:
                for entry in fs.run("ls", path="/w")["entries"]:
                    name = entry["name"]
                    sink = _Sink()
                    fs.sink = sink
                    fs.run("cat", path=f"/w/{name}")
                    if name == "state":
                        assert sink.data.strip().isdigit(), f"state holds {sink.data[:40]!r}"
                        continue
                    if name == "state.new":  # written as it is created, and renamed away
                        assert sink.data == b"" or sink.data.strip().isdigit(), (
                            f"state.new holds {sink.data[:40]!r}"
                        )
                        continue
                    k = int(name[1:])
                    # Created, then written: empty or part-written is a state the
                    # operations passed through; bytes that were never written are not.
                    assert content(k).startswith(sink.data), f"/w/{name}: {len(sink.data)} bytes not its own"
                    if sink.data == content(k):
                        files.add(k)
            report = fs.run("fsck", repair=False)
            assert report["clean"], report
            assert set(range(must_have)) <= files, (
                f"synced files lost: {sorted(set(range(must_have)) - files)}"
            )
    finally:
        image.close()


class _Sink:
    def __init__(self):
        self.data = b""

    def write(self, b):
        self.data += bytes(b)

    def flush(self):
        pass


@pytest.mark.slow
def test_power_cuts_at_every_point_of_a_real_guests_writes_leave_a_clean_consistent_disk(tmp_path):
    from jsksh.machine.machine import Machine

    image = str(tmp_path / "rec.img")
    app = tmp_path / "w.js"
    app.write_text(WORKLOAD)
    app.chmod(0o755)
    for args in (("create", image, "4M"), ("put", image, str(app), "/w.js")):
        r = subprocess.run([*JSKSH, "disk", *args], capture_output=True, text=True, timeout=60, env=ENV)
        assert r.returncode == 0, r.stderr
    with open(image, "rb") as f:
        base = f.read()
    log = WriteLog()
    control = str(tmp_path / "control.sock")
    m = Machine(net="none", control_path=control, disk=image, disk_recorder=log)
    thread = threading.Thread(target=m.run, name="recorded-disk-machine", daemon=True)
    thread.start()
    try:
        status, out, err = run_on_control_port(control, "/home/w.js", timeout=120)
        assert status == 0, out + err
    finally:
        m.shutdown(0)  # in order: the disk unmounted, its last commit recorded too
        thread.join(20)
    events = log.events
    flushes = [i for i, e in enumerate(events) if e[0] == "flush"]
    assert len(flushes) >= FILES // 4, f"only {len(flushes)} flushes recorded"
    rng = random.Random(15)
    state = str(tmp_path / "state.img")
    checked = 0
    for cut in range(1, len(events) + 1):
        kept = log.disk_after(base, cut)
        check_state(state, bytes(kept))
        checked += 1
        if cut % 3:
            continue
        # Writes since the last flush before the cut: any subset may be lost, one may be torn.
        last_flush = max([i for i in flushes if i < cut], default=-1)
        pending = [i for i in range(last_flush + 1, cut) if events[i][0] == "write"]
        if not pending:
            continue
        lost = {i for i in pending if rng.random() < 0.5}
        torn = rng.choice(pending)
        for variant in ("lost", "torn"):
            disk = bytearray(log.disk_after(base, last_flush + 1))
            for i in pending:
                _, sector, data = events[i]
                if variant == "lost" and i in lost:
                    continue
                if variant == "torn" and i == torn and len(data) > SECTOR:
                    data = data[: SECTOR * rng.randrange(1, len(data) // SECTOR)]
                disk[sector * SECTOR : sector * SECTOR + len(data)] = data
            check_state(state, bytes(disk))
            checked += 1
    # The whole recording: every file is there (the last sync, then the unmount).
    check_state(state, bytes(log.disk_after(base)), must_have=FILES)
    assert checked > len(events)
    print(f"{len(events)} events ({len(flushes)} flushes), {checked} crash states checked")
