"""An image is one machine's disk: the lock a machine takes on it (jsksh/disk/image.py).

Real `jsksh boot` machines (tests/e2e/machine.py) on one image: a second
machine, and the host's `jsksh disk` tools, are refused with QEMU's words
while the first runs, and the first runs on with its files intact; the
lock goes when the machine powers off, and when it is killed with SIGKILL
(the kernel drops an flock with the process's last descriptor).
"""

import signal
import subprocess

import pytest

from tests.e2e.machine import ENV, JSKSH, BootedMachine


def jsksh(*args, timeout=60):
    return subprocess.run([*JSKSH, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV)


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "vda.img"
    r = jsksh("disk", "create", path, "8M")
    assert r.returncode == 0, r.stderr
    return path


def refused(r, path, lock='"write" lock'):
    assert f"{path}: Failed to get {lock}: is another process using the image?" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_second_machine_and_the_hosts_tools_are_refused_while_a_machine_has_the_image(image, tmp_path):
    first = BootedMachine("--net", "none", "--disk", str(image))
    try:
        status, out, err = first.run("echo kept > /home/notes; sync; cat /home/notes")
        assert (status, out) == (0, "kept\n"), err

        second = jsksh("--net", "none", "--disk", image, "run", "echo the second machine ran")
        assert second.returncode == 2 and "the second machine ran" not in second.stdout
        refused(second, image)

        local = tmp_path / "new.txt"
        local.write_text("from the host\n")
        put = jsksh("disk", "put", image, local, "/notes")
        assert put.returncode == 1
        refused(put, image)
        assert put.stderr.startswith("jsksh disk put: ") and put.stderr.count("\n") == 1
        ls = jsksh("disk", "ls", image)
        assert ls.returncode == 1
        refused(ls, image, 'shared "read" lock')

        # The first machine ran on, and its file is as it wrote it.
        status, out, err = first.run("cat /home/notes; echo more >> /home/notes; cat /home/notes")
        assert (status, out) == (0, "kept\nkept\nmore\n"), err
        first.proc.terminate()  # SIGTERM: the power button, the disk unmounted in order
        assert first.wait() == 143, first.output()
    finally:
        first.stop()

    # Powered off: the lock went with it.
    cat = jsksh("disk", "cat", image, "/notes")
    assert (cat.returncode, cat.stdout) == (0, "kept\nmore\n"), cat.stderr
    put = jsksh("disk", "put", image, local, "/notes")
    assert put.returncode == 0, put.stderr
    fsck = jsksh("disk", "fsck", image)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_a_machine_killed_with_sigkill_leaves_no_lock_behind(image):
    m = BootedMachine("--net", "none", "--disk", str(image))
    try:
        status, out, err = m.run("echo synced > /home/s; sync")
        assert status == 0, err
        assert jsksh("disk", "ls", image).returncode == 1  # locked while it runs
        m.proc.send_signal(signal.SIGKILL)
        assert m.wait() == -signal.SIGKILL
    finally:
        m.stop()
    cat = jsksh("disk", "cat", image, "/s")  # mounts, replaying the log if need be
    assert (cat.returncode, cat.stdout) == (0, "synced\n"), cat.stderr
    again = jsksh("--net", "none", "--disk", image, "run", "cat /home/s")
    assert (again.returncode, again.stdout) == (0, "synced\n"), again.stderr
