"""Event-stream codec: the worked example of amazonq.md §3.1, header types, and the error contract."""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import UTC, datetime

import pytest

from shared.wire.eventstream import (
    CorruptFrameError,
    EventStreamDecoder,
    EventStreamError,
    FrameTooLargeError,
    Int8,
    Int16,
    Int32,
    Int64,
    InvalidHeaderError,
    Message,
    Timestamp,
    TruncatedStreamError,
    decode_headers,
    encode_event,
    encode_exception,
    encode_headers,
    encode_message,
)

# amazonq.md §3.1, worked example: assistantResponseEvent with payload {"content":"Hi"}.
WORKED_EXAMPLE = bytes.fromhex(
    "0000007c 0000005c 3bddcf78 0b3a6576656e742d74797065 07 0016 617373697374616e74526573706f6e73654576656e74"
    " 0d3a636f6e74656e742d74797065 07 0010 6170706c69636174696f6e2f6a736f6e 0d3a6d6573736167652d74797065 07"
    " 0005 6576656e74 7b22636f6e74656e74223a224869227d b02babdc".replace(" ", "")
)
HI = b'{"content":"Hi"}'


def _frame_with_header_block(block: bytes, payload: bytes = b"") -> bytes:
    """A frame with valid CRCs around an arbitrary (possibly malformed) header block."""
    head = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    head += struct.pack(">I", zlib.crc32(head))
    body = head + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def test_encode_event_reproduces_the_124_byte_worked_example():
    assert encode_event("assistantResponseEvent", HI) == WORKED_EXAMPLE
    assert len(WORKED_EXAMPLE) == 124


def test_worked_example_decodes_to_its_headers_and_payload():
    [message] = EventStreamDecoder().feed(WORKED_EXAMPLE)
    assert list(message.headers.items()) == [
        (":event-type", "assistantResponseEvent"),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ]
    assert message.payload == HI
    assert (message.message_type, message.event_type, message.content_type) == (
        "event",
        "assistantResponseEvent",
        "application/json",
    )
    assert message.exception_type is None


def test_standard_headers_length_is_70_plus_event_type_length():
    frame = encode_event("toolUseEvent", b"{}")
    assert struct.unpack_from(">I", frame, 4)[0] == 70 + len("toolUseEvent")


def test_encode_exception_uses_exception_type_and_no_event_type():
    [message] = EventStreamDecoder().feed(encode_exception("ThrottlingException", b'{"message":"slow"}'))
    assert list(message.headers) == [":exception-type", ":content-type", ":message-type"]
    assert message.message_type == "exception"
    assert message.exception_type == "ThrottlingException"
    assert message.event_type is None


def test_every_header_type_round_trips_with_its_python_class():
    headers = {
        "t": True,
        "f": False,
        "b": Int8(-128),
        "s": Int16(32767),
        "i": Int32(-(2**31)),
        "l": Int64(2**63 - 1),
        "raw": b"\x00\xff",
        "text": "héllo",
        "when": Timestamp(1_700_000_000_123),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    }
    decoded = decode_headers(encode_headers(headers))
    assert [(name, type(value), value) for name, value in decoded.items()] == [
        (name, type(value), value) for name, value in headers.items()
    ]


def test_header_type_bytes_follow_the_wire_table():
    block = encode_headers({"t": True, "f": False, "b": Int8(1), "ts": Timestamp(0)})
    assert block == b"\x01t\x00" + b"\x01f\x01" + b"\x01b\x02\x01" + b"\x02ts\x08" + bytes(8)


def test_a_plain_int_is_encoded_as_int32_or_int64_by_range():
    assert type(decode_headers(encode_headers({"n": 5}))["n"]) is Int32
    assert type(decode_headers(encode_headers({"n": 2**40}))["n"]) is Int64


def test_timestamp_converts_to_and_from_datetime():
    moment = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    stamp = Timestamp.from_datetime(moment)
    assert stamp.to_datetime() == moment
    assert type(decode_headers(encode_headers({"at": moment}))["at"]) is Timestamp


@pytest.mark.parametrize(
    ("headers", "complaint"),
    [
        ({"": "x"}, "1-255"),
        ({"n" * 256: "x"}, "1-255"),
        ({"b": Int8(128)}, "does not fit"),
        ({"s": "x" * 65536}, "does not fit"),
        ({"f": 1.5}, "unsupported"),
    ],
)
def test_encoder_rejects_headers_the_wire_cannot_carry(headers, complaint):
    with pytest.raises(InvalidHeaderError, match=complaint):
        encode_headers(headers)


@pytest.mark.parametrize(
    ("block", "complaint"),
    [
        (b"\x00\x07\x00\x00", "empty name"),
        (b"\x05abc", "overruns"),
        (b"\x01a\x07\x00\x05abc", "overruns"),
        (b"\x01a\x05\x00\x00", "overruns"),
        (b"\x01a\x0a", "unknown value type 10"),
        (b"\x01\xff\x00", "not UTF-8"),
        (b"\x01a\x07\x00\x01\xff", "not UTF-8"),
        (b"\x01a\x00\x01a\x01", "duplicate header 'a'"),
    ],
)
def test_malformed_header_block_with_valid_crcs_is_a_corrupt_frame(block, complaint):
    with pytest.raises(CorruptFrameError, match=complaint):
        EventStreamDecoder().feed(_frame_with_header_block(block))


