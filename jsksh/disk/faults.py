"""--disk-errors SPEC: which requests the disk answers with an I/O error.

    sectors=A-B      a read or write touching sectors A..B (inclusive) fails
    sector=N         the same for one sector
    every=N          every Nth request of the kinds below fails (counted from 1)
    ops=in,out,flush the kinds that may fail (in and out unless given)

Clauses are joined with commas: `sectors=100-103,every=50,ops=out`.  A request
fails if it matches any of sectors= or every=.  A failed request has no
effect (a failed write writes nothing) and is answered VIRTIO_BLK_S_IOERR,
as a disk with a bad sector answers; the machine keeps running.  Decisions
depend only on the spec and the order of requests, so a run replays.
"""

from __future__ import annotations

OPS = ("in", "out", "flush")


class DiskFaults:
    def __init__(self, ranges=(), every: int = 0, ops=("in", "out")):
        self.ranges = list(ranges)  # [(first, last)] sector ranges, inclusive
        self.every = every
        self.ops = tuple(ops)
        self.seen = 0  # requests of the kinds in `ops` so far (for every=)

    def fails(self, op: str, sector: int, count: int) -> bool:
        """Does this request fail?  `op` is 'in', 'out' or 'flush'; `count` sectors from `sector`."""
        if op not in self.ops:
            return False
        self.seen += 1
        if self.every and self.seen % self.every == 0:
            return True
        last = sector + max(count, 1) - 1
        return op != "flush" and any(first <= last and sector <= end for first, end in self.ranges)

    def __str__(self) -> str:
        parts = [f"sectors={a}-{b}" for a, b in self.ranges]
        if self.every:
            parts.append(f"every={self.every}")
        parts.append("ops=" + ",".join(self.ops))
        return ",".join(parts)


def parse_spec(text: str) -> DiskFaults:
    """The spec's text -> DiskFaults; ValueError saying which clause is wrong."""
    ranges, every, ops = [], 0, None
    clauses = [c.strip() for c in text.split(",") if c.strip()]
    i = 0
    while i < len(clauses):
        key, eq, value = clauses[i].partition("=")
        i += 1
        if not eq:
            raise ValueError(f"--disk-errors: {clauses[i - 1]!r} is not KEY=VALUE")
        try:
            if key in ("sector", "sectors"):
                first, _, last = value.partition("-")
                a, b = int(first), int(last or first)
                if a < 0 or b < a:
                    raise ValueError
                ranges.append((a, b))
            elif key == "every":
                every = int(value)
                if every < 1:
                    raise ValueError
            elif key == "ops":
                # ops=in,out: the names after it are more clauses without '='.
                ops = [value]
                while i < len(clauses) and "=" not in clauses[i]:
                    ops.append(clauses[i])
                    i += 1
                if any(op not in OPS for op in ops):
                    raise ValueError
            else:
                raise ValueError(f"--disk-errors: unknown clause {key!r} (sectors=, sector=, every=, ops=)")
        except ValueError as e:
            raise ValueError(str(e) or f"--disk-errors: bad value in {key}={value}") from None
    if not ranges and not every:
        raise ValueError("--disk-errors: say which requests fail (sectors=A-B or every=N)")
    return DiskFaults(ranges, every, ops or ("in", "out"))
