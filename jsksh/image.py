"""Builds the boot image: a POSIX ustar archive of kernel/, apps/ and fs/.

Those three trees are beside the package in a checkout; an installed jsksh
carries them inside it, in jsksh/tree/ (setup.py, build_py), so a wheel
boots from any directory.

Layout inside the image (``tar tvf`` reads it):

    kernel/...      the kernel's JavaScript, loaded by kernel/loader.js
    bin/NAME.js     every app, from apps/
    etc/, lib/ ...  the root file tree, from fs/

The image is cached by the SHA-256 of its inputs, so an unchanged tree is
never packed twice.  Members are sorted and carry fixed owners and a fixed
mtime (the newest input's), so the same tree always gives the same bytes.
"""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path

from jsksh import cache

# Where the guest's tree is: kernel/, apps/ and fs/ beside the package in a
# checkout (and an editable install); inside it, as jsksh/tree/, in a wheel or
# a normal install (setup.py copies them there when it builds).
_PACKAGE = Path(__file__).resolve().parent
ROOT = _PACKAGE.parent if (_PACKAGE.parent / "kernel" / "loader.js").is_file() else _PACKAGE / "tree"


class MissingTree(RuntimeError):
    """The kernel's files are not where this install says they are."""


def _sources(root: Path) -> list[tuple[str, Path]]:
    """(name in the image, file on disk), sorted by name.  os.walk, not
    Path.rglob: this runs at every start, and rglob's objects cost 5 ms
    for the tree's 200 files."""
    if not (root / "kernel" / "loader.js").is_file():
        raise MissingTree(
            f"the kernel's files are missing: no {root / 'kernel' / 'loader.js'} "
            "(a checkout has kernel/, apps/ and fs/ beside jsksh/; an installed package has them in jsksh/tree/)"
        )
    pairs = []
    for base, prefix in ((root / "kernel", "kernel/"), (root / "apps", "bin/"), (root / "fs", "")):
        top = str(base)
        for where, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            inside = where[len(top) + 1 :].replace(os.sep, "/")
            for name in files:
                if not name.startswith("."):
                    pairs.append((prefix + (f"{inside}/{name}" if inside else name), Path(where, name)))
    return sorted(pairs)


def content_hash(root: Path = ROOT) -> str:
    """The cache's name for this tree: a CRC-32 and an Adler-32 over each
    file's name, size and modification time (in nanoseconds), as Python
    checks a .pyc against its source: a file that changes changes them, and
    nothing is read but the directories (the files' contents cost 3 ms more
    at every start).  zlib is already loaded, where hashlib would load
    OpenSSL's libcrypto (5-20 ms, beside V8's own library)."""
    a, b = 0, 0x5A5A5A5A
    for name, path in _sources(root):
        st = os.stat(path)
        piece = f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode()
        a, b = zlib.crc32(piece, a), zlib.adler32(piece, b)
    return f"{a:08x}{b:08x}"


def build(root: Path = ROOT) -> bytes:
    """Pack the tree into ustar bytes."""
    import tarfile  # only when the cache misses: 3 ms of imports (shutil among them)

    sources = _sources(root)
    mtime = int(max((p.stat().st_mtime for _, p in sources), default=0))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        dirs = sorted(
            {"/".join(name.split("/")[:i]) for name, _ in sources for i in range(1, name.count("/") + 1)}
        )
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
        for name, path in sources:
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def load(root: Path = ROOT) -> bytes:
    """The image for this tree, from the cache when its hash is known."""
    path = cache.directory("images") / f"{content_hash(root)[:32]}.tar"
    data = cache.read(path)
    if data is None:
        data = build(root)
        cache.keep(path, data)  # a read-only cache only costs the packing time
    return data


def members(image: bytes) -> dict[str, bytes]:
    """Read regular files back out (the machine needs the loader and the app runtime).

    The ustar layout read directly (POSIX.1-2017 pax, "ustar Interchange
    Format"), as kernel/boot.js reads it: a 512-byte header per member (name
    at 0, size in octal at 124, type at 156, name prefix at 345), then the
    data rounded up to 512 bytes. tarfile took 8 ms of each boot to do this."""
    out: dict[str, bytes] = {}
    view = memoryview(image)
    at = 0
    while at + 512 <= len(image):
        header = view[at : at + 512]
        if not any(header):  # two zero blocks end the archive
            break
        name = bytes(header[0:100]).split(b"\0", 1)[0].decode()
        prefix = bytes(header[345:500]).split(b"\0", 1)[0].decode()
        size = int(bytes(header[124:136]).split(b"\0", 1)[0].strip() or b"0", 8)
        kind = header[156:157].tobytes()
        at += 512
        if kind in (b"0", b"\0"):
            out[f"{prefix}/{name}" if prefix else name] = bytes(view[at : at + size])
        at += (size + 511) // 512 * 512
    return out
