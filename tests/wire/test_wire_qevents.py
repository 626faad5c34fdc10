"""Event-stream frames -> typed Amazon Q events (amazonq.md §3.3, §3.6, §4.3)."""

from __future__ import annotations

import json

import pytest

from shared.schemas.amazonq_events import (
    AssistantResponseEvent,
    CodeReference,
    CodeReferenceEvent,
    ContextUsageEvent,
    FollowupPrompt,
    FollowupPromptEvent,
    InitialResponse,
    InvalidStateEvent,
    MessageMetadataEvent,
    MetadataEvent,
    MeteringEvent,
    QErrorMessage,
    QException,
    ReasoningContentEvent,
    Span,
    SupplementaryWebLink,
    SupplementaryWebLinksEvent,
    TokenUsage,
    ToolUseEvent,
    UnknownEvent,
)
from shared.wire.eventstream import (
    EventStreamDecoder,
    TruncatedStreamError,
    encode_error,
    encode_event,
    encode_exception,
    encode_message,
)
from shared.wire.qevents import MalformedEventError, QEventDecoder, decode_q_event


def _decode(frame: bytes):
    [message] = EventStreamDecoder().feed(frame)
    return decode_q_event(message)


@pytest.mark.parametrize(
    ("event_type", "payload", "expected"),
    [
        ("initial-response", b'{"conversationId":"c-1"}', InitialResponse(conversation_id="c-1")),
        (
            "assistantResponseEvent",
            b'{"content":"Hi","modelId":"claude-sonnet-4.5"}',
            AssistantResponseEvent(content="Hi", model_id="claude-sonnet-4.5"),
        ),
        (
            "toolUseEvent",
            b'{"input":"{\\"a\\":1}","name":"f","stop":true,"toolUseId":"tooluse_1"}',
            ToolUseEvent(tool_use_id="tooluse_1", name="f", input='{"a":1}', stop=True),
        ),
        (
            "codeReferenceEvent",
            b'{"references":[{"licenseName":"MIT","repository":"r","url":"u",'
            b'"recommendationContentSpan":{"start":1,"end":5}}]}',
            CodeReferenceEvent(
                references=[
                    CodeReference(
                        license_name="MIT",
                        repository="r",
                        url="u",
                        recommendation_content_span=Span(start=1, end=5),
                    )
                ]
            ),
        ),
        (
            "messageMetadataEvent",
            b'{"conversationId":"c","utteranceId":"u"}',
            MessageMetadataEvent(conversation_id="c", utterance_id="u"),
        ),
        (
            "metadataEvent",
            b'{"tokenUsage":{"uncachedInputTokens":10,"outputTokens":5,"totalTokens":15,'
            b'"cacheReadInputTokens":2,"cacheWriteInputTokens":0}}',
            MetadataEvent(
                token_usage=TokenUsage(
                    uncached_input_tokens=10,
                    output_tokens=5,
                    total_tokens=15,
                    cache_read_input_tokens=2,
                    cache_write_input_tokens=0,
                )
            ),
        ),
        (
            # A real capture, amazonq.md §3.3.
            "meteringEvent",
            b'{"unit":"credit","unitPlural":"credits","usage":0.0169543708291874}',
            MeteringEvent(usage=0.0169543708291874, unit="credit", unit_plural="credits"),
        ),
        (
            "contextUsageEvent",
            b'{"contextUsagePercentage":35.28}',
            ContextUsageEvent(context_usage_percentage=35.28),
        ),
        (
            "reasoningContentEvent",
            b'{"text":"hmm","signature":"sig"}',
            ReasoningContentEvent(text="hmm", signature="sig"),
        ),
        (
            "followupPromptEvent",
            b'{"followupPrompt":{"content":"more?","userIntent":"EXPLAIN_CODE_SELECTION"}}',
            FollowupPromptEvent(
                followup_prompt=FollowupPrompt(content="more?", user_intent="EXPLAIN_CODE_SELECTION")
            ),
        ),
        (
            "supplementaryWebLinksEvent",
            b'{"supplementaryWebLinks":[{"url":"https://x","title":"X"}]}',
            SupplementaryWebLinksEvent(
                supplementary_web_links=[SupplementaryWebLink(url="https://x", title="X")]
            ),
        ),
        (
            "invalidStateEvent",
            b'{"reason":"INVALID_TASK_ASSIST_PLAN","message":"bad plan"}',
            InvalidStateEvent(reason="INVALID_TASK_ASSIST_PLAN", message="bad plan"),
        ),
    ],
)
def test_each_known_event_type_decodes_to_its_struct(event_type, payload, expected):
    assert _decode(encode_event(event_type, payload)) == expected


def test_unknown_payload_keys_are_ignored_and_missing_ones_default():
    event = _decode(encode_event("assistantResponseEvent", b'{"content":"x","brandNew":[1,2]}'))
    assert event == AssistantResponseEvent(content="x")
    assert _decode(encode_event("toolUseEvent", b"{}")) == ToolUseEvent()


def test_integer_usage_and_percentage_decode_as_floats():
    assert _decode(encode_event("meteringEvent", b'{"usage":1}')).usage == 1.0
    assert _decode(encode_event("contextUsageEvent", b'{"contextUsagePercentage":100}')) == ContextUsageEvent(
        context_usage_percentage=100.0
    )


