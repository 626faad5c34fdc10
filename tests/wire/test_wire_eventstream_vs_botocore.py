"""Our event-stream decoder checked against an independent one: botocore's `EventStreamBuffer`
(the way h11 tests against the stdlib). botocore is test-only here."""

from __future__ import annotations

import struct
import uuid
import zlib

from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_strategies import encode_all, frame_lists, headers, split_at

from shared.wire.eventstream import (
    EventStreamDecoder,
    EventStreamError,
    Timestamp,
    encode_headers,
    encode_message,
)


def _normalise_ours(value: object) -> tuple[str, object]:
    """Map our typed values onto botocore's representation: plain ints, UUIDs as 16 raw bytes."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):  # Int8 … Int64 and Timestamp
        return ("int", int(value))
    if isinstance(value, uuid.UUID):
        return ("bytes", value.bytes)
    return (type(value).__name__, value)


def _normalise_botocore(value: object) -> tuple[str, object]:
    if isinstance(value, bool):
        return ("bool", value)
    return (type(value).__name__, value)


def _ours(chunks: list[bytes]) -> list[tuple[dict, bytes]] | None:
    """Decoded frames, or None if the stream is rejected."""
    decoder = EventStreamDecoder()
    try:
        messages = [message for chunk in chunks for message in decoder.feed(chunk)]
        decoder.finish()
    except EventStreamError:
        return None
    return [
        ({name: _normalise_ours(value) for name, value in message.headers.items()}, message.payload)
        for message in messages
    ]


def _botocore(chunks: list[bytes]) -> list[tuple[dict, bytes]] | None:
    buffer = EventStreamBuffer()
    messages = []
    try:
        for chunk in chunks:
            buffer.add_data(chunk)
            messages.extend(buffer)
    except Exception:  # botocore raises ParserError, but also KeyError/struct.error on garbage headers
        return None
    return [
        ({name: _normalise_botocore(value) for name, value in message.headers.items()}, message.payload)
        for message in messages
    ]


@settings(max_examples=200)
@given(frame_lists, st.lists(st.integers(min_value=0, max_value=3000), max_size=10))
def test_botocore_and_we_decode_random_frames_identically(frame_list, cuts):
    chunks = split_at(encode_all(frame_list), cuts)
    ours = _ours(chunks)
    assert ours is not None
    assert ours == _botocore(chunks)


@settings(max_examples=300)
@given(frame_lists, st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_botocore_and_we_both_reject_a_corrupted_frame(frame_list, where, flip):
    wire = bytearray(encode_all(frame_list))
    wire[where % len(wire)] ^= flip
    # botocore has no end-of-stream check, so feed a whole stream: a corruption that breaks no CRC
    # could only hide as a truncated tail, and CRC-32 catches every single-byte change.
    assert _ours([bytes(wire)]) is None
    assert _botocore([bytes(wire)]) is None


def _frame_around(block: bytes, payload: bytes) -> bytes:
    head = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    head += struct.pack(">I", zlib.crc32(head))
    body = head + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


@st.composite
def _mutated_header_block(draw: st.DrawFn) -> bytes:
    block = bytearray(encode_headers(draw(headers)))
    if block:
        block[draw(st.integers(0, len(block) - 1))] = draw(st.integers(0, 255))
    return bytes(block)


header_blocks = st.one_of(st.binary(max_size=60), headers.map(encode_headers), _mutated_header_block())


@settings(max_examples=500)
@given(header_blocks, st.binary(max_size=20))
def test_any_header_block_we_accept_botocore_reads_the_same_way(block, payload):
    # Valid CRCs around random header bytes. We are stricter (empty names, overrunning values), so
    # the check runs one way: whatever we accept, botocore accepts with the same result.
    chunks = [_frame_around(block, payload)]
    ours = _ours(chunks)
    if ours is not None:
        assert ours == _botocore(chunks)


def test_a_timestamp_header_is_the_same_millisecond_count_botocore_reports():
    chunks = [encode_message({"at": Timestamp(-1)}, b"")]
    assert _ours(chunks) == _botocore(chunks) == [({"at": ("int", -1)}, b"")]
