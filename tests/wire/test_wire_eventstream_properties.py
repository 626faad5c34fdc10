"""Property tests of the event-stream decoder: identity, chunking independence, corruption detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_strategies import encode_all, frame_lists, frames, split_at, typed

from shared.wire.eventstream import (
    EventStreamDecoder,
    EventStreamError,
    FrameTooLargeError,
    Message,
    encode_event,
    encode_message,
)


def _decode_chunks(chunks: list[bytes], max_message_bytes: int | None = None) -> list[Message]:
    decoder = EventStreamDecoder() if max_message_bytes is None else EventStreamDecoder(max_message_bytes)
    messages: list[Message] = []
    for chunk in chunks:
        messages.extend(decoder.feed(chunk))
    decoder.finish()
    return messages


def _as_frames(messages: list[Message]) -> list[tuple[dict, bytes]]:
    return [(typed(message.headers), message.payload) for message in messages]


def _expected(frame_list) -> list[tuple[dict, bytes]]:
    return [(typed(frame_headers), payload) for frame_headers, payload in frame_list]


@settings(max_examples=300)
@given(frames)
def test_encode_then_decode_is_the_identity(frame):
    frame_headers, payload = frame
    [message] = _decode_chunks([encode_message(frame_headers, payload)])
    assert (typed(message.headers), message.payload) == (typed(frame_headers), payload)
    assert list(message.headers) == list(frame_headers)  # order is kept too


@settings(max_examples=100)
@given(frames)
def test_decode_then_encode_gives_back_the_same_bytes(frame):
    wire = encode_message(*frame)
    [message] = _decode_chunks([wire])
    assert encode_message(message.headers, message.payload) == wire


@settings(max_examples=200)
@given(frame_lists, st.lists(st.integers(min_value=0, max_value=4000), max_size=30))
def test_any_chunking_of_several_frames_yields_the_same_frames(frame_list, cuts):
    wire = encode_all(frame_list)
    assert _as_frames(_decode_chunks(split_at(wire, cuts))) == _expected(frame_list)


@settings(max_examples=30)
@given(frame_lists)
def test_feeding_one_byte_at_a_time_yields_the_same_frames(frame_list):
    wire = encode_all(frame_list)
    chunks = [wire[index : index + 1] for index in range(len(wire))]
    assert _as_frames(_decode_chunks(chunks)) == _expected(frame_list)


def _decode_until_error(wire: bytes, chunk_size: int) -> tuple[list[Message], EventStreamError | None]:
    decoder = EventStreamDecoder()
    messages: list[Message] = []
    try:
        for start in range(0, len(wire), chunk_size):
            messages.extend(decoder.feed(wire[start : start + chunk_size]))
        decoder.finish()
    except EventStreamError as error:
        return messages, error
    return messages, None


def test_every_single_byte_change_of_a_small_frame_is_detected():
    wire = encode_event("assistantResponseEvent", b'{"content":"Hi"}')
    for position in range(len(wire)):
        for replacement in range(256):
            if replacement == wire[position]:
                continue
            corrupt = wire[:position] + bytes((replacement,)) + wire[position + 1 :]
            messages, error = _decode_until_error(corrupt, len(corrupt))
            assert messages == [] and error is not None, (position, replacement)


@settings(max_examples=300)
@given(
    frame_lists,
    st.integers(min_value=0),
    st.integers(min_value=1, max_value=255),
    st.integers(min_value=1, max_value=600),
)
def test_a_corrupted_byte_in_a_stream_never_yields_a_wrong_frame(frame_list, where, flip, chunk_size):
    wire = encode_all(frame_list)
    position = where % len(wire)
    corrupt = bytearray(wire)
    corrupt[position] ^= flip
    # Frames wholly before the corrupted byte must come out intact, nothing after it, and an error must
    # be raised (at feed or at finish).
    frame_ends = []
    end = 0
    for frame_headers, payload in frame_list:
        end += len(encode_message(frame_headers, payload))
        frame_ends.append(end)
    intact = sum(1 for frame_end in frame_ends if frame_end <= position)
    messages, error = _decode_until_error(bytes(corrupt), chunk_size)
    assert error is not None
    assert _as_frames(messages) == _expected(frame_list[:intact])


@settings(max_examples=100)
@given(frames, st.integers(min_value=16, max_value=400))
def test_frames_above_the_limit_are_rejected_as_soon_as_their_prelude_arrives(frame, limit):
    wire = encode_message(*frame)
    decoder = EventStreamDecoder(max_message_bytes=limit)
    if len(wire) > limit:
        with pytest.raises(FrameTooLargeError):
            decoder.feed(wire[:12])
    else:
        assert decoder.feed(wire[:12]) == []
        assert len(decoder.feed(wire[12:])) == 1


@settings(max_examples=100)
@given(frame_lists, st.data())
def test_any_proper_prefix_of_a_stream_fails_at_finish_or_ends_on_a_frame_boundary(frame_list, data):
    wire = encode_all(frame_list)
    cut = data.draw(st.integers(min_value=0, max_value=len(wire) - 1))
    boundaries = {0}
    end = 0
    for frame_headers, payload in frame_list:
        end += len(encode_message(frame_headers, payload))
        boundaries.add(end)
    messages, error = _decode_until_error(wire[:cut], 7)
    assert (error is None) == (cut in boundaries)
    assert _as_frames(messages) == _expected(frame_list)[: len(messages)]
