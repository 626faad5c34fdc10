"""Anthropic request bodies as Claude Code and the Python SDK really send them (client-apis.md §1.1, §4.2)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import msgspec
import pytest
from schemas_claude_code import claude_code_body, claude_code_bytes
from schemas_sdk import Capture, anthropic_client

from shared.schemas import anthropic as a
from shared.schemas.decoding import ClientBodyError, decode_client_body

_OK_MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m",
    "content": [{"type": "text", "text": "ok"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}


def _decode(body: dict[str, Any]) -> a.MessagesRequest:
    return decode_client_body(json.dumps(body).encode(), a.MessagesRequest)


def _minimal(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], **extra}


# -- Claude Code --------------------------------------------------------------------------------------------


def test_claude_code_request_decodes_into_typed_members() -> None:
    request = decode_client_body(claude_code_bytes(), a.MessagesRequest)

    assert (request.model, request.max_tokens, request.stream) == ("claude-opus-4-8", 64000, True)
    assert isinstance(request.thinking, a.ThinkingAdaptive)
    assert request.output_config == a.OutputConfig(effort="high")
    assert request.context_management == {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}
    assert request.metadata is not None and "session_id" in json.loads(request.metadata.user_id or "")
    assert request.tool_choice is None and request.temperature is None

    assert isinstance(request.system, list) and len(request.system) == 3
    assert [block.cache_control for block in request.system] == [
        None,
        a.CacheControl(type="ephemeral"),
        a.CacheControl(type="ephemeral"),
    ]

    assert request.tools is not None and len(request.tools) == 24
    bash = request.tools[1]
    assert isinstance(bash, a.CustomTool) and bash.name == "Bash"
    assert bash.input_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert bash.input_schema["additionalProperties"] is False


def test_claude_code_conversation_keeps_every_turn_and_block_type() -> None:
    request = decode_client_body(claude_code_bytes(), a.MessagesRequest)

    assert [m.role for m in request.messages] == ["user", "system", "assistant", "user"]
    first, system, assistant, tool_turn = request.messages
    assert isinstance(first.content, list) and first.content[-1] == a.TextBlock(
        text="Run `echo hi` and tell me what it printed.", cache_control=a.CacheControl(type="ephemeral")
    )
    assert system.content == "Available agent types: general-purpose, Explore, Plan."

    assert isinstance(assistant.content, list)
    thinking, text, tool_use = assistant.content
    assert isinstance(thinking, a.ThinkingBlock) and thinking.signature.startswith("EqQBCkYI")
    assert text == a.TextBlock(text="I'll run that command.")
    assert tool_use == a.ToolUseBlock(
        id="toolu_01A09q90qw90lq917835lq9",
        name="Bash",
        input={"command": "echo hi", "description": "Print hi"},
    )

    assert tool_turn.content == [
        a.ToolResultBlock(
            tool_use_id="toolu_01A09q90qw90lq917835lq9",
            content="hi",
            is_error=False,
            cache_control=a.CacheControl(type="ephemeral"),
        )
    ]


@pytest.mark.parametrize("sonnet", [False, True], ids=["opus-adaptive", "sonnet-enabled"])
def test_claude_code_request_reencodes_to_the_same_json(sonnet: bool) -> None:
    body = claude_code_bytes(sonnet=sonnet)
    request = decode_client_body(body, a.MessagesRequest)
    assert json.loads(msgspec.json.encode(request)) == json.loads(body)


def test_claude_code_sonnet_variant_sends_budgeted_thinking() -> None:
    request = decode_client_body(claude_code_bytes(sonnet=True), a.MessagesRequest)
    assert request.thinking == a.ThinkingEnabled(budget_tokens=31999)
    assert request.max_tokens == 32000 and request.output_config is None


def test_claude_code_title_request_with_no_tools_and_structured_output_decodes() -> None:
    body = claude_code_body()
    body.update(
        tools=[],
        thinking={"type": "disabled"},
        output_config={
            "format": {"type": "json_schema", "schema": {"type": "object", "properties": {"title": {}}}}
        },
    )
    request = _decode(body)
    assert request.tools == [] and isinstance(request.thinking, a.ThinkingDisabled)
    assert request.output_config is not None and request.output_config.format is not None


def test_claude_code_count_tokens_call_decodes_without_max_tokens() -> None:
    body = {
        "model": "claude-opus-4-8",
        "messages": [{"role": "user", "content": "foo"}],
        "tools": [claude_code_body()["tools"][0]],
    }
    request = decode_client_body(json.dumps(body).encode(), a.CountTokensRequest)
    assert request.messages == [a.MessageParam(role="user", content="foo")]
    assert not isinstance(request, a.MessagesRequest)


def test_messages_request_is_a_count_tokens_request() -> None:
    assert isinstance(_decode(_minimal()), a.CountTokensRequest)


def test_count_tokens_body_is_not_enough_for_messages() -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "foo"}]}).encode()
    with pytest.raises(ClientBodyError, match="missing required field `max_tokens`"):
        decode_client_body(body, a.MessagesRequest)


# -- the Python SDK's own bodies ------------------------------------------------------------------------------


def _sdk_body(call: Any) -> bytes:
    capture = Capture(httpx2.Response(200, json=_OK_MESSAGE))
    call(anthropic_client(capture))
    return capture.bodies[-1]


def test_python_sdk_request_with_image_tools_and_thinking_decodes() -> None:
    body = _sdk_body(
        lambda client: client.messages.create(
            model="claude-test",
            max_tokens=1024,
            system=[
                {"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
            ],
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                        },
                        {"type": "text", "text": "What is in this image?"},
                    ],
                }
            ],
            tools=[
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "input_schema": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                },
                {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            ],
            tool_choice={"type": "auto", "disable_parallel_tool_use": True},
            thinking={"type": "enabled", "budget_tokens": 2048},
            stop_sequences=["END"],
            metadata={"user_id": "user-1"},
        )
    )
    request = decode_client_body(body, a.MessagesRequest)

    image, text = request.messages[0].content  # type: ignore[misc]
    assert image == a.ImageBlock(source=a.Base64Source(media_type="image/png", data="iVBORw0KGgo="))
    assert text == a.TextBlock(text="What is in this image?")
    assert request.system == [
        a.TextBlock(text="Be terse.", cache_control=a.CacheControl(type="ephemeral", ttl="1h"))
    ]
    assert request.tool_choice == a.ToolChoiceAuto(disable_parallel_tool_use=True)
    assert request.thinking == a.ThinkingEnabled(budget_tokens=2048)
    assert request.stop_sequences == ["END"] and request.metadata == a.Metadata(user_id="user-1")
    assert request.stream is False
    assert request.tools is not None
    custom, server = request.tools
    assert isinstance(custom, a.CustomTool) and custom.description == "Weather for a city"
    assert isinstance(server, a.ServerTool)
    assert (server.type, server.name, server["max_uses"]) == ("web_search_20250305", "web_search", 3)
    assert json.loads(msgspec.json.encode(request)) == json.loads(body)


def test_python_sdk_streaming_and_count_tokens_bodies_decode() -> None:
    capture = Capture(httpx2.Response(200, json={"input_tokens": 5}))
    client = anthropic_client(capture)
    client.messages.count_tokens(model="m", messages=[{"role": "user", "content": "hi"}], system="s")
    count = decode_client_body(capture.bodies[-1], a.CountTokensRequest)
    assert (count.system, capture.paths[-1]) == ("s", "/v1/messages/count_tokens")

    capture.response = httpx2.Response(200, text="", headers={"content-type": "text/event-stream"})
    client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert decode_client_body(capture.bodies[-1], a.MessagesRequest).stream is True


def test_python_sdk_tool_round_trip_turns_decode() -> None:
    body = _sdk_body(
        lambda client: client.messages.create(
            model="m",
            max_tokens=100,
            messages=[
                {"role": "user", "content": "Weather in Paris?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Checking."},
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_1",
                            "content": [{"type": "text", "text": "18C"}],
                            "is_error": False,
                        }
                    ],
                },
            ],
        )
    )
    request = decode_client_body(body, a.MessagesRequest)
    result = request.messages[2].content[0]  # type: ignore[index]
    assert result == a.ToolResultBlock(
        tool_use_id="toolu_1", content=[a.TextBlock(text="18C")], is_error=False
    )


# -- tolerance ------------------------------------------------------------------------------------------------


def test_unknown_block_types_are_kept_raw_and_reencode_unchanged() -> None:
    search_result = {
        "type": "search_result",
        "source": "https://example.com",
        "title": "T",
        "content": [{"type": "text", "text": "found"}],
    }
    mcp = {"type": "mcp_tool_use", "id": "mcptoolu_1", "name": "x", "server_name": "s", "input": {}}
    body = _minimal(
        messages=[
            {"role": "user", "content": [search_result, {"type": "text", "text": "ok"}]},
            {"role": "assistant", "content": [mcp]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t",
                        "content": [{"type": "tool_reference", "tool_name": "x"}],
                    }
                ],
            },
        ]
    )
    request = _decode(body)

    unknown, text = request.messages[0].content  # type: ignore[misc]
    assert isinstance(unknown, a.UnknownBlock) and isinstance(unknown, a.ContentBlock)
    assert unknown.type == "search_result" and unknown == search_result
    assert text == a.TextBlock(text="ok")
    assert request.messages[1].content == [mcp]
    nested = request.messages[2].content[0]  # type: ignore[index]
    assert isinstance(nested, a.ToolResultBlock) and isinstance(nested.content[0], a.UnknownBlock)
    assert json.loads(msgspec.json.encode(request)) == body


@pytest.mark.parametrize(
    "block",
    [
        {"type": "text", "text": "t"},
        {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
        },
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "plain"},
            "title": "t",
        },
        {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "c"}]}},
        {"type": "document", "source": {"type": "file", "file_id": "file_1"}},
        {"type": "tool_use", "id": "toolu_1", "name": "n", "input": {}},
        {"type": "tool_result", "tool_use_id": "toolu_1"},
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}},
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srvtoolu_1",
            "content": [{"type": "web_search_result", "url": "u"}],
        },
    ],
    ids=lambda block: f"{block['type']}:{block.get('source', {}).get('type', '-')}",
)
def test_every_known_block_type_decodes_with_cache_control_and_reencodes(block: dict[str, Any]) -> None:
    with_cache = {**block, "cache_control": {"type": "ephemeral"}}
    request = _decode(_minimal(messages=[{"role": "user", "content": [with_cache]}]))
    decoded = request.messages[0].content[0]  # type: ignore[index]
    assert not isinstance(decoded, a.UnknownBlock)
    assert decoded.cache_control == a.CacheControl(type="ephemeral")  # type: ignore[union-attr]
    assert json.loads(msgspec.json.encode(decoded)) == with_cache


def test_tool_result_without_content_decodes_as_empty_string() -> None:
    request = _decode(
        _minimal(messages=[{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}]}])
    )
    assert request.messages[0].content == [a.ToolResultBlock(tool_use_id="t", content="")]


def test_custom_tool_may_say_type_custom() -> None:
    request = _decode(_minimal(tools=[{"type": "custom", "name": "f", "input_schema": {"type": "object"}}]))
    assert request.tools == [a.CustomTool(name="f", input_schema={"type": "object"}, type="custom")]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, a.ToolChoiceAuto()),
        ({"type": "any", "disable_parallel_tool_use": True}, a.ToolChoiceAny(disable_parallel_tool_use=True)),
        ({"type": "none"}, a.ToolChoiceNone()),
        ({"type": "tool", "name": "get_weather"}, a.ToolChoiceTool(name="get_weather")),
    ],
)
def test_tool_choice_variants_decode(choice: dict[str, Any], expected: object) -> None:
    assert _decode(_minimal(tool_choice=choice)).tool_choice == expected


def test_tool_choice_tool_requires_a_name() -> None:
    with pytest.raises(ClientBodyError, match=r"^tool_choice: Object missing required field `name`$"):
        _decode(_minimal(tool_choice={"type": "tool"}))


def test_unknown_thinking_mode_is_kept_raw() -> None:
    request = _decode(_minimal(thinking={"type": "telepathic", "depth": 3}))
    assert isinstance(request.thinking, a.UnknownThinking)
    assert (request.thinking.type, request.thinking["depth"]) == ("telepathic", 3)


def test_between_tools_thinking_from_sdk_2_12_decodes() -> None:
    assert isinstance(_decode(_minimal(thinking={"type": "between_tools"})).thinking, a.ThinkingBetweenTools)


def test_system_as_plain_string_and_sampling_parameters_decode() -> None:
    request = _decode(
        _minimal(system="You are terse.", temperature=0, top_p=0.9, top_k=40, service_tier="auto")
    )
    assert (request.system, request.temperature, request.top_p, request.top_k) == (
        "You are terse.",
        0.0,
        0.9,
        40,
    )
    assert request.service_tier == "auto"


def test_decoded_request_reencodes_without_nulls_or_defaults() -> None:
    encoded = msgspec.json.encode(_decode(_minimal()))
    assert json.loads(encoded) == _minimal()
    assert b"null" not in encoded
