"""`jsksh disk`: the host's tools for the machine's disk images, without booting.

    jsksh disk create FILE SIZE [--raw]    a new sparse raw image with an empty file system (--raw: blank)
    jsksh disk mkfs IMAGE [--force]        an empty file system on an image (--force: over one)
    jsksh disk ls IMAGE [PATH] [-l]        the names in a directory (PATH's details for a file)
    jsksh disk cat IMAGE PATH              a file's bytes on stdout
    jsksh disk get IMAGE PATH LOCAL        a file's bytes into a local file (- for stdout)
    jsksh disk put IMAGE LOCAL PATH        create or replace PATH with a local file (- for stdin)
    jsksh disk mkdir IMAGE PATH            a new directory
    jsksh disk rm IMAGE PATH               remove a file, a symbolic link or an empty directory
    jsksh disk fsck IMAGE [--repair]       check the file system; repair what can be

Like mtools or debugfs, they work on an image that no machine is using, and
they make sure of it as QEMU does: a machine holds an exclusive lock on its
image while it runs (image.py), the tools that change an image (mkfs, put,
mkdir, rm, fsck --repair) take the same lock, and those that read it (ls,
cat, get, fsck) a shared one.  A tool that cannot have its lock fails at
once, naming the image: `Failed to get "write" lock: is another process
using the image?` (status 1; fsck's 8).  There is no override: a reader
would mount the file system under the running machine, and mount may
replay the log into the image.
PATHs are absolute within the image's file system, whose root the guest
mounts at /home: `/notes.txt` here is `/home/notes.txt` there.  The tools
run the kernel's own file system code (kernel/fs/disk/) in a V8 isolate on
the host (host_fs.py); put fsyncs and unmounts cleanly, as umount would.

Exit status: 0 done; 1 failed (no such image or path, no file system, a
damaged one, the image could not be made); 2 bad input (a size that is not
one).  fsck, roughly as e2fsck's: 0 clean; 1 problems found (with --repair:
found and all repaired); 4 problems --repair could not repair; 8 fsck could
not run (no image, an I/O error).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time

from jsksh.disk.image import DiskError, DiskImage, create_image, format_new_image, parse_size

USAGE_ERROR = 2
FSCK_CLEAN, FSCK_FOUND, FSCK_UNREPAIRED, FSCK_FAILED = 0, 1, 4, 8
ROOT_NOTE = "PATH is absolute in the image's file system; the guest mounts its root at /home"
TOOLS = "create, mkfs, ls, cat, get, put, mkdir, rm, fsck"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        f"Disk images for --disk, and their files without booting. {ROOT_NOTE}. "
        "An image a running machine has attached is locked: these tools refuse it "
        '(Failed to get "write" lock) until the machine powers off.'
    )
    sub = parser.add_subparsers(dest="disk_command", metavar="{" + TOOLS.replace(" ", "") + "}")
    sub.required = True
    p = sub.add_parser("create", help="make a raw disk image (sparse) with an empty file system")
    p.add_argument("file", metavar="FILE")
    p.add_argument("size", metavar="SIZE", help="64M, 1G, 512k or bytes: a multiple of 512")
    p.add_argument("--raw", action="store_true", help="leave it blank: no file system")
    p = sub.add_parser("mkfs", help="make an empty file system on an image (everything on it is lost)")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("-f", "--force", action="store_true", help="even over a file system that is there")
    p = sub.add_parser("ls", help="list a directory of the image", description=ROOT_NOTE + ".")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("path", metavar="PATH", nargs="?", default="/")
    p.add_argument("-l", dest="long", action="store_true", help="type, mode, links, size, time")
    p = sub.add_parser("cat", help="write a file of the image on stdout", description=ROOT_NOTE + ".")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("path", metavar="PATH")
    p = sub.add_parser("get", help="copy a file out of the image", description=ROOT_NOTE + ".")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("path", metavar="PATH")
    p.add_argument("local", metavar="LOCAL", help="a file on the host, or - for stdout")
    p = sub.add_parser(
        "put", help="copy a file into the image (creates or replaces)", description=ROOT_NOTE + "."
    )
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("local", metavar="LOCAL", help="a file on the host, or - for stdin")
    p.add_argument("path", metavar="PATH", help="the file in the image, or a directory to put it in")
    p = sub.add_parser("mkdir", help="make a directory in the image", description=ROOT_NOTE + ".")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("path", metavar="PATH")
    p = sub.add_parser("rm", help="remove a file or an empty directory", description=ROOT_NOTE + ".")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("path", metavar="PATH")
    p = sub.add_parser(
        "fsck",
        help="check the image's file system (exit 0 clean, 1 problems, 4 not repairable, 8 could not run)",
    )
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--repair", action="store_true", help="repair what can be (writes to the image)")


def run(args) -> int:
    return {
        "create": create,
        "mkfs": mkfs,
        "ls": ls,
        "cat": cat,
        "get": get,
        "put": put,
        "mkdir": mkdir,
        "rm": rm,
        "fsck": fsck,
    }[args.disk_command](args)


def say(args, text: str) -> None:
    print(f"jsksh disk {args.disk_command}: {text}", file=sys.stderr)


# -- making images ------------------------------------------------------------------


def create(args) -> int:
    try:
        size = parse_size(args.size)
    except DiskError as e:
        say(args, str(e))
        return USAGE_ERROR
    what = "raw, blank"
    try:
        create_image(args.file, size)
        if not args.raw:
            info = format_new_image(args.file)
            what = f"raw, a file system of {info['blocks']} blocks and {info['inodes'] - 1} inodes"
    except DiskError as e:
        say(args, str(e))
        return 1
    say(args, f"{args.file}: {size} bytes, {size // 512} sectors ({what})")
    return 0


def mkfs(args) -> int:
    from jsksh.disk.host_fs import ToolError, has_file_system

    image = _open(args)
    if image is None:
        return 1
    try:
        if has_file_system(image) and not args.force:
            say(args, f"{args.image} has a file system; --force to replace it (and lose its files)")
            return 1
        info = _run(args, image, "mkfs")
    except ToolError as e:
        say(args, f"{args.image}: {_plain(e)}")
        return 1
    finally:
        image.close()
    say(args, f"{args.image}: {info['blocks']} blocks of 4 KiB, {info['inodes'] - 1} inodes")
    return 0


# -- the file system's tools --------------------------------------------------------


def ls(args) -> int:
    ok, listing = _tool(args, "ls", path=args.path)
    if not ok:
        return 1
    out = sys.stdout
    for e in listing["entries"]:
        if not args.long:
            out.write(e["name"] + "\n")
            continue
        kind = {"dir": stat.S_IFDIR, "symlink": stat.S_IFLNK}.get(e["type"], stat.S_IFREG)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e["mtime"]))
        name = e["name"] + (f" -> {e['target']}" if "target" in e else "")
        out.write(f"{stat.filemode(kind | e['mode'])} {e['nlink']:>3} {e['size']:>10} {when} {name}\n")
    return 0


def cat(args) -> int:
    return _copy_out(args, sys.stdout.buffer)


def get(args) -> int:
    if args.local == "-":
        return _copy_out(args, sys.stdout.buffer)
    # Into a new file beside LOCAL, renamed over it once whole: a failed get leaves LOCAL as it was.
    part = f"{args.local}.jsksh-get"
    try:
        sink = open(part, "wb")  # noqa: SIM115 - closed below
    except OSError as e:
        say(args, f"{args.local}: {e.strerror}")
        return 1
    with sink:
        status = _copy_out(args, sink)
    if status:
        os.unlink(part)
    else:
        os.replace(part, args.local)
    return status


def put(args) -> int:
    if args.local == "-":
        source, mode = sys.stdin.buffer, 0o644
    else:
        try:
            source = open(args.local, "rb")  # noqa: SIM115 - closed below
            mode = stat.S_IMODE(os.fstat(source.fileno()).st_mode) & 0o777
        except OSError as e:
            say(args, f"{args.local}: {e.strerror}")
            return 1
    name = os.path.basename(args.local) if args.local != "-" else None
    try:
        ok, _ = _tool(args, "put", source=source, path=args.path, name=name, mode=mode)
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    return 0 if ok else 1


def mkdir(args) -> int:
    ok, _ = _tool(args, "mkdir", path=args.path, mode=0o755)
    return 0 if ok else 1


def rm(args) -> int:
    ok, _ = _tool(args, "rm", path=args.path)
    return 0 if ok else 1


def fsck(args) -> int:
    from jsksh.disk.host_fs import ToolError

    image = _open(args)
    if image is None:
        return FSCK_FAILED
    try:
        report = _run(args, image, "fsck", repair=args.repair)
    except ToolError as e:
        say(args, f"{args.image}: {_plain(e)}")
        return FSCK_FAILED
    finally:
        image.close()
    out = sys.stdout
    for note in report["notes"]:
        out.write(f"note: {note}\n")
    if report["clean"]:
        out.write(f"{args.image}: clean\n")
        return FSCK_CLEAN
    if not args.repair:
        for text in report["problems"]:
            out.write(f"problem: {text}\n")
        out.write(f"{args.image}: {_count(report['problems'], 'problem')} (--repair repairs what it can)\n")
        return FSCK_FOUND
    for text in report["repaired"]:
        out.write(f"repaired: {text}\n")
    for text in report["unrepaired"]:
        out.write(f"not repaired: {text}\n")
    if report["unrepaired"]:
        out.write(f"{args.image}: {_count(report['unrepaired'], 'problem')} could not be repaired\n")
        return FSCK_UNREPAIRED
    out.write(f"{args.image}: {_count(report['repaired'], 'problem')} repaired\n")
    return FSCK_FOUND


# -- helpers ------------------------------------------------------------------------


# The tools that only read an image share it with each other (a shared lock);
# the others must have it to themselves, as a machine has its disk.
READERS = ("ls", "cat", "get")


def _lock(args) -> str:
    reads = args.disk_command in READERS or (args.disk_command == "fsck" and not args.repair)
    return "read" if reads else "write"


def _open(args) -> DiskImage | None:
    """The image, locked for the tool, or None after saying why not (one line)."""
    path = args.image
    if not os.path.exists(path):
        say(args, f"{path}: no such disk image (`jsksh disk create {path} 64M` makes one)")
        return None
    try:
        return DiskImage(path, lock=_lock(args))
    except DiskError as e:
        say(args, str(e))
        return None


def _run(args, image: DiskImage, tool: str, source=None, sink=None, **kw):
    from jsksh.disk.host_fs import ImageFileSystem

    with ImageFileSystem(image) as fs:
        fs.source, fs.sink = source, sink
        return fs.run(tool, **kw)


def _tool(args, tool: str, source=None, sink=None, **kw) -> tuple[bool, object]:
    """Run a tool that needs a mounted file system: (True, its value), or
    (False, None) after one line on stderr."""
    from jsksh.disk.host_fs import ToolError, looks_blank

    image = _open(args)
    if image is None:
        return False, None
    try:
        return True, _run(args, image, tool, source, sink, **kw)
    except ToolError as e:
        if e.code == "EPIPE":
            return True, None  # `jsksh disk cat ... | head`: the reader had enough
        if looks_blank(image):
            say(args, f"{args.image}: no file system (`jsksh disk mkfs {args.image}` makes one)")
        elif "run fsck" in str(e):
            say(args, f"{args.image}: {_plain(e)} (run `jsksh disk fsck {args.image}`)")
        else:
            say(args, _plain(e))
        return False, None
    finally:
        image.close()


def _copy_out(args, sink) -> int:
    ok, _ = _tool(args, "cat", sink=sink, path=args.path)
    try:
        sink.flush()
    except BrokenPipeError:
        pass
    return 0 if ok else 1


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def _plain(e: Exception) -> str:
    """The library's message without its own prefix and hint (we give ours)."""
    text = str(e)
    if text.startswith("disk: "):
        text = text[len("disk: ") :]
    for tail in ("; run fsck", ", run fsck"):
        if text.endswith(tail):
            text = text[: -len(tail)]
    return text
