"""End to end: the file tools (touch, cp, mv, rmdir, stat, du, df, basename,
dirname) on a booted machine, as a newcomer uses them in the first minutes.

The runs go over the control port (status, stdout and stderr apart); one test
types at the raw console, where `cp -i` asks its question. Bytes are checked
against the host: a file of known bytes is written in the guest, copied and
moved there, and its sha256sum compared with hashlib's. /tmp is 8 MiB, so a
copy can fill it.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.e2e.machine import command, console_without_jobs

MACHINE_ARGS = ("--net", "none", "--tmp-size", "8M")  # for conftest.py's module machine
TMP_KIB = 8 * 1024

# Every byte value, 0x80-0xff (not UTF-8 alone) included: byte i is (7i + i/256) mod 256.
KNOWN = bytes((i * 7 + (i >> 8)) & 255 for i in range(65536))
WRITE_KNOWN = (
    'eval \'const f = await sys.fs.open("{path}", "w");'
    " await f.write(new Uint8Array(65536).map((_, i) => (i * 7 + (i >> 8)) & 255)); await f.close()'"
)


def run_ok(machine, line: str, timeout: float = 60) -> str:
    status, out, err = machine.run(line, timeout)
    assert (status, err) == (0, ""), f"{line!r}: status {status}, stderr {err!r}"
    return out


def sums(out: str) -> dict[str, str]:
    """sha256sum's lines as {name: hex}."""
    return {name: digest for digest, name in (line.split("  ", 1) for line in out.splitlines())}


def tmpfs_used_kib(machine) -> int:
    line = run_ok(machine, "df /tmp").splitlines()[1]
    source, size, used, avail, pct, mount = line.split()
    assert (source, size, mount) == ("tmpfs", str(TMP_KIB), "/tmp")
    return int(used)


def test_a_first_session_create_copy_move_inspect_remove(machine):
    # Create: touch makes an empty file, echo one with text, eval one of known bytes.
    run_ok(
        machine,
        "mkdir /tmp/work; cd /tmp/work; touch empty; echo hello > note.txt; "
        + WRITE_KNOWN.format(path="/tmp/work/data.bin"),
    )
    assert run_ok(machine, "ls /tmp/work") == "data.bin\nempty\nnote.txt\n"

    # Copy as bytes: the guest's sums of the source and the copy are the host's.
    run_ok(machine, "cd /tmp/work; cp data.bin copy.bin; mkdir backup; cp -v note.txt data.bin backup")
    out = run_ok(machine, "sha256sum /tmp/work/data.bin /tmp/work/copy.bin /tmp/work/backup/data.bin")
    assert set(sums(out).values()) == {hashlib.sha256(KNOWN).hexdigest()}
    assert run_ok(machine, "cat /tmp/work/backup/note.txt") == "hello\n"

    # Move: a rename; the bytes are the same under the new name, the old one is gone.
    run_ok(machine, "cd /tmp/work; mv copy.bin moved.bin; mkdir sub; mv -v moved.bin empty sub")
    assert (
        run_ok(machine, "ls /tmp/work /tmp/work/sub")
        == "/tmp/work:\nbackup/\ndata.bin\nnote.txt\nsub/\n\n/tmp/work/sub:\nempty\nmoved.bin\n"
    )
    assert sums(run_ok(machine, "sha256sum /tmp/work/sub/moved.bin")) == {
        "/tmp/work/sub/moved.bin": hashlib.sha256(KNOWN).hexdigest()
    }

    # Inspect: stat's layout, du's KiB (sizes rounded up), the tree's bytes.
    stat = run_ok(machine, "stat /tmp/work/sub/moved.bin").splitlines()
    assert stat[:3] == [
        "  File: /tmp/work/sub/moved.bin",
        "  Size: 65536     \tregular file",
        "Access: (0644/-rw-r--r--)",
    ]
    assert re.fullmatch(r"Modify: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} [+-]\d{4}", stat[3]), stat
    assert (
        run_ok(machine, "stat -c '%s %F %a' /tmp/work/sub/empty /tmp/work/sub")
        == "0 regular empty file 644\n2 directory 755\n"
    )
    assert run_ok(machine, "du /tmp/work") == "65\t/tmp/work/backup\n64\t/tmp/work/sub\n193\t/tmp/work\n"
    assert run_ok(machine, "du -sb /tmp/work") == f"{3 * 65536 + 2 * 6}\t/tmp/work\n"
    assert run_ok(machine, "cd /tmp/work; du -sh sub backup") == "64K\tsub\n65K\tbackup\n"

    # Remove: rmdir takes only an empty directory; rm -r the rest.
    status, out, err = machine.run("rmdir /tmp/work/sub")
    assert (status, out, err) == (1, "", "rmdir: failed to remove '/tmp/work/sub': Directory not empty\n")
    run_ok(machine, "cd /tmp/work; rm sub/empty sub/moved.bin; rmdir -v sub")
    run_ok(machine, "rm -r /tmp/work")
    assert run_ok(machine, "ls /tmp") == ""


