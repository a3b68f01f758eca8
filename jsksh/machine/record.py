"""A plain record: a class whose fields are named in ``_fields``, compared and shown by them.

The machine's small value classes (a packet, a descriptor chain, a queue's
registers) were dataclasses.  What @dataclass costs at every start is on the
path of every `jsksh run`: importing it pulls in inspect, dis and ast, and
each decorated class writes and compiles its methods with exec (10-20 ms of
about 180).  So each record writes its own ``__init__`` (plain code, as fast
as the generated one on the per-frame paths), and this base gives what the
decorator did besides: equality field by field, and a repr that shows them.
"""

from __future__ import annotations


class Record:
    _fields: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._fields)

    __hash__ = None  # equal by value and mutable: not a dict key, as a dataclass is not

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"
