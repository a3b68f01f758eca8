"""Guest "physical memory": the kernel's DMA arena seen from the device side.

The kernel allocates one ArrayBuffer at boot and registers it with the machine
(docs/abi.md §1); a physical address is an offset in it.  Every virtqueue and
I/O buffer lives there, so every device access goes through this class, which
checks bounds: a buggy or hostile driver gets a MemoryFault, never a host crash.
"""

from __future__ import annotations

import struct

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class MemoryFault(Exception):
    """An access outside the arena: the driver handed the device a bad address."""

    def __init__(self, addr: int, n: int):
        super().__init__(f"memory fault: {n} bytes at {addr:#x}")
        self.addr = addr
        self.n = n


class Memory:
    """Little-endian, bounds-checked access to a writable byte buffer."""

    def __init__(self, view):
        # cast("B") turns any contiguous buffer (the arena's memoryview, a
        # bytearray in tests) into a flat byte view that slices by offset.
        self._mem = memoryview(view).cast("B")
        if self._mem.readonly:
            raise ValueError("guest memory must be writable")

    def __len__(self) -> int:
        return len(self._mem)

    def check(self, addr: int, n: int) -> None:
        """Raise MemoryFault unless [addr, addr + n) lies inside the arena."""
        if addr < 0 or n < 0 or addr + n > len(self._mem):
            raise MemoryFault(addr, n)

    def read(self, addr: int, n: int) -> bytes:
        self.check(addr, n)
        return bytes(self._mem[addr : addr + n])

    def write(self, addr: int, data) -> None:
        n = len(data)
        self.check(addr, n)
        self._mem[addr : addr + n] = data

    def _get(self, fmt: struct.Struct, addr: int) -> int:
        self.check(addr, fmt.size)
        return fmt.unpack_from(self._mem, addr)[0]

    def _set(self, fmt: struct.Struct, addr: int, value: int) -> None:
        self.check(addr, fmt.size)
        fmt.pack_into(self._mem, addr, value)

    def u8(self, addr: int) -> int:
        self.check(addr, 1)
        return self._mem[addr]

    def u16(self, addr: int) -> int:
        return self._get(_U16, addr)

    def u32(self, addr: int) -> int:
        return self._get(_U32, addr)

    def u64(self, addr: int) -> int:
        return self._get(_U64, addr)

    def set_u8(self, addr: int, value: int) -> None:
        self.check(addr, 1)
        self._mem[addr] = value & 0xFF

    # Values are masked to the field width: a device writes what fits, as the
    # hardware register would, instead of raising struct.error.
    def set_u16(self, addr: int, value: int) -> None:
        self._set(_U16, addr, value & 0xFFFF)

    def set_u32(self, addr: int, value: int) -> None:
        self._set(_U32, addr, value & 0xFFFFFFFF)

    def set_u64(self, addr: int, value: int) -> None:
        self._set(_U64, addr, value & 0xFFFFFFFFFFFFFFFF)
