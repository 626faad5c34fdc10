"""Anthropic and OpenAI SSE writers (client-apis.md §1.3, §2.3)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.wire.anthropic_sse import anthropic_event
from shared.wire.openai_sse import OPENAI_DONE, openai_chunk
from shared.wire.sse import SSEDecoder, SSEEvent


def _decode(wire: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    return decoder.feed(wire) + decoder.finish()


def test_anthropic_event_takes_its_event_name_from_the_payload_type():
    payload = {"type": "content_block_stop", "index": 0}
    assert (
        anthropic_event(payload)
        == b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    )


def test_anthropic_event_data_is_one_line_even_when_the_text_has_line_breaks():
    payload = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "a\nb\r\nc\u2028"},
    }
    wire = anthropic_event(payload)
    assert wire.count(b"\n") == 3 and b"\r" not in wire
    [event] = _decode(wire)
    assert event.event == "content_block_delta" and json.loads(event.data) == payload


json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200)
@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20),
    st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)
def test_anthropic_event_parses_back_with_a_matching_event_name(event_type, fields):
    payload = {**fields, "type": event_type}
    [event] = _decode(anthropic_event(payload))
    assert event.event == event_type
    assert json.loads(event.data) == payload
    assert json.loads(event.data)["type"] == event.event


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_openai_chunk_parses_back_without_an_event_name(payload):
    [event] = _decode(openai_chunk(payload))
    assert event.event is None
    assert json.loads(event.data) == payload


def test_openai_stream_ends_with_done():
    assert OPENAI_DONE == b"data: [DONE]\n\n"
    assert _decode(openai_chunk({"choices": []}) + OPENAI_DONE)[-1] == SSEEvent(None, "[DONE]")
