"""Raw disk images: the bytes of the disk, sector 0 first, nothing else.

This is QEMU's "raw" format (`qemu-img create -f raw`, `qemu-img info`
says "file format: raw"), so an image made here boots in QEMU and one made
by QEMU attaches here.  A new image is sparse (ftruncate): a 1 GiB disk
costs the host nothing until it is written.

A new image made for `--disk --disk-size` gets an empty file system
(format_new_image: mkfs, run on the host by host_fs.py); `jsksh disk create
--raw` makes a blank one.

The device (jsksh/machine/virtio/blk.py) reads and writes an image only
through DiskImage: pread, pwrite (the bytes land in the host's page cache,
which is the device's volatile write cache) and sync (fdatasync: what
makes them survive a power cut).

Locking, as QEMU locks its images: an image is one machine's disk, and two
writers corrupt it (two file systems' caches and logs over one set of
blocks).  DiskImage takes an flock(2) on the file when it opens it: "write"
(LOCK_EX) for a machine and for the host tools that change the image,
"read" (LOCK_SH) for those that only read it, so readers share with each
other and with nobody else.  A lock that is held elsewhere is refused at
once (LOCK_NB) with QEMU's words, `Failed to get "write" lock`.  flock
rather than fcntl's POSIX record locks: those belong to the process, so a
second open in the same process (two machines in one test) would not
conflict, and closing any descriptor of the file drops them; flock's belong
to the open file, as Linux's OFD locks (F_OFD_SETLK, what QEMU uses, for
its byte-range permission scheme) do, and unlike those flock exists on
every Unix we run on.  Either way the kernel releases the lock when the
last descriptor closes, so a machine killed with SIGKILL leaves none behind.
(On NFS, Linux emulates flock with a whole-file POSIX lock, which still
excludes other clients.)
"""

from __future__ import annotations

import fcntl
import os
import re

SECTOR = 512  # virtio-blk counts in 512-byte sectors whatever blk_size says (§5.2.4)

_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


class DiskError(Exception):
    """A disk image that cannot be made or used; the message says why and what to do."""


class ImageLocked(DiskError):
    """Another open of the image holds a lock that excludes ours."""


LOCKS = {"write": fcntl.LOCK_EX, "read": fcntl.LOCK_SH}


def locked_message(path: str, lock: str) -> str:
    who = "a running machine or a `jsksh disk` tool" + (" that writes it" if lock == "read" else "")
    return (
        f'{path}: Failed to get {"shared " if lock == "read" else ""}"{lock}" lock: '
        f"is another process using the image? ({who} has it locked; "
        "a machine holds its disk until it powers off)"
    )


def parse_size(text: str) -> int:
    """'64M' -> 67108864 (powers of 1024, as qemu-img's suffixes); a whole number of sectors."""
    m = _SIZE.match(str(text))
    if not m:
        raise DiskError(f"not a size: {text!r} (try 64M, 1G or a number of bytes)")
    size = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if size <= 0:
        raise DiskError(f"a disk of {size} bytes holds nothing")
    if size % SECTOR:
        raise DiskError(f"{text}: {size} bytes is not a multiple of {SECTOR} (a disk is whole sectors)")
    return size


def create_image(path: str, size: int) -> None:
    """A new sparse raw image of `size` bytes; refuses to touch an existing file."""
    if size <= 0 or size % SECTOR:
        raise DiskError(f"{size} bytes is not a positive multiple of {SECTOR}")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise DiskError(f"{path} exists; remove it first or attach it as it is") from None
    except OSError as e:
        raise DiskError(f"cannot create {path}: {e.strerror}") from None
    try:
        os.ftruncate(fd, size)
    except OSError as e:
        os.close(fd)
        os.unlink(path)
        raise DiskError(f"cannot make {path} {size} bytes long: {e.strerror}") from None
    os.close(fd)


class DiskImage:
    """An open raw image.  Its size is fixed while open: sectors = size // 512.

    `lock`: "write" (exclusive: a machine, a tool that changes the image),
    "read" (shared with other readers), or None (tests that build images).
    """

    def __init__(self, path: str, lock: str | None = "write"):
        self.path = path
        self.lock = lock
        try:
            self.fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            raise DiskError(
                f"{path}: no such disk image (make one with `jsksh disk create {path} 64M`, "
                "or give --disk-size)"
            ) from None
        except OSError as e:
            raise DiskError(f"cannot open {path}: {e.strerror}") from None
        if lock is not None:
            try:
                fcntl.flock(self.fd, LOCKS[lock] | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(self.fd)
                raise ImageLocked(locked_message(path, lock)) from None
            except OSError as e:
                os.close(self.fd)
                raise DiskError(f"cannot lock {path}: {e.strerror}") from None
        size = os.fstat(self.fd).st_size
        if size == 0 or size % SECTOR:
            os.close(self.fd)
            raise DiskError(f"{path}: {size} bytes is not a whole, non-zero number of {SECTOR}-byte sectors")
        self.size = size
        self.syncs = 0  # fdatasync calls: what the tests check a FLUSH reached

    @property
    def sectors(self) -> int:
        return self.size // SECTOR

    def read(self, offset: int, length: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if len(data) < length:  # a file shortened under us reads as zeros past its end
            data += bytes(length - len(data))
        return data

    def write(self, offset: int, data) -> None:
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, offset)
            view, offset = view[n:], offset + n

    def sync(self) -> None:
        """Make every write before now durable: the FLUSH command's job (§5.2.6.1)."""
        os.fdatasync(self.fd)
        self.syncs += 1

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def open_disk(path: str, create_size: str | int | None = None, *, make_fs: bool = True) -> DiskImage:
    """The image at `path`, made first (sparse) if it is missing and `create_size` is given,
    with an empty file system on it unless `make_fs` is False (an existing image is left as it is)."""
    if create_size is not None:
        size = create_size if isinstance(create_size, int) else parse_size(create_size)  # checked either way
        if not os.path.exists(path):
            create_image(path, size)
            if make_fs:
                format_new_image(path)
    return DiskImage(path)


def format_new_image(path: str) -> dict:
    """mkfs on an image just made ({blocks, inodes, ...}); one too small for a file system is removed again."""
    from jsksh.disk.host_fs import ToolError, mkfs_image  # a V8 isolate: only when one is made

    try:
        return mkfs_image(path)
    except ToolError as e:
        os.unlink(path)
        raise DiskError(f"{path}: {e} (--raw makes a blank image of any size)") from None
