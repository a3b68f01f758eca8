"""Keystroke echo on the raw console: one byte sent to its echo received.

Anchor in the same run: a Python echo over a Unix socketpair between two
threads (the floor any host-side serial path pays). Floor: p50 <= 1 ms.
"""

from __future__ import annotations

import socket
import sys
import threading
import time

from common import Machine, pct


def jsksh_keys(n: int) -> list[float]:
    m = Machine()
    try:
        samples = []
        for i in range(n):
            t0 = time.perf_counter()
            m.sock.sendall(b"a")
            m.read_until(b"a")
            samples.append(time.perf_counter() - t0)
            if i % 50 == 49:
                m.sock.sendall(b"\x15")  # Ctrl-U: keep the line short
                time.sleep(0.01)
                m.buf = b""
        return samples
    finally:
        m.stop()


def socketpair_echo(n: int) -> list[float]:
    a, b = socket.socketpair()

    def echo():
        while data := b.recv(1):
            b.sendall(data)

    threading.Thread(target=echo, daemon=True).start()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        a.sendall(b"a")
        a.recv(1)
        samples.append(time.perf_counter() - t0)
    a.close()
    return samples


def main(n: int = 500) -> None:
    j = jsksh_keys(n)
    s = socketpair_echo(n)
    print(f"keystroke echo on the raw console ({n} keys)")
    print(f"  jsksh p50                    {pct(j, 50) * 1e6:8.1f} us   (floor: <= 1000 us)")
    print(f"  jsksh p99                    {pct(j, 99) * 1e6:8.1f} us")
    print(f"  python thread echo p50       {pct(s, 50) * 1e6:8.1f} us   ratio {pct(j, 50) / pct(s, 50):.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
