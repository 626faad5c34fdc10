"""SSE decoder (WHATWG rules) and encoder; framing variants of gemini-code-assist-examples.md App. A."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_strategies import split_at

from shared.wire.sse import SSEDecoder, SSEEvent, SSEEventTooLargeError, encode_sse

# A Gemini chunk in Google's one-line style (": " after keys), with multi-byte UTF-8 in it.
P = (
    '{"response": {"candidates": [{"content": {"role": "model","parts": [{"text": "Hi! café 👋"}]}}],'
    '"modelVersion": "gemini-2.5-flash","responseId": "kbFhaY2lCr-ZseMPqMiDmAU"},"traceId": "55650653afd3c738"}'
)
P_PRETTY = json.dumps(json.loads(P), indent=2, ensure_ascii=False)


def _decode(chunks: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.finish()


def _json_events(events: list[SSEEvent]) -> list[tuple[str | None, object]]:
    return [(event.event, json.loads(event.data)) for event in events]


APPENDIX_A = {
    "A1 canonical CRLF": f"data: {P}\r\n\r\n",
    "A2 LF only": f"data: {P}\n\n",
    "A2b CR only": f"data: {P}\r\r",
    "A3 multi-line data": "".join(f"data: {line}\n" for line in P_PRETTY.split("\n")) + "\n",
    "A4 noise lines": f"id: 123\n:comment\nretry: 100\n\ndata: {P}\n\n",
    "A7 no trailing blank line": f"data: {P}",
    "A8 data without space": f"data:{P}\n\n",
    "BOM at stream start": f"\ufeffdata: {P}\r\n\r\n",
}


@pytest.mark.parametrize("variant", list(APPENDIX_A))
def test_appendix_a_framing_variants_decode_to_the_same_event(variant):
    assert _json_events(_decode([APPENDIX_A[variant].encode()])) == [(None, json.loads(P))]


def test_appendix_a5_arbitrary_tcp_splits_give_the_same_events():
    assert _decode([b"d", b'ata: {"foo":', b' "bar"}\n\n']) == [SSEEvent(None, '{"foo": "bar"}')]


def test_a_multi_byte_character_split_across_chunks_is_decoded_whole():
    wire = "data: é👋\n\n".encode()
    emoji_start = wire.index("👋".encode())
    assert _decode([wire[: emoji_start + 2], wire[emoji_start + 2 :]]) == [SSEEvent(None, "é👋")]


def test_appendix_a6_invalid_json_is_still_an_event_and_the_stream_continues():
    events = _decode([f'data: {{ "invalid": json }}\n\ndata: {P}\n\n'.encode()])
    assert [event.data for event in events] == ['{ "invalid": json }', P]


def test_cr_at_the_end_of_a_chunk_and_lf_at_the_start_of_the_next_are_one_line_end():
    # Read as two line ends, the empty line between them would dispatch "a" on its own.
    assert _decode([b"data: a\r", b"\ndata: b\r\n\r\n"]) == [SSEEvent(None, "a\nb")]


def test_cr_lf_and_crlf_line_ends_can_be_mixed():
    assert _decode([b"data: a\rdata: b\ndata: c\r\n\n"]) == [SSEEvent(None, "a\nb\nc")]


def test_multi_line_data_is_joined_with_line_feeds():
    assert _decode([b"data: one\ndata:\ndata:  three\n\n"]) == [SSEEvent(None, "one\n\n three")]


def test_only_one_leading_space_is_stripped_from_a_value():
    assert _decode([b"data:   x \n\n"]) == [SSEEvent(None, "  x ")]


def test_event_id_and_retry_fields_are_reported_with_the_event():
    assert _decode([b"event: message_start\nid: 7\nretry: 3000\ndata: {}\n\n"]) == [
        SSEEvent("message_start", "{}", "7", 3000)
    ]


def test_event_type_resets_after_each_dispatch_but_id_persists():
    events = _decode([b"event: a\nid: 1\ndata: x\n\ndata: y\n\n"])
    assert events == [SSEEvent("a", "x", "1"), SSEEvent(None, "y", "1")]


def test_retry_that_is_not_all_digits_is_ignored():
    assert _decode([b"retry: 1s\ndata: x\n\n"]) == [SSEEvent(None, "x")]


def test_comments_and_unknown_fields_are_ignored():
    assert _decode([b": keep-alive\nfoo: bar\nnocolon\ndata: x\n\n"]) == [SSEEvent(None, "x")]


def test_a_blank_line_without_data_dispatches_nothing():
    assert _decode([b"event: ping\n\n\n\n"]) == []


def test_a_field_name_alone_on_a_line_has_an_empty_value():
    assert _decode([b"data\n\n"]) == [SSEEvent(None, "")]


def test_a_bom_after_the_first_line_is_not_stripped():
    assert _decode(["data: a\n\n\ufeffdata: b\n\n".encode()]) == [SSEEvent(None, "a")]


def test_a_bom_split_across_chunks_is_still_ignored():
    wire = "\ufeffdata: a\n\n".encode()
    assert _decode([wire[:1], wire[1:2], wire[2:]]) == [SSEEvent(None, "a")]


def test_invalid_utf8_is_replaced_not_fatal():
    assert _decode([b"data: \xff\n\n"]) == [SSEEvent(None, "\ufffd")]


def test_finish_flushes_a_final_event_without_its_blank_line():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [SSEEvent(None, "a")]
    assert decoder.finish() == [SSEEvent(None, "b")]


def test_an_overlong_line_is_rejected():
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(SSEEventTooLargeError):
        for _ in range(20):
            decoder.feed(b"data: xxxxxxxx")


def test_feeding_after_finish_is_an_error():
    decoder = SSEDecoder()
    decoder.finish()
    with pytest.raises(Exception, match="already finished"):
        decoder.feed(b"data: x\n\n")


# ---- properties --------------------------------------------------------------------------------------

sse_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)
single_line = sse_text.filter(lambda value: "\n" not in value and "\r" not in value)
events = st.builds(
    SSEEvent,
    event=st.none() | single_line.filter(bool),
    data=sse_text,
)


@settings(max_examples=200)
@given(st.lists(events, max_size=6), st.sampled_from(["\n", "\r\n", "\r"]))
def test_encode_then_decode_gives_back_the_events_with_any_line_end(event_list, newline):
    wire = b"".join(encode_sse(event.data, event.event, newline=newline) for event in event_list)
    expected = [SSEEvent(event.event, "\n".join(_lines(event.data))) for event in event_list]
    assert _decode([wire]) == expected


def _lines(data: str) -> list[str]:
    """What the data lines become: any CR, LF or CRLF inside `data` is a line break."""
    return data.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@settings(max_examples=200)
@given(
    st.lists(events, min_size=1, max_size=5),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.lists(st.integers(min_value=0, max_value=400), max_size=20),
)
def test_any_chunking_gives_the_same_events(event_list, newline, cuts):
    wire = b":hello\n" + b"".join(
        encode_sse(event.data, event.event, newline=newline) for event in event_list
    )
    assert _decode(split_at(wire, cuts)) == _decode([wire])


@settings(max_examples=50)
@given(st.lists(events, min_size=1, max_size=4), st.sampled_from(["\n", "\r\n", "\r"]))
def test_one_byte_at_a_time_gives_the_same_events(event_list, newline):
    wire = b"".join(encode_sse(event.data, event.event, newline=newline) for event in event_list)
    assert _decode([wire[index : index + 1] for index in range(len(wire))]) == _decode([wire])


# ---- encoder -----------------------------------------------------------------------------------------


def test_encoder_writes_multi_line_data_as_several_data_lines():
    assert encode_sse("a\nb", event="e", id="1") == b"event: e\nid: 1\ndata: a\ndata: b\n\n"


def test_encoder_can_use_crlf_like_google_front_ends():
    assert encode_sse(P, newline="\r\n") == f"data: {P}\r\n\r\n".encode()


@pytest.mark.parametrize(("field", "value"), [("event", "a\nb"), ("id", "a\rb"), ("id", "a\0b")])
def test_encoder_refuses_a_line_break_in_a_single_line_field(field, value):
    with pytest.raises(ValueError):
        encode_sse("x", **{field: value})
