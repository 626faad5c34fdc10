"""OpenAI Chat Completions request bodies (client-apis.md §2.1), including the openai SDK's own bytes."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import msgspec
import pytest
from schemas_sdk import Capture, openai_client

from shared.schemas import openai as o
from shared.schemas.decoding import ClientBodyError, decode_client_body, sent_fields

_OK = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "ok", "refusal": None},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}

_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "strict": True,
    },
}


def _decode(body: dict[str, Any]) -> o.ChatCompletionRequest:
    return decode_client_body(json.dumps(body).encode(), o.ChatCompletionRequest)


def _minimal(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], **extra}


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _sdk_body(**kwargs: Any) -> bytes:
    capture = Capture(httpx2.Response(200, json=_OK))
    openai_client(capture).chat.completions.create(**kwargs)
    return capture.bodies[-1]


def test_sdk_conversation_with_tool_calls_and_image_parts_decodes() -> None:
    body = _sdk_body(
        model="gpt-4o",
        messages=[
            {"role": "developer", "content": "Be terse."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this, and the weather there?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "22C"}]},
        ],
        tools=[_WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=True,
        max_completion_tokens=256,
        temperature=0.2,
        stop=["END"],
        stream=True,
        stream_options={"include_usage": True},
        user="u-1",
    )
    request = decode_client_body(body, o.ChatCompletionRequest)

    developer, user, assistant, tool_1, tool_2 = request.messages
    assert developer == o.DeveloperMessage(content="Be terse.")
    assert isinstance(user, o.UserMessage) and user.content == [
        o.TextPart(text="What is this, and the weather there?"),
        o.ImagePart(image_url=o.ImageUrl(url="data:image/png;base64,iVBORw0KGgo=", detail="low")),
    ]
    assert isinstance(assistant, o.AssistantMessage) and assistant.content is None
    assert assistant.tool_calls == [
        o.ToolCall(id="call_1", function=o.FunctionCall(name="get_weather", arguments='{"city":"Paris"}')),
        o.ToolCall(id="call_2", function=o.FunctionCall(name="get_weather", arguments='{"city":"Rome"}')),
    ]
    assert tool_1 == o.ToolMessage(tool_call_id="call_1", content="18C")
    assert tool_2 == o.ToolMessage(tool_call_id="call_2", content=[o.TextPart(text="22C")])

    assert request.tools is not None and isinstance(request.tools[0], o.FunctionTool)
    assert request.tools[0].function.strict is True and request.tools[0].function.parameters is not None
    assert request.tool_choice == o.NamedToolChoice(function=o.NamedFunction(name="get_weather"))
    assert (request.max_completion_tokens, request.temperature, request.stop) == (256, 0.2, ["END"])
    assert request.stream is True and request.stream_options == o.StreamOptions(include_usage=True)
    # Re-encoding drops only the explicit nulls the client sent (assistant ``content: null``).
    assert json.loads(msgspec.json.encode(request)) == _without_nulls(json.loads(body))


def test_sdk_request_with_every_sampling_and_format_parameter_decodes() -> None:
    body = _sdk_body(
        model="gpt-4o",
        messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "hi", "name": "alice"}],
        max_tokens=50,
        n=2,
        top_p=0.5,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        logit_bias={"50256": -100},
        logprobs=True,
        top_logprobs=3,
        seed=7,
        stop="END",
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
        },
        reasoning_effort="low",
        metadata={"k": "v"},
        store=False,
        service_tier="auto",
    )
    request = decode_client_body(body, o.ChatCompletionRequest)

    assert request.messages[1] == o.UserMessage(content="hi", name="alice")
    assert (request.max_tokens, request.n, request.stop, request.seed) == (50, 2, "END", 7)
    assert request.logit_bias == {"50256": -100.0} and request.logprobs is True and request.top_logprobs == 3
    assert request.response_format == o.ResponseFormatJsonSchema(
        json_schema=o.JsonSchemaFormat(name="answer", schema={"type": "object"}, strict=True)
    )
    assert set(sent_fields(request)) >= {
        "n",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "response_format",
        "seed",
    }


def test_legacy_functions_and_function_call_decode() -> None:
    request = _decode(
        _minimal(
            messages=[
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
                {"role": "function", "name": "f", "content": "done"},
            ],
            functions=[{"name": "f", "parameters": {"type": "object"}}],
            function_call={"name": "f"},
        )
    )
    assert request.functions == [o.FunctionDefinition(name="f", parameters={"type": "object"})]
    assert request.function_call == o.FunctionCallOption(name="f")
    assert request.messages[2] == o.FunctionMessage(name="f", content="done")
    assert _decode(_minimal(function_call="auto")).function_call == "auto"


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_string_tool_choices_decode(choice: str) -> None:
    assert _decode(_minimal(tool_choice=choice)).tool_choice == choice


def test_unknown_string_tool_choice_is_rejected_by_name() -> None:
    with pytest.raises(ClientBodyError, match=r"^tool_choice: Invalid enum value 'any'$"):
        _decode(_minimal(tool_choice="any"))


def test_unknown_content_part_and_tool_types_are_kept_for_rejection_by_name() -> None:
    audio = {"type": "input_audio_v2", "input_audio": {"data": "AAAA", "format": "wav"}}
    custom_tool = {"type": "custom", "custom": {"name": "grammar", "format": {"type": "text"}}}
    request = _decode(
        _minimal(
            messages=[{"role": "user", "content": [audio, {"type": "text", "text": "x"}]}],
            tools=[custom_tool],
        )
    )
    part = request.messages[0].content[0]  # type: ignore[union-attr,index]
    assert isinstance(part, o.UnknownContentPart) and part.type == "input_audio_v2"
    assert request.tools is not None and isinstance(request.tools[0], o.UnknownTool)
    assert request.tools[0].type == "custom"


def test_known_audio_file_and_refusal_parts_decode() -> None:
    request = _decode(
        _minimal(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                        {"type": "file", "file": {"file_id": "file-1"}},
                    ],
                },
                {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
            ]
        )
    )
    assert request.messages[0].content == [  # type: ignore[union-attr]
        o.InputAudioPart(input_audio=o.InputAudio(data="AAAA", format="wav")),
        o.FilePart(file=o.FileData(file_id="file-1")),
    ]
    assert request.messages[1].content == [o.RefusalPart(refusal="no")]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_minimal(messages=[]), "messages: Expected `array` of length >= 1"),
        (_minimal(messages=[{"role": "robot", "content": "x"}]), "messages[0].role: Invalid value 'robot'"),
        (_minimal(messages=[{"content": "x"}]), "messages[0]: Object missing required field `role`"),
        (_minimal(messages=[{"role": "user"}]), "messages[0]: Object missing required field `content`"),
        (
            _minimal(messages=[{"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}]),
            "messages[0].tool_calls[0]: Object missing required field `function`",
        ),
        (
            _minimal(
                messages=[
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {}}}],
                    }
                ]
            ),
            "messages[0].tool_calls[0].function.arguments: Expected `str`, got `object`",
        ),
        (_minimal(tools=[{"function": {"name": "f"}}]), "tools[0]: Object missing required field `type`"),
        (_minimal(tools=[{"type": "function"}]), "tools[0]: Object missing required field `function`"),
        (_minimal(max_tokens=0), "max_tokens: Expected `int` >= 1"),
        (_minimal(n=0), "n: Expected `int` >= 1"),
        (_minimal(stop=3), "stop: Expected `str | array | null`, got `int`"),
        (
            _minimal(
                messages=[{"role": "user", "content": [{"type": "image_url", "image_url": "https://x"}]}]
            ),
            "messages[0].content[0].image_url: Expected `object`, got `str`",
        ),
        ({"messages": [{"role": "user", "content": "x"}]}, "Object missing required field `model`"),
    ],
)
def test_invalid_bodies_are_rejected_naming_the_field(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientBodyError) as info:
        _decode(body)
    assert info.value.message == message


def test_assistant_message_may_omit_content_when_it_calls_tools() -> None:
    request = _decode(
        _minimal(
            messages=[
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
            ]
        )
    )
    assert isinstance(request.messages[1], o.AssistantMessage) and request.messages[1].content is None


def test_explicit_nulls_for_optional_parameters_are_accepted() -> None:
    request = _decode(_minimal(stream=None, temperature=None, tools=None, stop=None, n=None))
    assert request.stream is None and not request.stream
