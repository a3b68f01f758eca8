"""Where jsksh keeps what it worked out once and would otherwise work out at every start.

Two kinds, each filed under the hash of what it was made from, so a changed
input is a new entry and nothing is ever served stale: boot images
(image.py) and compacted JavaScript (native/compact.py).  They live under
$XDG_CACHE_HOME/jsksh (~/.cache/jsksh by default).  The cache only saves
time: one that cannot be read or written costs the work again, nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path


def directory(kind: str) -> Path:
    """The directory of one kind of entry, e.g. ``directory("images")``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jsksh" / kind


def read(path: Path) -> bytes | None:
    """An entry's bytes, or None when there is none (or it cannot be read)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def keep(path: Path, data: bytes) -> None:
    """Stores an entry: written beside its name, then renamed onto it, so a
    machine starting meanwhile reads a whole entry or none."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        pass
