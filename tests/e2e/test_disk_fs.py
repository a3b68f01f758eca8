"""The disk's file system, mounted, end to end: `jsksh --disk` with a raw
image, `mkfs /dev/vda`, files written with the shell's tools on /home, and
then poweroff, reboot and a new `jsksh --disk` on the same image finding
them; what a clean and an unclean stop leave; fsync reaching the device; a
full disk, injected I/O errors and a corrupt superblock; and the shell's
history, the invoker's scripts and the kv service kept on the disk.

Each machine is a `jsksh boot` process (tests/e2e/machine.py); the image is
a file in a temporary directory, which Python also reads and damages.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import time

from jsksh.client.runner import run_line
from jsksh.disk.image import create_image
from tests.e2e.machine import ENV, JSKSH, BootedMachine, command

MIB = 1 << 20


def boot(image, *extra: str) -> BootedMachine:
    return BootedMachine("--net", "none", "--disk", str(image), *extra)


def ok(m: BootedMachine, line: str, timeout: float = 30) -> str:
    status, out, err = m.run(line, timeout=timeout)
    assert status == 0, f"{line!r}: status {status}\nstdout: {out}\nstderr: {err}"
    return out


def stop_with(m: BootedMachine, line: str) -> None:
    """`poweroff` or `reboot`, as `jsksh run --attach` says them: the run ends
    with status 0 when the machine powers off (the port closes) or reboots
    (the kernel's `reboot: Restarting system` reaches every client)."""
    with m.socket(m.control_path) as s:
        s.settimeout(15)
        status = run_line(s, line, out=io.BytesIO(), err=io.BytesIO(), ended=lambda: 0)
    assert status == 0, f"{line}: status {status}"


def poweroff(m: BootedMachine) -> None:
    """`poweroff`: the disk unmounted, the machine gone with status 0."""
    stop_with(m, "poweroff")
    assert m.wait(20) == 0


def after_reboot(m: BootedMachine, timeout: float = 20) -> None:
    """Wait until the rebooted machine answers on its control port again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if m.run("echo up", timeout=min(5, timeout))[1] == "up\n":
                return
        except (AssertionError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer after reboot\n{m.output()}")
        time.sleep(0.1)


def fresh(tmp_path, size=4 * MIB, name="vda.img"):
    """A new image, booted, mkfs'd and mounted at /home."""
    image = tmp_path / name
    create_image(str(image), size)
    m = boot(image)
    try:
        ok(m, "mkfs -q /dev/vda && mount /dev/vda")
    except BaseException:
        m.stop()
        raise
    m.image = image
    return m


SNAPSHOT = "ls -l /home /home/dir; sha256sum /home/a.txt /home/seq.txt /home/dir/motd; readlink /home/link; stat -c '%s %a %n' /home/a.txt /home/seq.txt"


def test_files_survive_poweroff_a_new_jsksh_reboot_and_an_unclean_stop(tmp_path):
    image = tmp_path / "vda.img"
    create_image(str(image), 4 * MIB)
    with boot(image) as m:
        out = ok(m, "dmesg; mount")
        assert "vda: no file system (mkfs /dev/vda to make one)" in out
        assert "on /home" not in out  # nothing mounted: no file system yet
        out = ok(m, "mkfs /dev/vda; mount /dev/vda; mount; df")
        assert "/dev/vda: jsksh-fs, 1024 blocks of 4 KiB (4 MiB)" in out
        assert "/dev/vda on /home type jsksh-fs (rw)" in out
        assert re.search(r"^/dev/vda\s+4096\s+\d+\s+\d+\s+\d+% /home$", out, re.M), out
        ok(
            m,
            "echo hello > /home/a.txt; echo more >> /home/a.txt; seq 1 20000 > /home/seq.txt; "
            "mkdir /home/dir; cp /etc/motd /home/dir/motd; ln -s /etc/motd /home/link; "
            "echo gone > /home/gone; rm /home/gone; echo old > /home/old; mv /home/old /home/dir/moved",
        )
        assert ok(
            m, "cat /home/a.txt; wc -l < /home/seq.txt; head -1 /home/link"
        ) == "hello\nmore\n20000\n" + ok(m, "head -1 /etc/motd")
        before = ok(m, SNAPSHOT)
        assert "11 644 /home/a.txt" in before and "108894 644 /home/seq.txt" in before
        assert ok(m, "du -s /home").split()[1] == "/home"
        ok(m, "sync")
        poweroff(m)

    with boot(image) as m:  # a new jsksh on the same image
        out = ok(m, "dmesg")
        assert "jsksh-fs (vda): mounted at /home, 4 MiB\n" in out  # a clean stop: nothing to replay
        assert ok(m, SNAPSHOT) == before
        ok(m, "echo unclean > /home/u.txt; sync")
        m.proc.kill()  # SIGKILL: no unmount, as a power cut after the sync
        m.proc.wait(10)

    # SIGTERM is the power button: the kernel unmounts, nothing to replay, nothing lost.
    with boot(image) as m:
        out = ok(m, "dmesg | grep jsksh-fs")
        assert re.search(r"mounted at /home, 4 MiB, replayed \d+ blocks from the log", out), out  # the kill's
        ok(m, "echo no sync > /home/t.txt")
    assert m.proc.returncode == 143  # stopped with SIGTERM as the block ended

    with boot(image) as m:
        out = ok(m, "dmesg | grep jsksh-fs; cat /home/u.txt /home/t.txt")
        assert "mounted at /home, 4 MiB\n" in out, out  # the SIGTERM before unmounted
        assert out.endswith("unclean\nno sync\n")
        ok(m, "umount /home")
        assert ok(m, "fsck /dev/vda") == "/dev/vda: clean\n"


def test_reboot_unmounts_cleanly_and_finds_the_files(tmp_path):
    with fresh(tmp_path) as m:
        ok(m, "echo after a reboot > /home/r.txt")
        stop_with(m, "reboot")
        after_reboot(m)
        out = ok(m, "dmesg | grep jsksh-fs; cat /home/r.txt", timeout=5)
        assert "mounted at /home, 4 MiB\n" in out and "after a reboot\n" in out and "replayed" not in out


def test_posix_rules_on_home_fsync_and_the_mount_apps(tmp_path):
    with fresh(tmp_path) as m:
        # rename is atomic and replaces its target
        assert (
            ok(m, "echo new > /home/n; echo old > /home/o; mv /home/n /home/o; cat /home/o; ls /home")
            == "new\nlost+found/\no\n"
        )
        # across file systems: EXDEV for a hard link; mv copies, then removes (GNU's mv)
        status, _, err = m.run("echo t > /tmp/t; ln /tmp/t /home/t")
        assert status == 1 and "Invalid cross-device link" in err
        ok(m, "mkdir -p /tmp/d/e; echo deep > /tmp/d/e/f; mv /tmp/t /tmp/d /home/")
        assert ok(m, "cat /home/t /home/d/e/f; ls /tmp") == "t\ndeep\n"
        ok(
            m, "mkdir -p /home/x/y; echo z > /home/x/y/z; rm -r /home/x"
        )  # rmdir for a directory: unlink is EISDIR
        ok(m, "mv /home/d /tmp/back")
        assert ok(m, "cat /tmp/back/e/f; ls /home") == "deep\nlost+found/\no\nt\n"
        # fsync of a file, and of an open handle, reach the device as a FLUSH
        ok(m, "echo durable > /home/f")
        mark = len(ok(m, "blktrace").splitlines())
        rows = [r.split() for r in ok(m, "sync /home/f; blktrace").splitlines()[1:]]
        # the commit: the log's blocks, a FLUSH, its header, a FLUSH (then the blocks at home)
        assert [r[1] for r in rows[-(len(rows) - mark + 1) :]].count("flush") >= 2 or [
            r[1] for r in rows
        ].count("flush") >= 2
        ok(
            m,
            'eval \'const f = await sys.fs.open("/home/g", "w"); await f.write("abc"); await f.fsync(); await f.close()\'',
        )
        rows = [r.split() for r in ok(m, "blktrace").splitlines()[1:]]
        assert "flush" in [r[1] for r in rows[-8:]]
        # an unlinked open file stays readable until it is closed; umount is EBUSY meanwhile
        out = ok(
            m,
            'eval \'const f = await sys.fs.open("/home/o"); await sys.fs.unlink("/home/o");'
            ' let busy = ""; try { await sys.fs.umount("/home") } catch (e) { busy = e.code }'
            " const b = await f.read(100); await f.close();"
            ' sys.print(busy, String.fromCharCode(...b).trim(), (await sys.fs.readdir("/home")).map((e) => e.name).join(","))\'',
        )
        assert out.split("\n")[0] == "EBUSY new f,g,lost+found,t"
        # the disk's tools refuse a mounted disk
        status, _, err = m.run("mkfs /dev/vda")
        assert status == 1 and "umount /home first" in err
        status, _, err = m.run("fsck /dev/vda")
        assert status == 8 and "umount /home first" in err
        assert (
            ok(m, "umount /home; ls /home; mount")
            == "image on / type ustar (ro)\ntmpfs on /tmp type tmpfs (rw,size=65536k)\n"
        )
        assert ok(m, "fsck /dev/vda") == "/dev/vda: clean\n"
        assert ok(m, "mount /dev/vda; cat /home/f /home/g; echo") == "durable\nabc\n"
        # a program and a script stored on the disk run
        ok(m, "echo 'echo script says $1' > /home/x.sh")
        assert ok(m, "sh /home/x.sh hi") == "script says hi\n"
        ok(
            m,
            'eval \'await sys.fs.writeFile("/home/hello.js", "module.exports = async (argv) => { sys.print(\\"app on the disk\\", argv[1]); return 0; };")\'',
        )
        assert ok(m, "/home/hello.js x; cd /home && ./hello.js y") == "app on the disk x\napp on the disk y\n"
        assert "No such file" in m.run("cat < /home/missing")[2]


def test_a_full_disk_says_no_space_and_keeps_what_was_written(tmp_path):
    with fresh(tmp_path, size=2 * MIB) as m:
        ok(m, "echo precious > /home/keep")
        # 4.5 MB of text (blocks of zeros would be holes and take no room), by
        # dd, whose close reports what the disk refused after its writes returned
        status, _, err = m.run("seq 1 700000 > /tmp/s; dd if=/tmp/s of=/home/big bs=64k")
        assert status == 1 and "No space left on device" in err, err
        size = int(ok(m, "stat -c %s /home/big"))
        assert 1 * MIB < size < 2 * MIB
        assert ok(m, "cat /home/keep") == "precious\n"
        ok(m, "rm /home/big; echo room again > /home/more; umount /home")
        assert ok(m, "fsck /dev/vda") == "/dev/vda: clean\n"


def test_a_full_disk_refuses_a_redirection_at_write_and_the_writer_says_so(tmp_path):
    """A redirection's bytes reach the disk through a pipe and the kernel's
    sink; the sink reserves their blocks as it takes them, so a full disk
    refuses them at once, as ext4 refuses write(2), and the writer hears
    ENOSPC and exits 1: through `>`, `>>`, cp and sys.fs.open alike."""
    with fresh(tmp_path, size=2 * MIB) as m:
        ok(m, "echo precious > /home/keep; touch /home/later; seq 1 700000 > /tmp/s")
        df_empty = ok(m, "df /home")
        assert m.run("seq 1 700000 > /home/f") == (1, "", "seq: write error: No space left on device\n")
        size = int(ok(m, "stat -c %s /home/f"))
        assert 1 * MIB < size < 2 * MIB
        far, near = ok(m, f"head -c {size} /tmp/s | sha256sum; sha256sum < /home/f").splitlines()
        assert far == near, "the bytes before the refused write are not intact"
        assert ok(m, "df /home").splitlines()[1].split()[3:] == ["0", "100%", "/home"]
        # a write that fits in the pipe's window: refused before seq exits
        assert m.run("seq 1 3 >> /home/later") == (1, "", "seq: write error: No space left on device\n")
        assert ok(m, "stat -c %s /home/later; cat /home/keep") == "0\nprecious\n"
        ok(m, "rm /home/f")
        assert ok(m, "df /home") == df_empty, "rm did not give the space back"
        # cp, through sys.fs.open: the same refusal, and what fit is a prefix
        assert m.run("cp /tmp/s /home/c") == (1, "", "cp: error writing '/home/c': No space left on device\n")
        size = int(ok(m, "stat -c %s /home/c"))
        far, near = ok(m, f"head -c {size} /tmp/s | sha256sum; sha256sum < /home/c").splitlines()
        assert far == near and size > 1 * MIB
        ok(m, "rm /home/c")
        # sys.fs.open(...).write: a write fails, before close does
        script = (
            'const f = await sys.fs.open("/home/o", "w"); const b = new Uint8Array(65536).fill(65); let n = 0;'
            " try { for (;;) { await f.write(b); n++; } } catch (e) { sys.print(e.code, e.message, n > 16); }"
            ' await f.close().catch((e) => sys.print("close", e.code));'
        )
        out = ok(m, f"eval '{script}'")
        assert out.startswith("ENOSPC write error: No space left on device true\nclose ENOSPC\n"), out
        assert ok(m, "df /home").splitlines()[1].split()[3:] == ["0", "100%", "/home"]
        ok(m, "rm /home/o")
        assert ok(m, "df /home") == df_empty
        ok(m, "echo room again > /home/more; umount /home")
        assert ok(m, "fsck /dev/vda") == "/dev/vda: clean\n"


def test_chmod_on_tmp_and_home_and_the_mode_outlives_the_machine(tmp_path):
    """chmod(2) through the log on /home (kept as every operation there is),
    in memory on /tmp, EROFS on the image; the modes a new jsksh on the same
    image finds, and the host's `jsksh disk ls -l` prints."""
    with fresh(tmp_path) as m:
        image = m.image
        assert ok(m, "echo t > /tmp/t; chmod 600 /tmp/t; chmod +t /tmp/t; stat -c %a /tmp/t") == "1600\n"
        ok(
            m,
            "echo s > /home/s.sh; mkdir /home/d; echo f > /home/d/f; chmod u+x,o-r /home/s.sh; chmod -R go-rwx /home/d",
        )
        ok(m, "ln -s d/f /home/l; chmod 640 /home/l; chmod g+w,o=t /home/d")
        modes = "stat -c '%a %n' /home/s.sh /home/d /home/d/f"
        assert ok(m, modes) == "740 /home/s.sh\n1720 /home/d\n640 /home/d/f\n"
        assert m.run("chmod 644 /etc/motd") == (
            1,
            "",
            "chmod: changing permissions of '/etc/motd': Read-only file system\n",
        )
        assert m.run("chmod 644 /home/nope") == (
            1,
            "",
            "chmod: cannot access '/home/nope': No such file or directory\n",
        )
        status, _, err = m.run("chmod a+q /home/s.sh")
        assert status == 1 and err.startswith("chmod: invalid mode: 'a+q'\n"), err
        poweroff(m)
    with boot(image) as m:
        assert ok(m, modes) == "740 /home/s.sh\n1720 /home/d\n640 /home/d/f\n"
    listing = subprocess.run(
        [*JSKSH, "disk", "ls", str(image), "/", "-l"], env=ENV, capture_output=True, text=True, check=True
    )
    lines = {line.split()[-1]: line.split()[0] for line in listing.stdout.splitlines()}
    assert (lines["s.sh"], lines["d"]) == ("-rwxr-----", "drwx-w---T"), listing.stdout


def test_io_errors_reach_the_app_as_eio_and_the_disk_stays_consistent(tmp_path):
    with fresh(tmp_path) as m:
        image = m.image
        ok(m, "echo before > /home/before; sync")
        poweroff(m)
    # Blocks 200-212 fail to write: a 1 MiB file's blocks cover them.
    with boot(image, "--disk-errors", "sectors=1600-1700,ops=out") as m:
        status, _, err = m.run("dd if=/dev/zero of=/home/big bs=64k count=16")
        assert status == 1 and "Input/output error" in err, err
        assert m.run("echo alive") == (0, "alive\n", "")
    with boot(image) as m:
        out = ok(m, "dmesg | grep jsksh-fs; cat /home/before")
        assert "mounted at /home" in out and out.endswith("before\n")
        ok(m, "umount /home")
        assert ok(m, "fsck /dev/vda") == "/dev/vda: clean\n"


def test_a_corrupt_superblock_is_refused_at_boot_with_a_hint_and_fsck_repairs_it(tmp_path):
    with fresh(tmp_path) as m:
        image = m.image
        ok(m, "echo survivor > /home/s")
        poweroff(m)
    with open(image, "r+b") as f:
        f.seek(16)
        f.write(b"\xff\xff")  # the block count: the checksum no longer matches
    with boot(image) as m:
        out = ok(m, "dmesg")
        assert (
            "jsksh-fs (vda): cannot mount: superblock checksum mismatch (block 0 is corrupt); run fsck" in out
        )
        assert "fsck -r /dev/vda" in out
        assert m.run("echo alive; mount | grep -c vda") == (1, "alive\n0\n", "")
        status, out, _ = m.run("fsck /dev/vda")
        assert status == 4 and "problem" in out
        status, out, _ = m.run("fsck -r /dev/vda")
        assert status == 1 and "repaired" in out
        assert ok(m, "mount /dev/vda; cat /home/s") == "survivor\n"


def test_history_invoker_scripts_and_kv_keys_survive_a_poweroff(tmp_path):
    with fresh(tmp_path) as m:
        image = m.image
        console = m.attach()
        command(console, "echo remembered line")
        console.close()
        ok(
            m,
            'svc start kv; eval \'const kv = await sys.services.connect("kv"); await kv.put("colour", {name: "teal"})\'',
        )
        ok(
            m,
            "svc start invoker; sleep 0.3; echo 'export default { fetch: () => new Response(\"hi\") }' > /tmp/w.js; worker deploy hello /tmp/w.js",
        )
        scripts = ok(m, "ls /home/invoker/scripts")
        assert scripts.strip().endswith(".js")
        poweroff(m)
    with boot(image) as m:  # a new jsksh on the image
        assert "remembered line" in ok(m, "cat /home/.sh_history")
        console = m.attach()
        assert "echo remembered line" in command(console, "history")
        console.close()
        out = ok(
            m,
            'svc start kv; eval \'const kv = await sys.services.connect("kv"); sys.print(JSON.stringify(await kv.get("colour")))\'',
        )
        assert json.loads(next(line for line in out.splitlines() if line.startswith("{"))) == {"name": "teal"}
        assert ok(m, "ls /home/invoker/scripts") == scripts


def test_without_a_disk_home_is_not_there_and_the_tools_say_so():
    with BootedMachine("--net", "none") as m:
        assert ok(m, "mount; ls /").count("home") == 0
        status, _, err = m.run("mkfs /dev/vda")
        assert status == 1 and "no such disk" in err
        assert ok(m, "sync; echo synced") == "synced\n"


def test_a_jsksh_run_line_keeps_what_it_wrote_on_the_disk(tmp_path):
    # When the line is done, jsksh run presses the power button: the kernel
    # unmounts the disk before the power goes, and nothing waits for the
    # 5 s commit (the power cord lost the file).
    image = str(tmp_path / "home.img")
    run = subprocess.run(
        [*JSKSH, "--net", "none", "--disk", image, "--disk-size", "16M", "run", "echo kept > /home/note"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert (run.returncode, run.stderr) == (0, "")
    cat = subprocess.run(
        [*JSKSH, "disk", "cat", image, "/note"], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert (cat.returncode, cat.stdout) == (0, "kept\n"), cat.stderr


# A file larger than the block cache (16 MiB), written by an app in 1 MiB
# pieces: block k of it holds (7k) & 255, with k in its first two bytes, so
# a block read from the wrong place changes the digest; then 12,345 bytes of 9.
BIG_BLOCKS = 24 * 256
WRITE_BIG = (
    'eval \'const f = await sys.fs.open("/home/big", "w"); const b = new Uint8Array(1 << 20);'
    " for (let m = 0; m < 24; m++) { for (let i = 0; i < 256; i++) { const k = m * 256 + i;"
    " b.fill((k * 7) & 255, i * 4096, (i + 1) * 4096); b[i * 4096] = k & 255; b[i * 4096 + 1] = k >> 8; }"
    " await f.write(b); } await f.write(new Uint8Array(12345).fill(9)); await f.close()'"
)


def big_file() -> bytes:
    out = bytearray()
    for k in range(BIG_BLOCKS):
        block = bytearray([(k * 7) & 255]) * 4096
        block[0], block[1] = k & 255, k >> 8
        out += block
    return bytes(out + bytes([9]) * 12345)


def test_a_file_larger_than_the_cache_reads_back_byte_for_byte_sequentially_in_part_and_cold(tmp_path):
    """Read-ahead (docs/disk.md, "Reading a file"): what an app wrote reads back
    whole through the read pump, in part (head stops the read mid-window), and
    after a reboot with a cold cache; and the image holds it, by the host's tools."""
    data = big_file()
    whole = hashlib.sha256(data).hexdigest()
    part = hashlib.sha256(data[:5_000_000]).hexdigest()
    with fresh(tmp_path, size=64 * MIB) as m:
        ok(m, WRITE_BIG, timeout=120)
        out = ok(
            m,
            "sha256sum /home/big; cat /home/big | sha256sum; head -c 5000000 /home/big | sha256sum",
            timeout=120,
        )
        assert out.split() == [whole, "/home/big", whole, "-", part, "-"], out
        stop_with(m, "reboot")
        after_reboot(m)
        assert ok(m, "sha256sum /home/big", timeout=120).split() == [whole, "/home/big"]
        poweroff(m)
    image = str(m.image)
    fsck = subprocess.run(
        [*JSKSH, "disk", "fsck", image], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    got = subprocess.run([*JSKSH, "disk", "cat", image, "/big"], capture_output=True, timeout=120, env=ENV)
    assert got.returncode == 0 and hashlib.sha256(got.stdout).hexdigest() == whole