def test_header_name_of_length_zero_is_an_error_even_at_the_end_of_the_block():
    with pytest.raises(CorruptFrameError, match="empty name"):
        decode_headers(b"\x01a\x00\x00")


def test_frame_with_no_headers_and_no_payload_is_the_16_byte_minimum():
    [message] = EventStreamDecoder().feed(encode_message({}, b""))
    assert message == Message({}, b"")


def test_total_length_below_16_is_corrupt():
    head = struct.pack(">II", 15, 0)
    frame = head + struct.pack(">I", zlib.crc32(head)) + bytes(3)
    with pytest.raises(CorruptFrameError, match="below the minimum"):
        EventStreamDecoder().feed(frame)


def test_headers_length_beyond_the_frame_is_corrupt():
    head = struct.pack(">II", 20, 5)
    with pytest.raises(CorruptFrameError, match="does not fit"):
        EventStreamDecoder().feed(head + struct.pack(">I", zlib.crc32(head)))


def test_oversized_frame_is_rejected_from_its_prelude_alone():
    frame = encode_event("assistantResponseEvent", b"x" * 2000)
    decoder = EventStreamDecoder(max_message_bytes=1024)
    with pytest.raises(FrameTooLargeError, match="more than the limit of 1024") as raised:
        decoder.feed(frame[:12])
    assert raised.value.total_length == len(frame)
    assert decoder.buffered_bytes == 0


def test_a_prelude_declaring_4_gib_is_rejected_before_anything_is_buffered():
    head = struct.pack(">II", 2**32 - 1, 0)
    decoder = EventStreamDecoder()
    with pytest.raises(FrameTooLargeError):
        decoder.feed(head + struct.pack(">I", zlib.crc32(head)))


def test_frame_exactly_at_the_limit_is_accepted():
    frame = encode_event("e", b"x" * 100)
    assert len(EventStreamDecoder(max_message_bytes=len(frame)).feed(frame)) == 1


def test_stream_ending_inside_a_frame_is_truncated_at_finish():
    decoder = EventStreamDecoder()
    assert decoder.feed(WORKED_EXAMPLE + WORKED_EXAMPLE[:50]) != []
    with pytest.raises(TruncatedStreamError, match="50 of 124 bytes") as raised:
        decoder.finish()
    assert raised.value.offset == 124


def test_stream_ending_inside_a_prelude_is_truncated_at_finish():
    decoder = EventStreamDecoder()
    decoder.feed(WORKED_EXAMPLE[:5])
    with pytest.raises(TruncatedStreamError, match="incomplete 12-byte prelude"):
        decoder.finish()


def test_empty_stream_finishes_cleanly():
    EventStreamDecoder().finish()


def test_frames_before_a_corrupt_one_are_returned_and_the_error_follows():
    corrupt = bytearray(WORKED_EXAMPLE)
    corrupt[-1] ^= 1
    decoder = EventStreamDecoder()
    assert len(decoder.feed(WORKED_EXAMPLE * 2 + bytes(corrupt))) == 2
    with pytest.raises(CorruptFrameError, match="message CRC mismatch") as raised:
        decoder.finish()
    assert raised.value.offset == 248


def test_a_failed_decoder_refuses_further_input():
    decoder = EventStreamDecoder()
    bad = b"\x00" * 12
    with pytest.raises(CorruptFrameError, match="prelude CRC"):
        decoder.feed(bad)
    with pytest.raises(CorruptFrameError):
        decoder.feed(WORKED_EXAMPLE)
    with pytest.raises(CorruptFrameError):
        decoder.finish()


def test_feeding_after_finish_is_an_error():
    decoder = EventStreamDecoder()
    decoder.finish()
    with pytest.raises(EventStreamError, match="already finished"):
        decoder.feed(WORKED_EXAMPLE)


def test_editing_a_messages_headers_does_not_leak_into_later_messages():
    decoder = EventStreamDecoder()
    [first] = decoder.feed(WORKED_EXAMPLE)
    first.headers[":event-type"] = "tampered"
    [second] = decoder.feed(WORKED_EXAMPLE)
    assert second.event_type == "assistantResponseEvent"


def test_decoder_accepts_bytearray_and_memoryview_chunks():
    decoder = EventStreamDecoder()
    assert decoder.feed(bytearray(WORKED_EXAMPLE[:70])) == []
    [message] = decoder.feed(memoryview(WORKED_EXAMPLE)[70:])
    assert message.payload == HI


def test_buffer_never_holds_more_than_one_frame_plus_one_chunk():
    frame = encode_event("assistantResponseEvent", b"y" * 10_000)
    stream = frame * 5
    decoder = EventStreamDecoder()
    peak = 0
    for start in range(0, len(stream), 3000):
        decoder.feed(stream[start : start + 3000])
        peak = max(peak, decoder.buffered_bytes)
    decoder.finish()
    assert peak < len(frame) + 3000
