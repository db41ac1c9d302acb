"""Images built in memory for uploads: no files, no imaging library."""
from __future__ import annotations

import struct
import zlib


def png(width: int = 48, height: int = 32) -> bytes:
    """A small real PNG (a green block), so the thumbnail renders."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x2e\x8b\x57" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
