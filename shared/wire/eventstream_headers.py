"""Event-stream header values: typed Python values that decode and re-encode byte-for-byte.

Wire format (amazonq.md §3.1, from botocore `eventstream.py`): each header is
`name_len: u8 (1-255) | name: UTF-8 | type: u8 | value`, where the value depends on the type:

    0 true, 1 false (no bytes)   2 int8   3 int16   4 int32   5 int64 (all big-endian, signed)
    6 bytes, 7 UTF-8 string (u16 BE length prefix)   8 timestamp (int64 ms since epoch)   9 UUID (16 bytes)

Four types carry a plain integer, so a bare `int` would lose the width. The decoder therefore returns
`int` subclasses (`Int8` … `Int64`, `Timestamp`) that compare and compute like ints but remember the wire
type; the encoder picks the type from the Python class. Decode → encode is the identity.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from shared.wire.eventstream_errors import CorruptFrameError, InvalidHeaderError


class _SizedInt(int):
    """An int that remembers which event-stream integer type it came from."""

    wire_type: ClassVar[int]
    wire_format: ClassVar[struct.Struct]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class Int8(_SizedInt):
    """Header type 2 (`byte`)."""

    wire_type = 2
    wire_format = struct.Struct(">Bb")


class Int16(_SizedInt):
    """Header type 3 (`short`)."""

    wire_type = 3
    wire_format = struct.Struct(">Bh")


class Int32(_SizedInt):
    """Header type 4 (`integer`); a bare `int` that fits is encoded as this."""

    wire_type = 4
    wire_format = struct.Struct(">Bi")


class Int64(_SizedInt):
    """Header type 5 (`long`)."""

    wire_type = 5
    wire_format = struct.Struct(">Bq")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Timestamp(_SizedInt):
    """Header type 8: milliseconds since the Unix epoch.

    Kept as an int rather than a `datetime` because the wire range (int64 ms) is far wider than
    `datetime`'s (years 1-9999), and decode → encode must be the identity for every frame.
    """

    wire_type = 8
    wire_format = struct.Struct(">Bq")

    @classmethod
    def from_datetime(cls, moment: datetime) -> Timestamp:
        """The timestamp of an aware `datetime` (naive ones are taken as UTC), truncated to ms."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return cls((moment - _EPOCH) // timedelta(milliseconds=1))

    def to_datetime(self) -> datetime:
        """The aware UTC `datetime`; raises OverflowError outside years 1-9999."""
        return _EPOCH + timedelta(milliseconds=int(self))


HeaderValue = bool | Int8 | Int16 | Int32 | Int64 | int | bytes | str | Timestamp | uuid.UUID
"""What a header value can be. Decoded values are never a bare `int` (always a sized subclass)."""

Headers = dict[str, HeaderValue]

_TYPE_AND_LENGTH = struct.Struct(">BH")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def encode_headers(headers: Mapping[str, HeaderValue]) -> bytes:
    """Serialise headers in mapping order (the order the peer will see them in)."""
    parts: list[bytes] = []
    for name, value in headers.items():
        name_bytes = name.encode()
        if not 1 <= len(name_bytes) <= 255:
            raise InvalidHeaderError(f"header name {name!r} must be 1-255 UTF-8 bytes, not {len(name_bytes)}")
        parts.append(bytes((len(name_bytes),)))
        parts.append(name_bytes)
        parts.append(_encode_value(name, value))
    return b"".join(parts)


def _encode_value(name: str, value: object) -> bytes:
    """Type byte plus value bytes. Order of checks matters: bool and the sized ints are ints too."""
    try:
        if isinstance(value, bool):
            return b"\x00" if value else b"\x01"
        if isinstance(value, _SizedInt):
            return value.wire_format.pack(value.wire_type, value)
        if isinstance(value, int):
            sized = Int32 if _INT32_MIN <= value <= _INT32_MAX else Int64
            return sized.wire_format.pack(sized.wire_type, value)
        if isinstance(value, str):
            encoded = value.encode()
            return _TYPE_AND_LENGTH.pack(7, len(encoded)) + encoded
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            return _TYPE_AND_LENGTH.pack(6, len(raw)) + raw
        if isinstance(value, uuid.UUID):
            return b"\x09" + value.bytes
        if isinstance(value, datetime):
            return Timestamp.wire_format.pack(8, Timestamp.from_datetime(value))
    except struct.error as error:
        # Out-of-range ints and values longer than the u16 length prefix allows.
        raise InvalidHeaderError(
            f"header {name!r}: value {value!r:.80} does not fit its wire type ({error})"
        ) from None
    raise InvalidHeaderError(f"header {name!r}: unsupported value type {type(value).__name__}")


_UNPACK_I8 = struct.Struct(">b").unpack_from
_UNPACK_I16 = struct.Struct(">h").unpack_from
_UNPACK_I32 = struct.Struct(">i").unpack_from
_UNPACK_I64 = struct.Struct(">q").unpack_from
_UNPACK_U16 = struct.Struct(">H").unpack_from
# type -> (value size, unpacker, Python class) for the fixed-size types 2, 3, 4, 5, 8.
_FIXED = {
    2: (1, _UNPACK_I8, Int8),
    3: (2, _UNPACK_I16, Int16),
    4: (4, _UNPACK_I32, Int32),
    5: (8, _UNPACK_I64, Int64),
    8: (8, _UNPACK_I64, Timestamp),
}


def decode_headers(block: bytes) -> Headers:
    """Parse a complete header block; raises `CorruptFrameError` for anything malformed.

    Stricter than botocore on purpose: it silently truncates a value that overruns the block and
    accepts empty names, both of which can only come from a broken peer.
    """
    headers: Headers = {}
    size = len(block)
    at = 0
    while at < size:
        name_length = block[at]
        if name_length == 0:
            raise CorruptFrameError(f"header at block offset {at} has an empty name")
        name_end = at + 1 + name_length
        if name_end >= size:  # the type byte must follow the name
            raise CorruptFrameError(f"header at block offset {at} overruns the header block")
        try:
            name = block[at + 1 : name_end].decode()
        except UnicodeDecodeError:
            raise CorruptFrameError(f"header name at block offset {at} is not UTF-8") from None
        value_type = block[name_end]
        at = name_end + 1
        value: HeaderValue
        if value_type == 7 or value_type == 6:
            if at + 2 > size:
                raise CorruptFrameError(f"header {name!r} overruns the header block")
            (length,) = _UNPACK_U16(block, at)
            value_end = at + 2 + length
            if value_end > size:
                raise CorruptFrameError(f"header {name!r} overruns the header block")
            raw = block[at + 2 : value_end]
            if value_type == 7:
                try:
                    value = raw.decode()
                except UnicodeDecodeError:
                    raise CorruptFrameError(f"header {name!r} is not UTF-8") from None
            else:
                value = raw
            at = value_end
        elif value_type == 0 or value_type == 1:
            value = value_type == 0
        elif value_type in _FIXED:
            width, unpack, cls = _FIXED[value_type]
            if at + width > size:
                raise CorruptFrameError(f"header {name!r} overruns the header block")
            value = cls(unpack(block, at)[0])
            at += width
        elif value_type == 9:
            if at + 16 > size:
                raise CorruptFrameError(f"header {name!r} overruns the header block")
            value = uuid.UUID(bytes=bytes(block[at : at + 16]))
            at += 16
        else:
            raise CorruptFrameError(f"header {name!r} has unknown value type {value_type}")
        if name in headers:
            raise CorruptFrameError(f"duplicate header {name!r}")
        headers[name] = value
    return headers
