"""The disk end to end: `jsksh --disk`, the guest's virtio-blk driver and /dev/vda.

A raw image in a temporary directory is the disk of a real machine; the
guest writes it with dd and Python reads the file, Python writes it and the
guest reads it back.  One machine runs in this process, so the test can hold
the write recorder (jsksh/disk/recorder.py) and see the FLUSH reach
fdatasync; the others are `jsksh boot` processes (tests/e2e/machine.py).
"""

import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from jsksh.disk.image import DiskImage, create_image
from jsksh.disk.recorder import WriteLog
from tests.e2e.machine import JSKSH, BootedMachine, run_on_control_port

SECTORS = 2048  # a 1 MiB disk
# ASCII a sector long, so it crosses the structured port as text: "sector 5 ....."
HOST_SECTOR = b"sector 5 from the host".ljust(511, b".") + b"\n"


@pytest.fixture(scope="module")
def disk_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("disk")


@pytest.fixture(scope="module")
def booted(disk_dir):
    """A `jsksh boot` machine whose disk Python wrote sector 5 of before boot."""
    path = disk_dir / "vda.img"
    create_image(str(path), SECTORS * 512)
    with open(path, "r+b") as f:
        f.seek(5 * 512)
        f.write(HOST_SECTOR)
    m = BootedMachine("--net", "none", "--disk", str(path))
    m.image = path
    yield m
    m.stop()


def test_the_boot_log_names_the_disk_and_devices_lists_it(booted):
    status, out, err = booted.run("dmesg; devices")
    assert status == 0, err
    assert "virtio-mmio: slot 3: virtio-block (device id 2) at irq 8" in out
    assert "virtio-blk: vda: 2048 sectors (1 MiB), write cache: write-back, flush" in out
    row = next(line for line in out.splitlines() if "virtio-blk" in line and "SEG_MAX" in line)
    assert row.split()[:4] == ["3", "virtio-blk", "2", "8"]
    assert "FLUSH,CONFIG_WCE" in row


def test_the_guest_reads_what_the_host_wrote(booted):
    status, out, err = booted.run("dd if=/dev/vda bs=512 skip=5 count=1 status=none")
    assert status == 0, err
    assert out.encode() == HOST_SECTOR


def test_the_guest_writes_reach_the_image_and_a_close_flushes(booted):
    # 300 lines "1\n" .. "300\n" = 1092 bytes: two whole sectors and a partial third.
    text = "".join(f"{i}\n" for i in range(1, 301)).encode()
    with open(booted.image, "r+b") as f:
        f.seek(1024)
        f.write(b"\xee" * 512)  # the rest of the third sector must survive
    status, out, err = booted.run("seq 1 300 | dd of=/dev/vda status=none; blktrace")
    assert status == 0, err
    with open(booted.image, "rb") as f:
        disk = f.read(1536)
    assert disk[: len(text)] == text
    assert disk[len(text) :] == b"\xee" * (1536 - len(text))
    trace = [line.split() for line in out.splitlines()[1:]]
    kinds = [row[1] for row in trace]
    assert kinds[-1] == "flush" and "out" in kinds  # writes, then the close's flush
    assert all(row[4] == "ok" for row in trace)


def test_devices_v_shows_the_driver_and_device_counters(booted):
    status, out, err = booted.run("devices -v")
    assert status == 0, err
    section = out[out.index("virtio-blk (slot 3):") :]
    assert "  capacity: 2048\n" in section and "  cache: write-back\n" in section
    assert '"requests_out":' in section and '"flushes":' in section
    assert '"image":"' + str(booted.image) + '"' in section


def test_writing_past_the_end_is_enospc(booted):
    status, _, err = booted.run("dd if=/dev/zero of=/dev/vda bs=64k count=20")
    assert status == 1
    assert "dd: error writing '/dev/vda': No space left on device" in err
    with open(booted.image, "rb") as f:
        assert f.read() == bytes(SECTORS * 512)  # what fitted was written: the whole disk


