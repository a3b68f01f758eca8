"""A seeded byte stream both a guest app and the host can make: mulberry32.

The data-path tests write it in the guest and check it on the host, so a
byte lost, doubled or reordered anywhere on the way shows up. ``PRNG`` is
the JavaScript (prepended to a guest app's source); ``stream()`` is the
same bytes in Python: the generator's 32-bit words, little-endian.
"""

from __future__ import annotations

import struct

PRNG = r"""
function prng(seed) {  // mulberry32: 32-bit words
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
"""


def stream(seed: int, n: int) -> bytes:
    """The first ``n`` bytes of the stream of ``seed``, as the guest's prng() words make them."""
    mask = 0xFFFFFFFF
    a = seed & mask
    words = []
    for _ in range((n + 3) // 4):
        a = (a + 0x6D2B79F5) & mask
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & mask
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & mask)) & mask
        words.append((t ^ (t >> 14)) & mask)
    return struct.pack(f"<{len(words)}I", *words)[:n]
