"""Small real images, written without an imaging library: PNG and lossless WebP.

The page requisites (requisites.py) need images a browser decodes and paints, made the same on
every run and with no dependency the simulated web does not already have. A PNG is a few zlib
streams around rows of pixels; a lossless WebP (VP8L) of one colour needs no pixel data at all,
since every prefix code has a single symbol and so takes no bits.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

RGB = tuple[int, int, int]


@cache
def png(width: int, height: int, colours: tuple[RGB, ...], stripes: int = 1) -> bytes:
    """A PNG of `width` x `height`: horizontal bands of `colours` in turn, each `height /
    (len(colours) * stripes)` rows high."""
    band = max(1, height // (len(colours) * stripes))
    rows = []
    for y in range(height):
        red, green, blue = colours[(y // band) % len(colours)]
        rows.append(b"\x00" + bytes((red, green, blue)) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class _Bits:
    """A VP8L bit writer: least significant bit first."""

    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def write(self, value: int, bits: int) -> None:
        self.value |= (value & ((1 << bits) - 1)) << self.count
        self.count += bits

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def webp(width: int, height: int, colour: RGB) -> bytes:
    """A lossless WebP of `width` x `height` in one opaque colour."""
    bits = _Bits()
    bits.write(0x2F, 8)  # VP8L signature
    bits.write(width - 1, 14)
    bits.write(height - 1, 14)
    bits.write(0, 1)  # no alpha
    bits.write(0, 3)  # version 0
    bits.write(0, 1)  # no transform
    bits.write(0, 1)  # no colour cache
    bits.write(0, 1)  # no meta prefix codes
    red, green, blue = colour
    for symbol in (green, red, blue, 255, 0):  # green, red, blue, alpha, distance codes
        bits.write(1, 1)  # a simple code
        bits.write(0, 1)  # of one symbol
        bits.write(1, 1)  # written in 8 bits
        bits.write(symbol, 8)
    data = bits.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