def test_poweroff_leaves_the_bytes_in_the_image(booted, disk_dir):
    status, _, err = booted.run("echo last words | dd of=/dev/vda status=none")
    assert status == 0, err
    with pytest.raises(AssertionError, match="control port closed"):
        booted.run("poweroff")  # the machine goes before it can answer
    assert booted.wait(20) == 0
    with open(booted.image, "rb") as f:
        assert f.read(11) == b"last words\n"
    if shutil.which("qemu-img"):
        out = subprocess.run(["qemu-img", "info", str(booted.image)], capture_output=True, text=True)
        assert "file format: raw" in out.stdout
        assert "virtual size: 1 MiB (1048576 bytes)" in out.stdout


@pytest.fixture()
def errors_machine(tmp_path):
    path = tmp_path / "bad.img"
    create_image(str(path), SECTORS * 512)
    m = BootedMachine("--net", "none", "--disk", str(path), "--disk-errors", "sectors=8-8")
    yield m
    m.stop()


def test_injected_errors_reach_the_app_as_eio_and_the_machine_runs_on(errors_machine):
    status, out, err = errors_machine.run("dd if=/dev/zero of=/dev/vda bs=512 count=16")
    assert status == 1
    assert "dd: error writing '/dev/vda': Input/output error" in err
    status, out, err = errors_machine.run("dd if=/dev/vda of=/dev/null bs=512 count=16")
    assert status == 1
    assert "dd: error reading '/dev/vda': Input/output error" in err
    status, out, err = errors_machine.run("blktrace; devices -v")
    assert status == 0, err
    assert " ioerr" in out
    assert '"errors_injected":2' in out
    assert errors_machine.run("echo alive") == (0, "alive\n", "")


def test_a_flush_reaches_fdatasync_after_the_writes_it_covers(tmp_path):
    """In this process, to hold the recorder: the writes, then the flush, in completion order."""
    from jsksh.machine.machine import Machine

    path = tmp_path / "rec.img"
    log = WriteLog()
    control = str(tmp_path / "control.sock")
    m = Machine(net="none", control_path=control, disk=str(path), disk_size="1M", disk_recorder=log)
    thread = threading.Thread(target=m.run, name="disk-test-machine", daemon=True)
    thread.start()
    try:
        status, _, err = run_on_control_port(control, "seq 1 2000 | dd of=/dev/vda status=none")
        assert status == 0, err
        assert m.disk.syncs >= 1
        assert m.blk_dev.counters["flushes"] == m.disk.syncs
        kinds = [e[0] for e in log.events]
        assert kinds[-1] == "flush" and "flush" not in kinds[:-1]
        text = "".join(f"{i}\n" for i in range(1, 2001)).encode()
        rebuilt = log.disk_after(bytes(os.path.getsize(path)))
        assert rebuilt[: len(text)] == text
        with open(path, "rb") as f:
            assert f.read(len(text)) == text
    finally:
        m.power_off(0)
        thread.join(10)


def jsksh(*args):
    return subprocess.run([*JSKSH, *args], capture_output=True, text=True, timeout=60)


def test_disk_create_makes_a_sparse_raw_image_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "new.img"
    r = jsksh("disk", "create", str(path), "64M")
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(path) == 64 << 20
    assert (
        os.stat(path).st_blocks * 512 < 1 << 20
    )  # sparse: mkfs wrote only the metadata (a 512 KiB inode table)
    r = jsksh("disk", "create", str(path), "1M")
    assert (r.returncode, os.path.getsize(path)) == (1, 64 << 20)
    assert "exists" in r.stderr
    r = jsksh("disk", "create", str(tmp_path / "odd.img"), "1000")
    assert r.returncode == 2 and "not a multiple of 512" in r.stderr
    r = jsksh("disk", "create", str(tmp_path / "what.img"), "lots")
    assert r.returncode == 2 and "not a size" in r.stderr
    assert not (tmp_path / "odd.img").exists()
    if shutil.which("qemu-img"):
        info = subprocess.run(["qemu-img", "info", str(path)], capture_output=True, text=True)
        assert "file format: raw" in info.stdout and "64 MiB" in info.stdout


