"""Encoder for AWS event-stream messages (used by the Amazon Q simulator and by tests)."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from functools import lru_cache
from zlib import crc32

from shared.wire.eventstream_headers import HeaderValue, encode_headers

_pack_lengths = struct.Struct(">II").pack
_pack_u32 = struct.Struct(">I").pack
_MAX_TOTAL_LENGTH = 2**32 - 1


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes) -> bytes:
    """One complete frame: prelude, prelude CRC, headers (in mapping order), payload, message CRC."""
    return _frame(encode_headers(headers), payload)


def encode_event(event_type: str, payload: bytes) -> bytes:
    """An `event` frame with the three string headers in the order Q sends them (amazonq.md §3.2):
    `:event-type`, `:content-type: application/json`, `:message-type: event`."""
    return _frame(_event_headers(event_type), payload)


def encode_exception(exception_type: str, payload: bytes) -> bytes:
    """An `exception` frame, the mid-stream error form (amazonq.md §4.3): no `:event-type`; the
    payload is JSON `{"message": ..., "reason"?: ...}`."""
    return _frame(_exception_headers(exception_type), payload)


def encode_error(error_code: str, error_message: str, payload: bytes = b"") -> bytes:
    """A generic AWS `error` frame (`:error-code`, `:error-message`); not observed from Q (§3.2)."""
    return encode_message(
        {":message-type": "error", ":error-code": error_code, ":error-message": error_message}, payload
    )


@lru_cache(maxsize=256)
def _event_headers(event_type: str) -> bytes:
    # Memoised: the simulator emits thousands of frames with a handful of event types.
    return encode_headers(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    )


@lru_cache(maxsize=64)
def _exception_headers(exception_type: str) -> bytes:
    return encode_headers(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        }
    )


def _frame(header_block: bytes, payload: bytes) -> bytes:
    total_length = 16 + len(header_block) + len(payload)
    if total_length > _MAX_TOTAL_LENGTH:
        raise ValueError(f"an event-stream frame cannot exceed {_MAX_TOTAL_LENGTH} bytes")
    lengths = _pack_lengths(total_length, len(header_block))
    prelude_crc = crc32(lengths)
    head = lengths + _pack_u32(prelude_crc) + header_block
    message_crc = crc32(payload, crc32(head[8:], prelude_crc))
    return b"".join((head, payload, _pack_u32(message_crc)))
