"""The official openai SDK (3.54) reads what the conversion pair produces (client-apis.md §2.3, §3).

An in-process "gateway" sits behind ``httpx2.MockTransport``: it decodes the SDK's real request, converts
it with ``build_anthropic_request``, plays a scripted Anthropic stream through ``AnthropicToOpenAI`` (or
``collect_completion``) and answers with ``openai_chunk`` frames + ``OPENAI_DONE`` — the bytes the service
writes. Both ``create(stream=True)`` iteration and the ``.stream()`` helper are used: the helper
concatenates repeated fields, so a duplicated ``role``/``id``/``name`` shows up as ``assistantassistant``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
import orjson
import pytest
from test_openai_grammar import anthropic_events, text, thinking, tool

from services.translator.anthropic_to_openai import AnthropicToOpenAI, CompletionFailed, collect_completion
from services.translator.openai_to_anthropic import build_anthropic_request, uses_legacy_functions
from shared.schemas import anthropic as ant
from shared.schemas import openai as oai
from shared.schemas.decoding import decode_client_body
from shared.wire.openai_sse import OPENAI_DONE, openai_chunk

MESSAGES: list[Any] = [{"role": "user", "content": "Weather in Paris and Rome?"}]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

TOOL_STREAM = anthropic_events(
    thinking("The user wants ", "two cities."),
    text("Checking ", "both."),
    tool("toolu_01", "get_weather", "", '{"city": "Pa', 'ris"}'),
    tool("toolu_02", "get_weather", '{"city":', ' "Rome"}'),
    stop_reason="tool_use",
    input_tokens=25,
    output_tokens=48,
)


class FakeGateway:
    """What the translator service does for ``/v1/chat/completions``, minus the upstream."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.anthropic_request: ant.MessagesRequest | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = decode_client_body(request.read(), oai.ChatCompletionRequest)
        self.anthropic_request = build_anthropic_request(body)
        ids = {
            "completion_id": "chatcmpl-test1",
            "created": 1700000000,
            "model": body.model,
            "legacy_functions": uses_legacy_functions(body),
        }
        if not body.stream:
            try:
                return httpx2.Response(
                    200,
                    content=orjson.dumps(collect_completion(self.events, **ids)),
                    headers={"content-type": "application/json"},
                )
            except CompletionFailed as failed:
                return httpx2.Response(failed.status, content=orjson.dumps(failed.body))
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        machine = AnthropicToOpenAI(include_usage=include_usage, **ids)
        chunks = [chunk for event in self.events for chunk in machine.feed(event)] + machine.finish()
        sse = b"".join(openai_chunk(chunk) for chunk in chunks) + OPENAI_DONE
        return httpx2.Response(200, content=sse, headers={"content-type": "text/event-stream"})


def client_for(events: list[dict[str, Any]]) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="test-key",
        base_url="http://gateway.test/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(FakeGateway(events))),
    )


@pytest.mark.parametrize("include_usage", [False, True])
def test_sdk_iterates_a_text_stream(include_usage: bool) -> None:
    client = client_for(anthropic_events(text("Hello", ", ", "world."), input_tokens=5, output_tokens=4))
    options: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}
    chunks = list(
        client.chat.completions.create(model="claude-sonnet-4-5", messages=MESSAGES, stream=True, **options)
    )
    choice_chunks = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in choice_chunks) == "Hello, world."
    assert [c.choices[0].delta.role for c in choice_chunks].count("assistant") == 1
    assert choice_chunks[-1].choices[0].finish_reason == "stop"
    assert {c.id for c in chunks} == {"chatcmpl-test1"}
    if include_usage:
        assert chunks[-1].choices == [] and chunks[-1].usage is not None
        assert (
            chunks[-1].usage.prompt_tokens,
            chunks[-1].usage.completion_tokens,
            chunks[-1].usage.total_tokens,
        ) == (5, 4, 9)
    else:
        assert len(choice_chunks) == len(chunks)  # no choices: [] chunk to crash on
        assert all(c.usage is None for c in chunks)


