"""Anthropic response Structs produce what clients expect (client-apis.md §1.2–§1.4), checked by the SDK."""

from __future__ import annotations

import json

import anthropic
import httpx2
import msgspec
import pytest
from schemas_sdk import anthropic_client, sse

from shared.schemas import anthropic as a
from shared.schemas.decoding import decoder_for

_REQUEST = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "weather?"}]}


def _tool_use_stream() -> list[a.StreamEvent]:
    """The wire example of §1.3, as Structs."""
    return [
        a.MessageStartEvent(
            message=a.Message(
                id="msg_1", model="m", content=[], usage=a.Usage(input_tokens=12, output_tokens=1)
            )
        ),
        a.ContentBlockStartEvent(
            index=0, content_block=a.ToolUseBlock(id="toolu_1", name="get_weather", input={})
        ),
        a.ContentBlockDeltaEvent(index=0, delta=a.InputJsonDelta(partial_json='{"location": "Pa')),
        a.ContentBlockDeltaEvent(index=0, delta=a.InputJsonDelta(partial_json='ris"}')),
        a.ContentBlockStopEvent(index=0),
        a.MessageDeltaEvent(
            delta=a.MessageDelta(stop_reason="tool_use"), usage=a.MessageDeltaUsage(output_tokens=31)
        ),
        a.MessageStopEvent(),
    ]


_WIRE_EXAMPLE = [
    {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [], "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"location": "Pa'}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": 'ris"}'}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 31}},
    {"type": "message_stop"},
]  # fmt: skip


def test_stream_events_encode_exactly_the_documented_wire_example() -> None:
    assert [json.loads(msgspec.json.encode(e)) for e in _tool_use_stream()] == _WIRE_EXAMPLE


def test_event_name_equals_the_payload_type() -> None:
    for event in [*_tool_use_stream(), a.PingEvent(), a.error_for_status(529, "Overloaded")]:
        assert a.event_name(event) == json.loads(msgspec.json.encode(event))["type"]


def test_stream_events_decode_back_to_the_same_structs() -> None:
    decoder = decoder_for(a.StreamEvent)  # type: ignore[arg-type]
    events = _tool_use_stream()
    assert [decoder.decode(msgspec.json.encode(e)) for e in events] == events


def test_empty_thinking_block_start_keeps_empty_thinking_and_signature() -> None:
    event = a.ContentBlockStartEvent(index=0, content_block=a.ThinkingBlock(thinking="", signature=""))
    assert json.loads(msgspec.json.encode(event))["content_block"] == {
        "type": "thinking",
        "thinking": "",
        "signature": "",
    }


def test_usage_cache_fields_appear_only_when_set() -> None:
    assert json.loads(msgspec.json.encode(a.Usage(input_tokens=3, output_tokens=4))) == {
        "input_tokens": 3,
        "output_tokens": 4,
    }
    usage = a.Usage(
        input_tokens=3, output_tokens=4, cache_read_input_tokens=100, cache_creation_input_tokens=0
    )
    assert json.loads(msgspec.json.encode(usage))["cache_read_input_tokens"] == 100


def test_sdk_parses_a_non_streaming_message() -> None:
    message = a.Message(
        id="msg_9",
        model="claude-x",
        content=[
            a.ThinkingBlock(thinking="Let me look.", signature="sig"),
            a.TextBlock(text="Calling the tool."),
            a.ToolUseBlock(id="toolu_9", name="get_weather", input={"city": "Paris"}),
        ],
        stop_reason="tool_use",
        usage=a.Usage(input_tokens=10, output_tokens=20),
    )
    body = msgspec.json.encode(message)
    client = anthropic_client(
        lambda request: httpx2.Response(200, content=body, headers={"request-id": "req_1"})
    )

    result = client.messages.create(**_REQUEST)  # type: ignore[arg-type]

    assert result.id == "msg_9" and result.stop_reason == "tool_use" and result.stop_sequence is None
    assert [block.type for block in result.content] == ["thinking", "text", "tool_use"]
    assert result.content[2].input == {"city": "Paris"}  # type: ignore[union-attr]
    assert (result.usage.input_tokens, result.usage.output_tokens) == (10, 20)
    assert result._request_id == "req_1"


def test_sdk_stream_helper_accumulates_our_events() -> None:
    events = _tool_use_stream()
    events.insert(2, a.PingEvent())
    body = sse([(a.event_name(e), msgspec.json.encode(e)) for e in events])
    client = anthropic_client(
        lambda request: httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    )

    with client.messages.stream(**_REQUEST) as stream:  # type: ignore[arg-type]
        final = stream.get_final_message()

    assert final.stop_reason == "tool_use" and final.usage.output_tokens == 31
    assert final.content[0].type == "tool_use" and final.content[0].input == {"location": "Paris"}


@pytest.mark.parametrize(
    ("status", "error_type", "sdk_error"),
    [
        (400, "invalid_request_error", anthropic.BadRequestError),
        (401, "authentication_error", anthropic.AuthenticationError),
        (402, "billing_error", anthropic.PaymentRequiredError),
        (403, "permission_error", anthropic.PermissionDeniedError),
        (404, "not_found_error", anthropic.NotFoundError),
        (413, "request_too_large", anthropic.ContentTooLargeError),
        (429, "rate_limit_error", anthropic.RateLimitError),
        (500, "api_error", anthropic.InternalServerError),
        (504, "timeout_error", anthropic.GatewayTimeoutError),
        (529, "overloaded_error", anthropic.OverloadedError),
    ],
)
def test_error_body_for_each_status_follows_the_table_and_the_sdk_maps_it(
    status: int, error_type: str, sdk_error: type[Exception]
) -> None:
    error = a.error_for_status(status, "something went wrong", request_id="req_42")
    body = msgspec.json.encode(error)
    assert json.loads(body) == {
        "type": "error",
        "error": {"type": error_type, "message": "something went wrong"},
        "request_id": "req_42",
    }
    client = anthropic_client(lambda request: httpx2.Response(status, content=body))
    with pytest.raises(sdk_error) as info:
        client.messages.create(**_REQUEST)  # type: ignore[arg-type]
    assert "something went wrong" in str(info.value)


@pytest.mark.parametrize(("status", "error_type"), [(418, "invalid_request_error"), (503, "api_error")])
def test_unlisted_statuses_fall_back_by_class(status: int, error_type: str) -> None:
    assert a.error_type_for_status(status) == error_type


def test_error_without_request_id_omits_it_and_type_can_be_overridden() -> None:
    error = a.error_for_status(200, "Overloaded", error_type="overloaded_error")
    assert json.loads(msgspec.json.encode(error)) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


def test_count_tokens_response_and_models_list_shapes() -> None:
    assert msgspec.json.encode(a.CountTokensResponse(input_tokens=7)) == b'{"input_tokens":7}'
    models = a.ModelList(
        data=[
            a.ModelInfo(
                id="claude-sonnet-4-5", display_name="Claude Sonnet 4.5", created_at="2025-09-29T00:00:00Z"
            )
        ],
        first_id="claude-sonnet-4-5",
        last_id="claude-sonnet-4-5",
    )
    assert json.loads(msgspec.json.encode(models))["data"][0]["type"] == "model"