def test_a_missing_image_is_a_clear_error_and_disk_size_makes_one(tmp_path):
    missing = tmp_path / "none.img"
    r = jsksh("--net", "none", "--disk", str(missing), "run", "true")
    assert r.returncode == 2
    assert "no such disk image" in r.stderr and "jsksh disk create" in r.stderr
    r = jsksh("--net", "none", "--disk", str(missing), "--disk-size", "1000", "run", "true")
    assert r.returncode == 2 and "not a multiple of 512" in r.stderr
    r = jsksh("--net", "none", "--disk", str(missing), "--disk-size", "2M", "run", "dmesg | grep vda")
    assert r.returncode == 0, r.stderr
    assert "vda: 4096 sectors (2 MiB)" in r.stdout
    assert os.path.getsize(missing) == 2 << 20


def test_without_a_disk_nothing_changes():
    r = jsksh("--net", "none", "run", "devices; ls /dev; blktrace")
    assert "virtio-blk" not in r.stdout and "vda" not in r.stdout
    assert r.returncode == 1 and "blktrace: no disk" in r.stderr


def test_a_device_completing_last_first_loses_and_reorders_nothing(tmp_path):
    """--disk-completion reversed: each batch of requests completes last first (§2.7 allows it).
    dd's 256 KiB blocks reach the driver as several 64 KiB writes in one turn: one batch."""
    path = tmp_path / "rev.img"
    text = "".join(f"{i}\n" for i in range(1, 40001)).encode()  # 228,894 bytes
    line = (
        "seq 1 40000 > /tmp/f; dd if=/tmp/f of=/dev/vda bs=256k status=none; "
        "dd if=/dev/vda bs=228894 count=1 iflag=fullblock status=none | tail -n 2; blktrace"
    )
    # A blank image (no file system to mount on /home, whose unmount at the end would write over dd's bytes).
    assert jsksh("disk", "create", "--raw", str(path), "1M").returncode == 0
    args = ("--net", "none", "--disk", str(path), "--disk-completion", "reversed")
    r = jsksh(*args, "run", line)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("39999\n40000\n")
    writes = [int(row.split()[2]) for row in r.stdout.splitlines() if row.split()[1:2] == ["out"]]
    assert any(a > b for a, b in zip(writes, writes[1:], strict=False)), writes  # a batch came back reversed
    with open(path, "rb") as f:
        assert f.read(len(text)) == text


class HeldSync(DiskImage):
    """The machine's image, whose fdatasync waits until the test lets it go (a slow host disk)."""

    def __init__(self, path):
        super().__init__(path)
        self.syncing = threading.Event()
        self.release = threading.Event()

    def sync(self):
        self.syncing.set()
        self.release.wait(30)
        super().sync()


def test_the_kernel_answers_its_console_while_a_flush_is_in_fdatasync(tmp_path):
    """The disk's I/O thread, not the kernel's, waits for fdatasync: with the sync held, a command
    typed on the console still runs and prints.  (Served in the notify trap, as before, the
    kernel's thread sat in the sync and the console stayed silent until it was let go.)
    Not a timing test: the sync is released only after the console answered, or after 30 s."""
    from jsksh.machine.machine import Machine

    path = tmp_path / "held.img"
    create_image(str(path), SECTORS * 512)
    control, console = str(tmp_path / "control.sock"), str(tmp_path / "console.sock")
    m = Machine(net="none", control_path=control, console_path=console, disk=str(path))
    m.disk.close()
    m.disk = held = HeldSync(str(path))
    thread = threading.Thread(target=m.run, name="disk-test-machine", daemon=True)
    thread.start()
    flushed = []
    writer = threading.Thread(
        target=lambda: flushed.append(run_on_control_port(control, "echo hi | dd of=/dev/vda status=none"))
    )
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(console) and time.monotonic() < deadline:
            time.sleep(0.01)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(console)
            s.settimeout(30)
            writer.start()
            assert held.syncing.wait(30), "the close of /dev/vda never flushed"
            started = time.monotonic()
            s.sendall(b"echo kernel-''alive\r")
            seen = b""
            while b"kernel-alive" not in seen:
                chunk = s.recv(4096)
                assert chunk, "the console closed"
                seen += chunk
            answered = time.monotonic() - started
            assert not held.release.is_set() and not flushed  # the flush is still in fdatasync
            held.release.set()
            writer.join(30)
        assert flushed and flushed[0][0] == 0, flushed
        assert held.syncs == 1
        print(f"console answered in {answered * 1000:.1f} ms while fdatasync was held")
    finally:
        held.release.set()
        m.power_off(0)
        thread.join(10)
