"""The disk's file system on the host: the kernel's own JavaScript over an image file.

`jsksh disk ls|cat|get|put|mkdir|rm|fsck|mkfs` (command.py) do not
reimplement the format: they run kernel/fs/disk/*.js and kernel/lib/*.js,
the files the guest loads, in a V8 isolate of their own (jsksh/native/v8.py),
with jsksh/disk/host-tools.js as the glue.  The kernel's loader
(kernel/loader.js) gives them `require` over a table of those sources, read
from the tree the boot image is built from (jsksh/image.py's ROOT: beside
the package in a checkout, jsksh/tree/ in a wheel).

The device is the image (image.py's DiskImage): the JavaScript device's
read, write and flush are traps into `_trap` here, which does os.pread,
os.pwrite and os.fdatasync on the isolate's thread while JavaScript waits,
through a shared page (host-tools.js has its layout).  `put`'s bytes come
in, and `cat`'s go out, through the same page, a piece at a time, so a file
of any size costs a page of memory.

Driving the promises: a tool is async JavaScript.  `run` queues
`__diskTool(...)` with eval_async and then evaluates `__diskResult()`
synchronously.  The isolate runs its tasks in order and drains the
microtask queue after each, and every device call completes inside its
trap, so by the time the second task runs the tool has finished: the result
is there, or the tool awaits something that will never come (a bug), which
is reported as one rather than waited for.
"""

from __future__ import annotations

import errno
import json
import struct
from pathlib import Path

from jsksh import image as image_mod
from jsksh.disk.image import SECTOR, DiskImage
from jsksh.native.v8 import Isolate, JSError

READ, WRITE, FLUSH, INPUT, OUTPUT = 1, 2, 3, 4, 5
HEADER = struct.Struct("<Iidd")  # op, result, a, b (host-tools.js)
DATA = 64  # the data's offset in the page
PAGE = DATA + (1 << 20)  # a trap moves up to 1 MiB
GLUE = Path(__file__).resolve().parent / "host-tools.js"
MAGIC = b"jsksh-fs"  # the superblock's first bytes (docs/disk-format.md)


class ToolError(Exception):
    """A tool failed: `code` is the POSIX name (ENOENT, EIO, ...), the message the library's."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def library_sources(root: Path | None = None) -> dict[str, str]:
    """{'/kernel/fs/disk/mkfs.js': source, ...}: the file system and kernel/lib, nothing else."""
    kernel = (root or image_mod.ROOT) / "kernel"
    table = {}
    for sub in ("lib", "fs/disk"):
        folder = kernel / sub
        if not folder.is_dir():
            raise image_mod.MissingTree(f"the kernel's files are missing: no {folder}")
        for p in sorted(folder.glob("*.js")):
            table[f"/kernel/{sub}/{p.name}"] = p.read_text()
    return table


class ImageFileSystem:
    """One image and one isolate; `run(tool, **args)` -> the tool's value, or ToolError."""

    def __init__(self, image: DiskImage, root: Path | None = None):
        self.image = image
        self.source = None  # a binary file `put` reads from
        self.sink = None  # a binary file `cat` and `get` write to
        self.sink_closed = False  # its reader went away (`jsksh disk cat ... | head`)
        self.iso = Isolate()
        try:
            self.iso.eval(
                (image_mod.ROOT if root is None else root).joinpath("kernel", "loader.js").read_text()
            )
            self.iso.eval(
                "globalThis.__sources = " + json.dumps(library_sources(root)) + ";"
                "globalThis.require = __makeRequire((p) => __sources[p] ?? null);"
                f"globalThis.__diskPage = new ArrayBuffer({PAGE});"
            )
            self.page = self.iso.buffer("__diskPage")
            self.iso.make_trap("__diskHost", self._trap)
            self.iso.eval(GLUE.read_text() + "\n//# sourceURL=/jsksh/disk/host-tools.js")
        except BaseException:
            self.iso.close()
            raise

    def run(self, tool: str, **args):
        args["sectors"] = self.image.sectors
        self.iso.eval_async(f"__diskTool({json.dumps(tool)}, {json.dumps(json.dumps(args))})")
        try:
            text = self.iso.eval("__diskResult()")
        except JSError as e:
            raise ToolError("EIO", f"the disk library failed: {e}") from None
        if not text:
            raise ToolError("EIO", f"disk {tool}: the library never finished (a promise nobody resolves)")
        result = json.loads(text)
        if not result["ok"] and self.sink_closed:
            raise ToolError("EPIPE", "Broken pipe")
        if not result["ok"]:
            raise ToolError(result["code"], result["message"])
        return result["value"]

    def close(self) -> None:
        self.iso.close(idle=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the trap: on the isolate's thread, while JavaScript waits ---------------------

    def _trap(self) -> None:
        # An exception must not escape into ctypes (it would print and be
        # lost): every failure becomes -errno, which JavaScript throws as EIO.
        page = self.page
        op, _, a, b = HEADER.unpack_from(page)
        try:
            result = self._serve(op, int(a), int(b))
        except OSError as e:
            result = -(e.errno or errno.EIO)
        except Exception:  # noqa: BLE001 - a bug here must reach the caller as an error, not a traceback on stderr
            result = -errno.EIO
        struct.pack_into("<i", page, 4, result)

    def _serve(self, op: int, a: int, b: int) -> int:
        page = self.page
        if op in (READ, WRITE):
            length = b * SECTOR
            if a < 0 or b < 0 or a + b > self.image.sectors or DATA + length > PAGE:
                return -errno.EINVAL
            if op == READ:
                page[DATA : DATA + length] = self.image.read(a * SECTOR, length)
            else:
                self.image.write(a * SECTOR, page[DATA : DATA + length])
            return 0
        if op == FLUSH:
            self.image.sync()
            return 0
        if op == INPUT:
            data = self.source.read(min(b, PAGE - DATA)) if self.source else b""
            page[DATA : DATA + len(data)] = data
            return len(data)
        if op == OUTPUT:
            if self.sink is None or b > PAGE - DATA:
                return -errno.EINVAL
            try:
                self.sink.write(page[DATA : DATA + b])
            except BrokenPipeError:
                self.sink_closed = True
                raise
            return 0
        return -errno.ENOSYS


def looks_blank(image: DiskImage) -> bool:
    """No file system was ever made here: block 0 and the backup's block (the last) are zeros."""
    last = (image.size // 4096 - 1) * 4096
    return not any(image.read(0, 4096)) and (last < 0 or not any(image.read(last, 4096)))


def has_file_system(image: DiskImage) -> bool:
    """Does the image start with a superblock's magic (a file system, maybe damaged)?"""
    return image.read(0, len(MAGIC)) == MAGIC


def mkfs_image(path: str) -> dict:
    """Make an empty file system on the image at `path` (the whole image)."""
    image = DiskImage(path)
    try:
        with ImageFileSystem(image) as fs:
            return fs.run("mkfs")
    finally:
        image.close()
