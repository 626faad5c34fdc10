"""OpenAI chat messages → Anthropic system and turns (client-apis.md §2.1 in, §1.1 out)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from services.translator.errors import ConversionError
from services.translator.openai_to_anthropic import build_anthropic_request
from shared.schemas import anthropic as ant
from shared.schemas import openai as oai
from shared.schemas.decoding import decode_client_body

PNG = "iVBORw0KGgo="


def convert(messages: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    """The Anthropic request for ``messages`` as wire JSON, after checking it decodes as an Anthropic body."""
    body = json.dumps({"model": "claude-sonnet-4-5", "messages": messages, **options}).encode()
    request = decode_client_body(body, oai.ChatCompletionRequest)
    wire = msgspec.json.encode(build_anthropic_request(request))
    decode_client_body(wire, ant.MessagesRequest)  # the result is a valid Anthropic request
    return json.loads(wire)


def refusal(messages: list[dict[str, Any]], **options: Any) -> ConversionError:
    with pytest.raises(ConversionError) as info:
        convert(messages, **options)
    return info.value


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


# -- system and developer ----------------------------------------------------------------------------------


def test_leading_system_and_developer_messages_become_the_system_blocks_in_order() -> None:
    result = convert(
        [
            {"role": "system", "content": "You are terse."},
            {
                "role": "developer",
                "content": [
                    {"type": "text", "text": "Use metric units."},
                    {"type": "text", "text": "No emoji."},
                ],
            },
            user("hi"),
        ]
    )
    assert result["system"] == [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": "Use metric units."},
        {"type": "text", "text": "No emoji."},
    ]
    assert result["messages"] == [{"role": "user", "content": "hi"}]


def test_system_message_after_the_conversation_started_stays_in_place_as_a_system_turn() -> None:
    result = convert(
        [
            {"role": "system", "content": "Be helpful."},
            user("hi"),
            {"role": "assistant", "content": "Hello!"},
            {"role": "developer", "content": "From now on answer in French."},
            user("How are you?"),
        ]
    )
    assert result["system"] == [{"type": "text", "text": "Be helpful."}]
    assert result["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "system", "content": "From now on answer in French."},
        {"role": "user", "content": "How are you?"},
    ]


def test_system_message_with_a_non_text_part_is_refused() -> None:
    error = refusal(
        [
            {
                "role": "system",
                "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}],
            },
            user("hi"),
        ]
    )
    assert error.param == "messages[0].content[0]" and "image_url" in error.message


def test_name_members_are_dropped() -> None:
    result = convert(
        [
            {"role": "system", "content": "s", "name": "boss"},
            {"role": "user", "content": "hi", "name": "ann"},
            {"role": "assistant", "content": "yo", "name": "bot"},
        ]
    )
    assert result["messages"] == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]


# -- user content --------------------------------------------------------------------------------------------


def test_user_text_and_data_url_images_become_blocks() -> None:
    result = convert(
        [
            user(
                [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"},
                    },
                ]
            )
        ]
    )
    assert result["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("declared", "media_type"),
    [
        ("image/jpeg", "image/jpeg"),
        ("image/jpg", "image/jpeg"),
        ("IMAGE/PNG", "image/png"),
        ("image/gif", "image/gif"),
        ("image/webp", "image/webp"),
    ],
)
def test_image_media_type_comes_from_the_data_url(declared: str, media_type: str) -> None:
    result = convert([user([{"type": "image_url", "image_url": {"url": f"data:{declared};base64,{PNG}"}}])])
    assert result["messages"][0]["content"][0]["source"]["media_type"] == media_type


@pytest.mark.parametrize(
    "url", ["https://example.com/cat.png", "http://example.com/cat.png", "HTTPS://EXAMPLE.COM/x"]
)
def test_remote_image_url_is_refused_with_advice(url: str) -> None:
    error = refusal(
        [user([{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": url}}])]
    )
    assert error.param == "messages[0].content[1].image_url"
    assert error.message == (
        "messages[0].content[1].image_url: remote URLs are not fetched by this gateway; "
        "send the image as a data: URL"
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("data:image/bmp;base64,AAAA", "image/bmp"),
        ("data:image/svg+xml;base64,AAAA", "image/svg+xml"),
        ("data:image/png,rawbytes", "base64"),
        ("data:image/png;base64,", "no image data"),
        ("file:///etc/passwd", "data: URL"),
    ],
)
def test_unusable_image_urls_are_refused_naming_the_part(url: str, words: str) -> None:
    error = refusal([user([{"type": "image_url", "image_url": {"url": url}}])])
    assert error.param == "messages[0].content[0].image_url" and words in error.message


@pytest.mark.parametrize(
    ("part", "kind"),
    [
        ({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}, "input_audio"),
        ({"type": "file", "file": {"file_id": "file-1"}}, "file"),
        ({"type": "refusal", "refusal": "no"}, "refusal"),
        ({"type": "video_url", "video_url": {"url": "x"}}, "video_url"),
    ],
)
def test_other_user_part_types_are_refused_by_name(part: dict[str, Any], kind: str) -> None:
    error = refusal([user([{"type": "text", "text": "hi"}, part])])
    assert error.param == "messages[0].content[1]" and f"`{kind}`" in error.message


def test_empty_text_parts_and_empty_messages_are_skipped() -> None:
    result = convert(
        [
            user(""),
            user([{"type": "text", "text": ""}, {"type": "text", "text": "hi"}]),
            {"role": "assistant", "content": ""},
            {"role": "system", "content": ""},
        ]
    )
    assert result["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


@pytest.mark.parametrize(
    "messages",
    [[user("")], [{"role": "system", "content": "only instructions"}], [user([])]],
    ids=["empty-user", "system-only", "no-parts"],
)
def test_a_request_without_any_conversational_content_is_refused(messages: list[dict[str, Any]]) -> None:
    assert refusal(messages).param == "messages"


# -- assistant and tools ----------------------------------------------------------------------------------------


def test_assistant_text_and_tool_calls_become_text_and_tool_use_blocks() -> None:
    result = convert(
        [
            user("Weather in Paris and Rome?"),
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    call("call_1", "get_weather", '{"city": "Paris"}'),
                    call("call_2", "get_weather", '{"city": "Rome"}'),
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "21C"}]},
            user("Thanks"),
        ]
    )
    assert result["messages"] == [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "call_2",
                    "content": [{"type": "text", "text": "21C"}],
                },
            ],
        },
        {"role": "user", "content": "Thanks"},
    ]


def test_assistant_with_null_content_and_tool_calls_has_only_tool_use_blocks() -> None:
    result = convert(
        [
            user("now?"),
            {"role": "assistant", "content": None, "tool_calls": [call("c1", "now", "")]},
            {"role": "tool", "tool_call_id": "c1", "content": "noon"},
        ]
    )
    assert result["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "c1", "name": "now", "input": {}}],
    }


def test_assistant_refusal_and_text_parts_are_kept_as_text() -> None:
    result = convert(
        [
            user("x"),
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "I "}, {"type": "refusal", "refusal": "can't"}],
            },
            user("y"),
            {"role": "assistant", "content": None, "refusal": "No."},
        ]
    )
    assert result["messages"][1]["content"] == [
        {"type": "text", "text": "I "},
        {"type": "text", "text": "can't"},
    ]
    assert result["messages"][3]["content"] == [{"type": "text", "text": "No."}]


@pytest.mark.parametrize(
    ("arguments", "words"), [('{"city": "Par', "not valid JSON"), ('["a"]', "JSON object")]
)
def test_tool_call_arguments_that_are_not_a_json_object_are_refused_naming_the_call(
    arguments: str, words: str
) -> None:
    error = refusal(
        [
            user("x"),
            {"role": "assistant", "tool_calls": [call("c0", "ok", "{}"), call("call_9", "f", arguments)]},
            {"role": "tool", "tool_call_id": "c0", "content": "."},
            {"role": "tool", "tool_call_id": "call_9", "content": "."},
        ]
    )
    assert error.param == "messages[1].tool_calls[1].function.arguments"
    assert "`call_9` (`f`)" in error.message and words in error.message


def test_tool_message_answering_no_pending_call_is_refused() -> None:
    error = refusal([user("x"), {"role": "tool", "tool_call_id": "call_404", "content": "?"}])
    assert error.param == "messages[1].tool_call_id" and "call_404" in error.message


def test_tool_call_left_unanswered_before_the_next_user_message_is_refused() -> None:
    error = refusal(
        [
            user("x"),
            {"role": "assistant", "tool_calls": [call("c1", "f", "{}"), call("c2", "f", "{}")]},
            {"role": "tool", "tool_call_id": "c1", "content": "."},
            user("go on"),
        ]
    )
    assert error.param == "messages[1].tool_calls[1]" and "c2" in error.message


def test_tool_call_left_unanswered_at_the_end_is_refused() -> None:
    error = refusal([user("x"), {"role": "assistant", "tool_calls": [call("c1", "f", "{}")]}])
    assert error.param == "messages[1].tool_calls[0]"


def test_tool_message_with_an_image_part_is_refused() -> None:
    error = refusal(
        [
            user("x"),
            {"role": "assistant", "tool_calls": [call("c1", "f", "{}")]},
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}],
            },
        ]
    )
    assert error.param == "messages[2].content[0]"


def test_legacy_function_call_and_function_message_pair_up_as_tool_use_and_tool_result() -> None:
    result = convert(
        [
            user("Weather?"),
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
            },
            {"role": "function", "name": "get_weather", "content": "-3C"},
        ]
    )
    assert result["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "call_legacy_1", "name": "get_weather", "input": {"city": "Oslo"}}
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "call_legacy_1", "content": "-3C"}],
        },
    ]


def test_function_message_without_a_matching_function_call_is_refused() -> None:
    error = refusal([user("x"), {"role": "function", "name": "get_weather", "content": "?"}])
    assert error.param == "messages[1].name"


def test_assistant_audio_reference_is_refused() -> None:
    error = refusal([user("x"), {"role": "assistant", "content": "hi", "audio": {"id": "audio_1"}}])
    assert error.param == "messages[1].audio"


def test_sdk_sent_conversation_converts_to_the_expected_anthropic_request() -> None:
    """Golden: the body the openai SDK writes for a tool round trip, end to end."""
    import httpx2
    import openai

    bodies: list[bytes] = []

    def capture(request: httpx2.Request) -> httpx2.Response:
        bodies.append(request.read())
        return httpx2.Response(500, json={"error": {"message": "captured", "type": "server_error"}})

    client = openai.OpenAI(
        api_key="k",
        base_url="http://gateway.test/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(capture)),
    )
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="claude-sonnet-4-5",
            messages=[
                {"role": "developer", "content": "Answer briefly."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What's in the image, and the weather there?"},
                        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{PNG}"}},
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
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
            ],
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Current weather",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                        },
                        "strict": True,
                    },
                }
            ],
            tool_choice="auto",
            parallel_tool_calls=False,
            max_completion_tokens=512,
            temperature=0.2,
            stop=["\n\nEND"],
            stream=True,
            stream_options={"include_usage": True},
            user="user-7",
            seed=42,
        )
    request = decode_client_body(bodies[0], oai.ChatCompletionRequest)
    assert json.loads(msgspec.json.encode(build_anthropic_request(request))) == {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": "Answer briefly."}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What's in the image, and the weather there?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": PNG}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "18C and sunny"}],
            },
        ],
        "tools": [
            {
                "name": "get_weather",
                "description": "Current weather",
                "input_schema": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            }
        ],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
        "max_tokens": 512,
        "stream": True,
        "stop_sequences": ["\n\nEND"],
        "temperature": 0.2,
        "metadata": {"user_id": "user-7"},
    }