def test_random_bytes_copied_and_moved_keep_their_sha256(machine):
    line = (
        "head -c 100000 /dev/urandom > /tmp/a; cp /tmp/a /tmp/b; mkdir /tmp/r; cp -r /tmp/r /tmp/r2; "
        "cp /tmp/b /tmp/r2/c; mv /tmp/r2 /tmp/r3; sha256sum /tmp/a /tmp/b /tmp/r3/c; "
        "stat -c %s /tmp/a /tmp/r3/c"
    )
    out = run_ok(machine, line).splitlines()
    digests = {line.split()[0] for line in out[:3]}
    assert len(digests) == 1 and digests != {hashlib.sha256(b"").hexdigest()}, out
    assert out[3:] == ["100000", "100000"]
    run_ok(machine, "rm -r /tmp/a /tmp/b /tmp/r /tmp/r3")


def test_bad_input_gets_gnus_messages_and_loses_nothing(machine):
    run_ok(machine, "mkdir /tmp/bad; mkdir /tmp/bad/dir; echo precious > /tmp/bad/a; echo x > /tmp/bad/dir/x")
    cases = [
        ("mv /tmp/bad/a /tmp/bad/a", "mv: '/tmp/bad/a' and '/tmp/bad/a' are the same file\n"),
        ("cp /tmp/bad/a /tmp/bad/./a", "cp: '/tmp/bad/a' and '/tmp/bad/./a' are the same file\n"),
        ("cp /tmp/bad/dir /tmp/bad/file", "cp: -r not specified; omitting directory '/tmp/bad/dir'\n"),
        (
            "cp -r /tmp/bad/dir /tmp/bad/dir",
            "cp: cannot copy a directory, '/tmp/bad/dir', into itself, '/tmp/bad/dir/dir'\n",
        ),
        (
            "mv /tmp/bad/dir /tmp/bad/dir/in",
            "mv: cannot move '/tmp/bad/dir' to a subdirectory of itself, '/tmp/bad/dir/in'\n",
        ),
        ("mv /tmp/bad/a /tmp/bad/dir/x/", "mv: failed to access '/tmp/bad/dir/x/': Not a directory\n"),
        ("mv /tmp/bad/a /etc/a", "mv: cannot create regular file '/etc/a': Read-only file system\n"),
        (
            "mv /etc/motd /etc/motd.old",
            "mv: cannot move '/etc/motd' to '/etc/motd.old': Read-only file system\n",
        ),
        ("cp /tmp/bad/a /etc/a", "cp: cannot create regular file '/etc/a': Read-only file system\n"),
        ("touch /etc/motd", "touch: cannot touch '/etc/motd': Read-only file system\n"),
        ("rmdir /tmp/bad/a", "rmdir: failed to remove '/tmp/bad/a': Not a directory\n"),
        ("rmdir /tmp/bad/nope", "rmdir: failed to remove '/tmp/bad/nope': No such file or directory\n"),
        ("stat /tmp/bad/nope", "stat: cannot statx '/tmp/bad/nope': No such file or directory\n"),
        ("du /tmp/bad/nope", "du: cannot access '/tmp/bad/nope': No such file or directory\n"),
        ("df /tmp/bad/nope", "df: /tmp/bad/nope: No such file or directory\ndf: no file systems processed\n"),
    ]
    for line, message in cases:
        assert machine.run(line) == (1, "", message), line
    for line in (
        "cp -Z a b",
        "mv -Z a b",
        "touch -Z a",
        "rmdir -Z a",
        "stat -Z a",
        "du -Z",
        "df -Z",
        "basename -Z a",
        "dirname -Z a",
    ):
        status, out, err = machine.run(line)
        name = line.split()[0]
        assert (status, out) == (2, ""), line
        assert err.startswith(f"{name}: invalid option -- 'Z'\nusage: {name} "), err
    # Nothing was lost or made.
    assert run_ok(machine, "cat /tmp/bad/a /tmp/bad/dir/x /etc/motd | head -2") == "precious\nx\n"
    assert run_ok(machine, "ls /tmp/bad /tmp/bad/dir") == "/tmp/bad:\na\ndir/\n\n/tmp/bad/dir:\nx\n"
    run_ok(machine, "rm -r /tmp/bad")


