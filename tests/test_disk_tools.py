"""`jsksh disk` on the host (jsksh/disk/command.py, host_fs.py, host-tools.js): the kernel's
file system code in a V8 isolate over an image file, no machine booted.

Each test calls the command line in this process (jsksh.cli.main) on images in
tmp_path and checks what it printed, its exit status, and the image's bytes.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import subprocess
import sys

import pytest

from jsksh.cli import main
from jsksh.disk.host_fs import ImageFileSystem
from jsksh.disk.image import DiskError, DiskImage, open_disk

SIZE = "8M"


def disk(*argv):
    return main(["disk", *map(str, argv)])


@pytest.fixture
def img(tmp_path):
    path = tmp_path / "vda.img"
    assert disk("create", path, SIZE) == 0
    return path


def test_create_makes_a_raw_image_with_a_file_system(img, capsys):
    assert os.path.getsize(img) == 8 << 20
    assert img.read_bytes()[:8] == b"jsksh-fs"  # the superblock's magic (docs/disk-format.md)
    capsys.readouterr()
    assert disk("ls", img) == 0
    assert capsys.readouterr().out == "lost+found\n"
    assert disk("fsck", img) == 0
    assert capsys.readouterr().out == f"{img}: clean\n"


@pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img is not installed (qemu-utils)")
def test_qemu_img_takes_the_image_as_raw(img):
    out = subprocess.run(["qemu-img", "info", str(img)], capture_output=True, text=True, check=True).stdout
    assert "file format: raw" in out
    assert "virtual size: 8 MiB (8388608 bytes)" in out


def test_put_cat_and_get_round_trip_text_binary_and_a_mebibyte(img, tmp_path, capsysbinary):
    blobs = {
        "/hello.txt": b"hello, disk\n",
        "/all-bytes.bin": bytes(range(256)) * 3,
        "/big.bin": random.Random(15).randbytes(1 << 20),
        "/empty": b"",
    }
    for path, data in blobs.items():
        local = tmp_path / "local"
        local.write_bytes(data)
        assert disk("put", img, local, path) == 0
    capsysbinary.readouterr()
    for path, data in blobs.items():
        assert disk("cat", img, path) == 0
        assert capsysbinary.readouterr().out == data, path
    assert disk("get", img, "/big.bin", tmp_path / "out") == 0
    assert (tmp_path / "out").read_bytes() == blobs["/big.bin"]
    assert disk("get", img, "/no-such-file", tmp_path / "out") == 1
    assert (tmp_path / "out").read_bytes() == blobs["/big.bin"]  # a failed get leaves the local file alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local", "out", "vda.img"]
    assert disk("ls", img) == 0
    assert capsysbinary.readouterr().out.split() == [
        b"all-bytes.bin",
        b"big.bin",
        b"empty",
        b"hello.txt",
        b"lost+found",
    ]
    assert disk("fsck", img) == 0


def test_put_replaces_keeps_the_mode_and_goes_into_a_directory(img, tmp_path, capsys):
    local = tmp_path / "notes.txt"
    local.write_bytes(b"first version, longer than the second\n")
    local.chmod(0o600)
    assert disk("put", img, local, "/notes.txt") == 0
    local.write_bytes(b"second\n")
    assert disk("put", img, local, "/notes.txt") == 0
    assert disk("mkdir", img, "/docs") == 0
    assert disk("put", img, local, "/docs") == 0  # a directory: the local file's name inside it
    capsys.readouterr()
    assert disk("cat", img, "/notes.txt") == 0
    assert disk("cat", img, "/docs/notes.txt") == 0
    assert capsys.readouterr().out == "second\n" * 2
    assert disk("ls", img, "/", "-l") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["drwxr-xr-x", "drwx------", "-rw-------"]
    assert [line.split()[-1] for line in lines] == ["docs", "lost+found", "notes.txt"]
    assert lines[2].split()[1:3] == ["1", "7"]  # one link, 7 bytes: replaced, not appended to
    assert disk("fsck", img) == 0  # and no temporary file left behind (fsck counts every inode)
    assert disk("ls", img, "/docs") == 0
    assert capsys.readouterr().out == f"{img}: clean\nnotes.txt\n"


def test_mkdir_and_rm(img, tmp_path, capsys):
    local = tmp_path / "f"
    local.write_bytes(b"x")
    assert disk("mkdir", img, "/a") == 0
    assert disk("put", img, local, "/a/f") == 0
    assert disk("rm", img, "/a") == 1
    assert capsys.readouterr().err == "jsksh disk rm: /a: Directory not empty\n"
    assert disk("rm", img, "/a/f") == 0
    assert disk("rm", img, "/a") == 0
    assert disk("mkdir", img, "/lost+found") == 1
    assert capsys.readouterr().err == "jsksh disk mkdir: /lost+found: File exists\n"
    assert disk("ls", img) == 0
    assert capsys.readouterr().out == "lost+found\n"
    assert disk("fsck", img) == 0


def test_what_put_wrote_is_synced_and_unmounted_cleanly(img, tmp_path):
    local = tmp_path / "f"
    local.write_bytes(b"y" * 10000)
    image = DiskImage(str(img))
    with ImageFileSystem(image) as fs, open(local, "rb") as source:
        fs.source = source
        assert fs.run("put", path="/f", name=None, mode=0o644) == {"size": 10000, "path": "/f"}
    assert image.syncs >= 3  # the commit's two FLUSHes and umount's: fdatasync each
    image.close()
    # umount left the log header (first sector of block 1) empty: count 0 at offset 8.
    raw = img.read_bytes()
    assert raw[4096:4100] == b"JLOG" and struct.unpack_from("<I", raw, 4096 + 8)[0] == 0


# -- errors: one line on stderr, a non-zero status, never a traceback --------------------


def test_errors_say_what_is_wrong_in_one_line(img, tmp_path, capsys):
    cases = [
        (("ls", img, "/x"), "jsksh disk ls: /x: No such file or directory\n"),
        (("cat", img, "/x"), "jsksh disk cat: /x: No such file or directory\n"),
        (("cat", img, "/lost+found"), "jsksh disk cat: /lost+found: Is a directory\n"),
        (("ls", tmp_path / "none.img"), f"jsksh disk ls: {tmp_path}/none.img: no such disk image"),
        (
            ("put", img, tmp_path / "none", "/x"),
            f"jsksh disk put: {tmp_path}/none: No such file or directory\n",
        ),
        (("put", img, img, "/no/such/dir/x"), "jsksh disk put: /no/such/dir/x: No such file or directory\n"),
        (("mkfs", img), f"jsksh disk mkfs: {img} has a file system; --force"),
    ]
    for argv, message in cases:
        assert disk(*argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err


def test_a_blank_image_has_no_file_system_until_mkfs(tmp_path, capsys):
    path = tmp_path / "raw.img"
    assert disk("create", path, "1M", "--raw") == 0
    assert not any(path.read_bytes())
    capsys.readouterr()
    assert disk("ls", path) == 1
    assert (
        capsys.readouterr().err
        == f"jsksh disk ls: {path}: no file system (`jsksh disk mkfs {path}` makes one)\n"
    )
    assert disk("mkfs", path) == 0
    assert disk("ls", path) == 0


def test_an_image_too_small_for_a_file_system_is_not_left_behind(tmp_path, capsys):
    path = tmp_path / "tiny.img"
    assert disk("create", path, "64k") == 1
    assert "no room for data" in capsys.readouterr().err
    assert not path.exists()
    assert disk("create", path, "64k", "--raw") == 0


def test_disk_size_formats_a_new_image_and_leaves_an_old_one_alone(tmp_path):
    path = tmp_path / "new.img"
    open_disk(str(path), "4M").close()
    assert path.read_bytes()[:8] == b"jsksh-fs"
    raw = tmp_path / "raw.img"
    raw.write_bytes(bytes(1 << 20))
    open_disk(str(raw), "4M").close()  # it exists: --disk-size does not touch it
    assert not any(raw.read_bytes())


# -- fsck --------------------------------------------------------------------------------


def _superblock_field(path, offset):
    return struct.unpack_from("<I", path.read_bytes(), offset)[0]


def test_fsck_restores_a_zeroed_superblock_from_the_backup(img, tmp_path, capsys):
    local = tmp_path / "f"
    local.write_bytes(b"kept\n")
    assert disk("put", img, local, "/kept") == 0
    with open(img, "r+b") as f:
        f.write(bytes(4096))
    capsys.readouterr()
    assert disk("cat", img, "/kept") == 1
    assert capsys.readouterr().err == (
        f"jsksh disk cat: {img}: no superblock (block 0 is zeroed) (run `jsksh disk fsck {img}`)\n"
    )
    assert disk("fsck", img) == 1  # found, not repaired: the image is unchanged
    assert "problem: superblock: no superblock" in capsys.readouterr().out
    assert img.read_bytes()[:8] == bytes(8)
    assert disk("fsck", img, "--repair") == 1
    assert "restored from the backup in block 2047" in capsys.readouterr().out
    assert disk("fsck", img) == 0
    assert disk("cat", img, "/kept") == 0
    assert capsys.readouterr().out.endswith("kept\n")


def test_fsck_repairs_random_bytes_in_the_inode_table(img, tmp_path, capsys):
    local = tmp_path / "f"
    for i in range(4):
        local.write_bytes(b"file %d\n" % i)
        assert disk("put", img, local, f"/f{i}") == 0
    inode_start = _superblock_field(img, 40)
    with open(img, "r+b") as f:
        f.seek(inode_start * 4096 + 4 * 128)  # inodes 4 and 5: two of the files
        f.write(random.Random(7).randbytes(256))
    capsys.readouterr()
    assert disk("fsck", img) == 1
    assert "problem: " in capsys.readouterr().out
    assert disk("fsck", img, "--repair") == 1
    assert "repaired: " in capsys.readouterr().out
    assert disk("fsck", img) == 0
    capsys.readouterr()
    assert disk("ls", img) == 0
    # Inodes 4 and 5 were f1 and f2: fsck cleared them and their names; the rest mount as they were.
    assert capsys.readouterr().out.split() == ["f0", "f3", "lost+found"]


def test_fsck_cannot_repair_a_disk_with_both_superblocks_gone(tmp_path, capsys):
    path = tmp_path / "raw.img"
    assert disk("create", path, "1M", "--raw") == 0
    capsys.readouterr()
    assert disk("fsck", path, "--repair") == 4
    assert "not repaired: superblock" in capsys.readouterr().out
    assert disk("fsck", tmp_path / "none.img") == 8


def test_a_put_that_does_not_fit_changes_nothing(tmp_path, capsys):
    path = tmp_path / "small.img"
    assert disk("create", path, "1M") == 0
    local = tmp_path / "f"
    local.write_bytes(b"old\n")
    assert disk("put", path, local, "/f") == 0
    local.write_bytes(bytes(2 << 20))
    capsys.readouterr()
    assert disk("put", path, local, "/f") == 1
    assert capsys.readouterr().err == "jsksh disk put: /f: No space left on device\n"
    assert disk("cat", path, "/f") == 0
    assert capsys.readouterr().out == "old\n"  # the old file, whole: the new one was never renamed over it
    assert disk("fsck", path) == 0  # and the partial temporary file is gone


def test_put_reads_stdin_and_get_writes_stdout_for_a_dash(img, monkeypatch, capsysbinary):
    class Stdin:
        buffer = io.BytesIO(b"piped in\n")

    monkeypatch.setattr(sys, "stdin", Stdin)
    assert disk("put", img, "-", "/piped") == 0
    capsysbinary.readouterr()
    assert disk("get", img, "/piped", "-") == 0
    assert capsysbinary.readouterr().out == b"piped in\n"


# -- locks: an image is one machine's disk (image.py; the machines' side is tests/e2e/test_disk_lock.py)


def test_a_write_lock_excludes_every_other_open_and_goes_with_the_close(img):
    held = DiskImage(str(img))  # what a machine takes
    try:
        for lock in ("write", "read"):
            with pytest.raises(DiskError) as e:
                DiskImage(str(img), lock=lock)
            assert f'{img}: Failed to get {"shared " if lock == "read" else ""}"{lock}" lock' in str(e.value)
            assert "is another process using the image?" in str(e.value)
    finally:
        held.close()
    DiskImage(str(img)).close()  # free again


def test_readers_share_and_keep_writers_out(img):
    a, b = DiskImage(str(img), lock="read"), DiskImage(str(img), lock="read")
    try:
        with pytest.raises(DiskError, match='Failed to get "write" lock'):
            DiskImage(str(img))
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (("put", "{local}", "/x"), 1),
        (("mkdir", "/d"), 1),
        (("rm", "/lost+found"), 1),
        (("mkfs", "--force"), 1),
        (("fsck", "--repair"), 8),
        (("ls",), 1),
        (("cat", "/x"), 1),
        (("fsck",), 8),
    ],
)
def test_a_tool_on_a_locked_image_is_refused_and_names_it(img, tmp_path, capsys, argv, status):
    local = tmp_path / "local.txt"
    local.write_text("new\n")
    before = img.read_bytes()
    held = DiskImage(str(img))
    try:
        command, *rest = argv
        capsys.readouterr()
        assert disk(command, img, *(a.format(local=local) for a in rest)) == status
    finally:
        held.close()
    err = capsys.readouterr().err
    lock = "write" if command in ("put", "mkdir", "rm", "mkfs") or "--repair" in rest else "read"
    assert err.startswith(f"jsksh disk {command}: {img}: Failed to get "), err
    assert f'"{lock}" lock' in err and err.count("\n") == 1, err
    assert img.read_bytes() == before  # refused before it touched anything