def test_exception_frame_becomes_a_q_exception_with_type_message_and_reason():
    payload = b'{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}'
    event = _decode(encode_exception("ValidationException", payload))
    assert event == QException(
        "ValidationException", "Input is too long.", "CONTENT_LENGTH_EXCEEDS_THRESHOLD", payload
    )


def test_exception_frame_reads_a_capitalised_message_key():
    event = _decode(encode_exception("error", b'{"Message":"boom","__type":"InternalServerException"}'))
    assert (event.exception_type, event.message, event.reason) == ("error", "boom", None)


def test_exception_frame_with_a_non_json_payload_keeps_the_text_as_message():
    event = _decode(encode_exception("ThrottlingException", b"Rate exceeded"))
    assert event == QException("ThrottlingException", "Rate exceeded", None, b"Rate exceeded")


def test_exception_frame_with_an_empty_payload_uses_the_exception_type_as_message():
    assert _decode(encode_exception("InternalServerException", b"")).message == "InternalServerException"


def test_error_frame_becomes_a_q_error_message():
    assert _decode(encode_error("InternalFailure", "it broke")) == QErrorMessage(
        "InternalFailure", "it broke", b""
    )


def test_unknown_event_type_passes_through_as_unknown_event():
    assert _decode(encode_event("citationEvent", b'{"citationLink":"x"}')) == UnknownEvent(
        "citationEvent", b'{"citationLink":"x"}'
    )


def test_frame_without_a_message_type_is_an_unknown_event():
    assert _decode(encode_message({":event-type": "assistantResponseEvent"}, b"{}")) == UnknownEvent(
        "assistantResponseEvent", b"{}", None
    )


@pytest.mark.parametrize("payload", [b"{not json", b"", b"[]", b'{"content":5}', b'{"content":"a"'])
def test_malformed_payload_of_a_known_event_is_a_typed_error(payload):
    with pytest.raises(
        MalformedEventError, match="malformed Amazon Q assistantResponseEvent payload"
    ) as raised:
        _decode(encode_event("assistantResponseEvent", payload))
    assert raised.value.payload == payload


def _tool_frames() -> list[bytes]:
    """The three phases of amazonq.md §3.6, split inside a key and an escape, with an empty fragment."""
    tool = {"name": "get_weather", "toolUseId": "tooluse_hNI7POsrr87ovDvEEV0mlP"}
    frames = [encode_event("toolUseEvent", json.dumps(tool, sort_keys=True).encode())]
    for fragment in ['{"loc', "", 'ation": "Pa', 'ris \\u00e9"}']:
        payload = json.dumps({"input": fragment, **tool}, sort_keys=True).encode()
        frames.append(encode_event("toolUseEvent", payload))
    frames.append(encode_event("toolUseEvent", json.dumps({"stop": True, **tool}, sort_keys=True).encode()))
    return frames


def test_tool_use_start_fragments_and_stop_decode_in_order():
    events = QEventDecoder().feed(b"".join(_tool_frames()))
    assert [type(event) for event in events] == [ToolUseEvent] * 6
    start, *fragments, stop = events
    assert (start.input, start.stop) == (None, None)
    assert stop.stop is True and stop.input is None
    assert {event.tool_use_id for event in events} == {"tooluse_hNI7POsrr87ovDvEEV0mlP"}
    assert json.loads("".join(event.input for event in fragments)) == {"location": "Paris é"}


def test_q_event_decoder_fed_one_byte_at_a_time_gives_the_same_events():
    stream = encode_event("initial-response", b'{"conversationId":"c"}') + b"".join(_tool_frames())
    whole = QEventDecoder().feed(stream)
    decoder = QEventDecoder()
    single = [event for index in range(len(stream)) for event in decoder.feed(stream[index : index + 1])]
    decoder.finish()
    assert single == whole and len(whole) == 7


def test_q_event_decoder_returns_events_before_a_malformed_one_then_raises():
    decoder = QEventDecoder()
    stream = (
        encode_event("assistantResponseEvent", b'{"content":"ok"}')
        + encode_event("assistantResponseEvent", b"{broken")
        + encode_event("assistantResponseEvent", b'{"content":"never"}')
    )
    assert decoder.feed(stream) == [AssistantResponseEvent(content="ok")]
    with pytest.raises(MalformedEventError):
        decoder.finish()
    with pytest.raises(MalformedEventError):
        decoder.feed(b"")


def test_q_event_decoder_reports_a_cut_connection_at_finish():
    decoder = QEventDecoder()
    frame = encode_event("assistantResponseEvent", b'{"content":"ok"}')
    decoder.feed(frame + frame[:20])
    with pytest.raises(TruncatedStreamError):
        decoder.finish()


def test_an_exception_after_text_is_delivered_after_the_text():
    stream = encode_event("assistantResponseEvent", b'{"content":"Hel"}') + encode_exception(
        "ThrottlingException", b'{"message":"Rate limit exceeded"}'
    )
    events = QEventDecoder().feed(stream)
    assert [type(event) for event in events] == [AssistantResponseEvent, QException]