def test_a_copy_into_a_full_tmp_stops_with_enospc_and_the_source_survives(machine):
    # 5 MiB of 8: a second copy cannot fit.
    run_ok(machine, "head -c 5M /dev/urandom > /tmp/big; sha256sum /tmp/big > /tmp/big.sum")
    before = tmpfs_used_kib(machine)
    used = int(run_ok(machine, "du -sb /tmp").split()[0])  # the bytes of its files: what the tmpfs counts
    status, out, err = machine.run("cp /tmp/big /tmp/big2")
    assert (status, out, err) == (1, "", "cp: error writing '/tmp/big2': No space left on device\n")
    assert run_ok(machine, "sha256sum -c /tmp/big.sum") == "/tmp/big: OK\n"
    # /tmp is full now; what fit of the copy is there, as with GNU's cp.
    assert tmpfs_used_kib(machine) == TMP_KIB
    assert int(run_ok(machine, "stat -c %s /tmp/big2")) == TMP_KIB * 1024 - used
    run_ok(machine, "rm /tmp/big2")
    assert tmpfs_used_kib(machine) == before
    # A rename needs no room: mv works in a full /tmp.
    status, _, _ = machine.run("head -c 8M /dev/zero > /tmp/fill")
    assert status == 1
    run_ok(machine, "mv /tmp/big /tmp/big.moved; touch /tmp/fill")
    assert (
        run_ok(machine, "cd /tmp; sha256sum big.moved").split()[0]
        == run_ok(machine, "cat /tmp/big.sum").split()[0]
    )
    run_ok(machine, "rm /tmp/big.moved /tmp/big.sum /tmp/fill")
    assert tmpfs_used_kib(machine) == 0


def test_df_shows_the_image_and_the_tmpfs_with_its_size(machine):
    out = run_ok(machine, "df").splitlines()
    assert out[0] == "Filesystem     1K-blocks  Used Available Use% Mounted on"
    image = out[1].split()
    assert image[0] == "image" and image[1] == image[2] and image[3:] == ["0", "100%", "/"]
    assert out[2].split() == ["tmpfs", str(TMP_KIB), "0", str(TMP_KIB), "0%", "/tmp"]
    human = run_ok(machine, "df -hT /tmp").splitlines()
    assert human == [
        "Filesystem     Type   Size  Used Avail Use% Mounted on",
        "tmpfs          tmpfs  8.0M     0  8.0M   0% /tmp",
    ]
    # What du counts of the image is what its files hold: less than the image (ustar headers, padding).
    used_by_files = int(run_ok(machine, "du -sc /bin /etc /lib /kernel").splitlines()[-1].split()[0])
    assert 0 < used_by_files < int(image[1])


def test_basename_dirname_and_the_helps(machine):
    assert (
        run_ok(
            machine, "basename /usr/lib/libc.so .so; basename /tmp/; dirname /usr/lib/libc.so; dirname file"
        )
        == "libc\ntmp\n/usr/lib\n.\n"
    )
    # A script's way: the name of each file in a directory, without its suffix.
    assert run_ok(machine, "basename -s .js /bin/cp.js /bin/mv.js") == "cp\nmv\n"
    for name in ("touch", "cp", "mv", "rmdir", "stat", "du", "df", "basename", "dirname"):
        out = run_ok(machine, f"{name} --help")
        assert out.startswith(f"usage: {name} ") and re.search(
            r"\n  --help +show this help and exit\n$", out
        ), out


@pytest.fixture()
def console(machine):
    yield from console_without_jobs(machine)