@pytest.mark.parametrize("include_usage", [False, True])
def test_sdk_stream_helper_assembles_parallel_tool_calls_without_duplicates(include_usage: bool) -> None:
    client = client_for(TOOL_STREAM)
    options: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}
    with client.chat.completions.stream(
        model="claude-sonnet-4-5", messages=MESSAGES, tools=[WEATHER], **options
    ) as stream:
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Checking both."
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert [(c.id, c.type, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("toolu_01", "function", "get_weather", {"city": "Paris"}),
        ("toolu_02", "function", "get_weather", {"city": "Rome"}),
    ]
    assert (choice.message.model_extra or {}).get("reasoning_content") == "The user wants two cities."
    if include_usage:
        assert final.usage is not None and (final.usage.prompt_tokens, final.usage.completion_tokens) == (
            25,
            48,
        )
    else:
        assert final.usage is None


def test_sdk_stream_helper_events_report_each_tool_call_done_once_with_parsed_arguments() -> None:
    client = client_for(TOOL_STREAM)
    with client.chat.completions.stream(
        model="claude-sonnet-4-5", messages=MESSAGES, tools=[WEATHER]
    ) as stream:
        done = [e for e in stream if e.type == "tool_calls.function.arguments.done"]
    assert [(e.index, e.name, json.loads(e.arguments)) for e in done] == [
        (0, "get_weather", {"city": "Paris"}),
        (1, "get_weather", {"city": "Rome"}),
    ]


def test_sdk_create_iteration_reassembles_the_same_tool_calls() -> None:
    client = client_for(TOOL_STREAM)
    calls: dict[int, dict[str, str]] = {}
    for chunk in client.chat.completions.create(
        model="claude-sonnet-4-5", messages=MESSAGES, tools=[WEATHER], stream=True
    ):
        for piece in chunk.choices[0].delta.tool_calls or ():
            entry = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += piece.id or ""
            entry["name"] += (piece.function and piece.function.name) or ""
            entry["arguments"] += (piece.function and piece.function.arguments) or ""
    assert calls == {
        0: {"id": "toolu_01", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        1: {"id": "toolu_02", "name": "get_weather", "arguments": '{"city": "Rome"}'},
    }


def test_sdk_non_streaming_completion_equals_the_stream_helpers_assembly() -> None:
    client = client_for(TOOL_STREAM)
    completion = client.chat.completions.create(model="claude-sonnet-4-5", messages=MESSAGES, tools=[WEATHER])
    with client.chat.completions.stream(
        model="claude-sonnet-4-5", messages=MESSAGES, tools=[WEATHER], stream_options={"include_usage": True}
    ) as stream:
        streamed = stream.get_final_completion()
    assert completion.object == "chat.completion" and completion.id == streamed.id
    got, want = completion.choices[0], streamed.choices[0]
    assert got.finish_reason == want.finish_reason == "tool_calls"
    assert got.message.content == want.message.content
    assert [(c.id, c.function.name, c.function.arguments) for c in got.message.tool_calls or []] == [
        (c.id, c.function.name, c.function.arguments) for c in want.message.tool_calls or []
    ]
    assert completion.usage == streamed.usage


def test_sdk_non_streaming_tool_only_turn_has_null_content() -> None:
    client = client_for(
        anthropic_events(tool("toolu_1", "get_weather", '{"city":"Oslo"}'), stop_reason="tool_use")
    )
    completion = client.chat.completions.create(model="claude-sonnet-4-5", messages=MESSAGES, tools=[WEATHER])
    message = completion.choices[0].message
    assert message.content is None and message.refusal is None
    assert json.loads(message.tool_calls[0].function.arguments) == {"city": "Oslo"}  # type: ignore[index,union-attr]


def test_sdk_stream_helper_reads_a_tool_without_arguments_as_an_empty_object() -> None:
    client = client_for(anthropic_events(tool("toolu_1", "now"), stop_reason="tool_use"))
    with client.chat.completions.stream(
        model="claude-sonnet-4-5", messages=MESSAGES, tools=[WEATHER]
    ) as stream:
        final = stream.get_final_completion()
    assert json.loads(final.choices[0].message.tool_calls[0].function.arguments) == {}  # type: ignore[index]


def test_sdk_legacy_functions_client_gets_a_function_call() -> None:
    client = client_for(
        anthropic_events(tool("toolu_1", "get_weather", '{"city":"Oslo"}'), stop_reason="tool_use")
    )
    with client.chat.completions.stream(
        model="claude-sonnet-4-5", messages=MESSAGES, functions=[WEATHER["function"]]
    ) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "function_call"
    assert message.function_call is not None and message.function_call.name == "get_weather"
    assert json.loads(message.function_call.arguments) == {"city": "Oslo"}
    completion = client.chat.completions.create(
        model="claude-sonnet-4-5", messages=MESSAGES, functions=[WEATHER["function"]]
    )
    assert completion.choices[0].message.function_call == message.function_call


@pytest.mark.parametrize("helper", [False, True])
def test_error_chunk_mid_stream_makes_the_sdk_raise_api_error(helper: bool) -> None:
    events = [
        *TOOL_STREAM[:6],
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    ]
    client = client_for(events)
    with pytest.raises(openai.APIError) as info:
        if helper:
            with client.chat.completions.stream(model="claude-sonnet-4-5", messages=MESSAGES) as stream:
                stream.get_final_completion()
        else:
            list(client.chat.completions.create(model="claude-sonnet-4-5", messages=MESSAGES, stream=True))
    assert info.value.message == "Overloaded"
    assert info.value.type == "server_error"


def test_truncated_stream_makes_the_sdk_raise_instead_of_returning_a_partial_answer() -> None:
    client = client_for(anthropic_events(text("half an ans"))[:4])
    with pytest.raises(openai.APIError) as info:
        list(client.chat.completions.create(model="claude-sonnet-4-5", messages=MESSAGES, stream=True))
    assert "ended before" in info.value.message


def test_non_streaming_error_becomes_the_matching_sdk_status_error() -> None:
    events = [
        *TOOL_STREAM[:3],
        {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}},
    ]
    with pytest.raises(openai.RateLimitError) as info:
        client_for(events).chat.completions.create(model="claude-sonnet-4-5", messages=MESSAGES)
    assert info.value.code == "rate_limit_exceeded" and info.value.type == "rate_limit_error"
    assert info.value.body == {
        "message": "Slow down",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }
