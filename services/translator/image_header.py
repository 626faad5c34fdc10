"""Image width and height from the first bytes of a PNG, JPEG, GIF or WebP file (no image library).

Only headers are read: PNG's IHDR, GIF's logical screen descriptor, WebP's VP8/VP8L/VP8X header and
JPEG's first start-of-frame segment (which can sit behind large EXIF data, so JPEG may need more bytes).
Anything unrecognised or truncated gives ``None``.
"""

from __future__ import annotations

import binascii

_PREFIX_BYTES = 64 * 1024
# JPEG start-of-frame markers carry the size: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg(data)
    return None


def base64_image_dimensions(encoded: str) -> tuple[int, int] | None:
    """Dimensions from base64 data, decoding only a prefix unless a JPEG needs more."""
    prefix_chars = _PREFIX_BYTES // 3 * 4
    head = _decode(encoded[:prefix_chars])
    if head is None:
        return None
    found = image_dimensions(head)
    if found is None and head[:2] == b"\xff\xd8" and len(encoded) > prefix_chars:
        whole = _decode(encoded)
        found = image_dimensions(whole) if whole is not None else None
    return found


def _decode(encoded: str) -> bytes | None:
    try:
        return binascii.a2b_base64(encoded)
    except (binascii.Error, ValueError):
        return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
        return width, height
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _jpeg(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            index += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before them
            return None
        if marker in _JPEG_SOF:
            if index + 9 > len(data):
                return None
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            return width, height
        index += 2 + int.from_bytes(data[index + 2 : index + 4], "big")
    return None