def test_cp_and_mv_i_ask_at_the_terminal(machine, console):
    command(console, "echo old > /tmp/i-dst; echo new > /tmp/i-src")
    console.sendline("cp -i /tmp/i-src /tmp/i-dst")
    console.expect_exact("cp: overwrite '/tmp/i-dst'? ")
    console.sendline("n")
    assert command(console, "cat /tmp/i-dst") == "old"
    console.sendline("mv -i /tmp/i-src /tmp/i-dst")
    console.expect_exact("mv: overwrite '/tmp/i-dst'? ")
    console.sendline("y")
    assert (
        command(console, "cat /tmp/i-dst; ls /tmp/i-src")
        == "new\nls: cannot access '/tmp/i-src': No such file or directory"
    )
    command(console, "rm /tmp/i-dst")


def test_links_ln_s_and_ln_through_ls_stat_readlink_cat_cp_and_rm(machine):
    """Issue 12's ln -s: symbolic links (and hard links) in /tmp, seen by the other tools."""
    run_ok(
        machine,
        "mkdir /tmp/ln /tmp/ln/d; cd /tmp/ln; echo hello > f; ln -s f l; ln -s /etc/hostname host;"
        " ln -s nowhere gone; ln f hard; ln -s ../f d/up; ln -s d dl",
    )
    # Followed when read, relative targets from the link's own directory, in every name of a path.
    assert run_ok(machine, "cat /tmp/ln/l /tmp/ln/d/up /tmp/ln/dl/up") == "hello\n" * 3
    assert run_ok(machine, "cat /tmp/ln/host") == run_ok(machine, "cat /etc/hostname")
    assert run_ok(machine, "readlink /tmp/ln/l /tmp/ln/d/up") == "f\n../f\n"
    # ls marks links, and -l shows where they point; a dangling link is listed too.
    assert run_ok(machine, "ls /tmp/ln") == "d/\ndl@\nf\ngone@\nhard\nhost@\nl@\n"
    long = run_ok(machine, "ls -l /tmp/ln").splitlines()
    assert [line.split(" ", 1)[0] for line in long] == [
        "drwxr-xr-x",
        "lrwxrwxrwx",
        "-rw-r--r--",
        "lrwxrwxrwx",
        "-rw-r--r--",
        "lrwxrwxrwx",
        "lrwxrwxrwx",
    ]
    assert long[3].endswith(" gone -> nowhere") and long[5].endswith(" host -> /etc/hostname"), long
    # stat describes the link itself; a hard link is the same inode, two links.
    assert run_ok(machine, "stat -c '%N|%F' /tmp/ln/l") == "/tmp/ln/l -> f|symbolic link\n"
    assert run_ok(machine, "stat -L -c %F /tmp/ln/l") == "regular file\n"
    inode_f, inode_hard = run_ok(machine, "stat -c '%i %h' /tmp/ln/f /tmp/ln/hard").splitlines()
    assert inode_f == inode_hard and inode_f.endswith(" 2")
    run_ok(machine, "echo more >> /tmp/ln/hard")
    assert run_ok(machine, "cat /tmp/ln/f") == "hello\nmore\n"
    # A dangling link: ENOENT to read; writing through it makes its target.
    assert machine.run("cat /tmp/ln/gone") == (1, "", "cat: /tmp/ln/gone: No such file or directory\n")
    run_ok(machine, "echo made > /tmp/ln/gone")
    assert run_ok(machine, "cat /tmp/ln/nowhere") == "made\n"
    # cp copies what a link names.
    run_ok(machine, "cp /tmp/ln/l /tmp/ln/copy")
    assert run_ok(machine, "stat -c %F /tmp/ln/copy; cat /tmp/ln/copy") == "regular file\nhello\nmore\n"
    # A loop is ELOOP; the image is read-only; a hard link cannot cross to it.
    run_ok(machine, "cd /tmp/ln; ln -s b a; ln -s a b")
    status, out, err = machine.run("cat /tmp/ln/a")
    assert (status, err) == (1, "cat: /tmp/ln/a: Too many levels of symbolic links\n")
    assert machine.run("ln -s x /etc/x") == (
        1,
        "",
        "ln: failed to create symbolic link '/etc/x': Read-only file system\n",
    )
    assert machine.run("ln /etc/motd /tmp/ln/m") == (
        1,
        "",
        "ln: failed to create hard link '/tmp/ln/m' => '/etc/motd': Invalid cross-device link\n",
    )
    # rm removes links, never what they name.
    run_ok(machine, "rm /tmp/ln/l /tmp/ln/dl /tmp/ln/a")
    assert run_ok(machine, "cat /tmp/ln/f; ls /tmp/ln/d") == "hello\nmore\nup@\n"
    run_ok(machine, "rm -r /tmp/ln")
