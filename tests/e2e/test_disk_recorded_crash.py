"""Power cuts replayed from a real machine's writes (issue 15: "a crash simulator in the device").

A machine in this process, its disk's every completed write and flush
recorded in completion order by the device (jsksh/disk/recorder.py,
WriteLog). A workload on /home writes numbered files, each with bytes of
its own, and renames a state file over itself, with a sync every few
files. Then every disk a power cut anywhere in the recording can leave is
built and checked by the file system library itself, in an isolate
(tests/js/lib/recorded-crash.js, with tests/js/lib/crash-device.js's
enumeration, whose header argues why it is exhaustive): for each epoch
(the writes between two FLUSHes), every subset of its writes kept, and
torn writes at each sector boundary. Each state must mount (replaying the
log), pass fsck, show every file holding its own bytes (whole or a first
part) and the state file one whole number, and keep every whole file and
the state number that the epoch's durable part holds. At the end every file
the workload wrote is there. The crash device of tests/js does this for the
library alone; this does it for the bytes a real guest sent through
virtio-blk, the kernel's mount, pumps and driver included.

Figures (2026-12, a commit's log in one request): 356 events, 101 epochs of
at most 5 writes (none past the bound of 12), 1,047 subset states, every one
checked, and 13,338 torn ones; about 30 s in all. The test asserts that the subsets it checked are as
many as it computed from the epochs' sizes.
"""

from __future__ import annotations

import json
import subprocess
import threading

import pytest

from jsksh.disk.recorder import WriteLog
from tests.e2e.machine import ENV, JSKSH, run_on_control_port
from tests.js.runner import HERE, JSTestFile

FILES = 24


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


def check_every_crash_state(base: bytes, events: list[tuple], files: int) -> dict:
    """Loads the recording into tests/js/lib/recorded-crash.js and runs its check; its figures."""
    check = JSTestFile(HERE / "lib" / "recorded-crash.js")
    data = b"".join(e[2] for e in events if e[0] == "write")
    listed, offset = [], 0
    for e in events:
        if e[0] == "flush":
            listed.append(None)
        else:
            listed.append([e[1], offset, len(e[2])])
            offset += len(e[2])
    check.iso.eval(
        f"globalThis.__recBase = new ArrayBuffer({len(base)});"
        f"globalThis.__recData = new ArrayBuffer({len(data)});"
        f"globalThis.__recFiles = {files};"
        f"globalThis.__recEvents = {json.dumps(listed)};"
    )
    check.iso.buffer("__recBase")[:] = base
    check.iso.buffer("__recData")[:] = data
    try:
        (name,) = check.names()
        result = check.run(name, timeout=900.0)
        assert result["ok"], result.get("error")
        return json.loads(check.iso.eval("globalThis.__recFigures"))
    finally:
        check.iso.close()


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
    flushes = [e for e in events if e[0] == "flush"]
    assert len(flushes) >= FILES // 4, f"only {len(flushes)} flushes recorded"
    figures = check_every_crash_state(base, events, FILES)
    assert figures["states"] == figures["expected"] > len(events), figures
    assert figures["torn"] > 0, figures
    print(f"{len(events)} events ({len(flushes)} flushes): {figures}")
