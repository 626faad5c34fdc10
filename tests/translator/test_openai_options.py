"""OpenAI request options → Anthropic request options: mapped, refused by name, or ignored on purpose."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from services.translator.errors import ConversionError
from services.translator.openai_to_anthropic import build_anthropic_request, uses_legacy_functions
from shared.schemas import anthropic as ant
from shared.schemas import openai as oai
from shared.schemas.decoding import decode_client_body

MESSAGES = [{"role": "user", "content": "hi"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def decode(**options: Any) -> oai.ChatCompletionRequest:
    body = {"model": "claude-sonnet-4-5", "messages": MESSAGES, **options}
    return decode_client_body(json.dumps(body).encode(), oai.ChatCompletionRequest)


def convert(default_max_tokens: int = 4096, **options: Any) -> dict[str, Any]:
    wire = msgspec.json.encode(
        build_anthropic_request(decode(**options), default_max_tokens=default_max_tokens)
    )
    decode_client_body(wire, ant.MessagesRequest)
    return json.loads(wire)


def refusal(**options: Any) -> ConversionError:
    with pytest.raises(ConversionError) as info:
        convert(**options)
    assert info.value.status == 400 and info.value.error_type == "invalid_request_error"
    return info.value


def test_minimal_request_golden() -> None:
    assert convert() == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 4096,
    }


# -- refused, naming the option ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"logprobs": True, "top_logprobs": 3}, "logprobs"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}},
            "response_format",
        ),
        ({"audio": {"voice": "alloy", "format": "wav"}, "modalities": ["text", "audio"]}, "audio"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"web_search_options": {}}, "web_search_options"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    ],
)
def test_unsupported_option_is_refused_naming_it(options: dict[str, Any], param: str) -> None:
    error = refusal(**options)
    assert error.param == param and error.message.startswith(f"{param}: ")


# -- accepted and ignored --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"seed": 7},
        {"presence_penalty": 0.5},
        {"frequency_penalty": -1.0},
        {"prediction": {"type": "content", "content": "old text"}},
        {"service_tier": "auto"},
        {"store": True},
        {"metadata": {"team": "a"}},
        {"verbosity": "low"},
        {"prompt_cache_key": "k"},
        {"n": 1},
        {"logprobs": False},
        {"top_logprobs": 0},
        {"logit_bias": {}},
        {"response_format": {"type": "text"}},
        {"modalities": ["text"]},
        {"stream_options": {"include_usage": True, "include_obfuscation": False}},
        {"reasoning_effort": "minimal"},
        {"reasoning_effort": "none"},
    ],
    ids=lambda options: next(iter(options)) + "=" + json.dumps(next(iter(options.values()))),
)
def test_best_effort_hints_are_accepted_and_change_nothing(options: dict[str, Any]) -> None:
    assert convert(**options) == convert()


# -- mapped -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "max_tokens"),
    [
        ({}, 4096),
        ({"max_tokens": 300}, 300),
        ({"max_completion_tokens": 200}, 200),
        ({"max_tokens": 300, "max_completion_tokens": 200}, 200),
    ],
)
def test_max_completion_tokens_wins_over_max_tokens_which_wins_over_the_default(
    options: dict, max_tokens: int
) -> None:
    assert convert(**options)["max_tokens"] == max_tokens


def test_default_max_tokens_is_the_callers() -> None:
    assert convert(default_max_tokens=1000)["max_tokens"] == 1000


@pytest.mark.parametrize(("temperature", "expected"), [(0, 0), (0.7, 0.7), (1, 1), (1.6, 1.0), (2, 1.0)])
def test_temperature_passes_through_clamped_to_anthropics_range(temperature: float, expected: float) -> None:
    assert convert(temperature=temperature)["temperature"] == expected


def test_top_p_passes_through() -> None:
    assert convert(top_p=0.9)["top_p"] == 0.9


@pytest.mark.parametrize(
    ("stop", "sequences"),
    [
        ("END", ["END"]),
        (["a", "b"], ["a", "b"]),
        (["\n"], ["\n"]),
        (["", "x"], ["x"]),
        ([], None),
        ("", None),
    ],
)
def test_stop_becomes_stop_sequences(stop: Any, sequences: list[str] | None) -> None:
    assert convert(stop=stop).get("stop_sequences") == sequences


@pytest.mark.parametrize(("stream", "expected"), [(True, True), (False, False), (None, False)])
def test_stream_flag_is_kept(stream: bool | None, expected: bool) -> None:
    assert build_anthropic_request(decode(stream=stream)).stream is expected


def test_user_becomes_metadata_user_id_and_safety_identifier_is_the_fallback() -> None:
    assert convert(user="u1")["metadata"] == {"user_id": "u1"}
    assert convert(safety_identifier="s1")["metadata"] == {"user_id": "s1"}
    assert convert(user="u1", safety_identifier="s1")["metadata"] == {"user_id": "u1"}


# -- tools -------------------------------------------------------------------------------------------------------


def test_function_tools_become_custom_tools() -> None:
    result = convert(
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather now",
                    "strict": True,
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                        "additionalProperties": False,
                    },
                },
            },
            {"type": "function", "function": {"name": "now"}},
            {
                "type": "function",
                "function": {"name": "echo", "parameters": {"properties": {"s": {"type": "string"}}}},
            },
        ]
    )
    assert result["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather now",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
        {"name": "now", "input_schema": {"type": "object", "properties": {}}},
        {"name": "echo", "input_schema": {"type": "object", "properties": {"s": {"type": "string"}}}},
    ]
    assert "tool_choice" not in result


def test_legacy_functions_become_tools_with_one_call_per_turn() -> None:
    result = convert(functions=[{"name": "get_weather", "parameters": {"type": "object", "properties": {}}}])
    assert result["tools"] == [{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}]
    assert result["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert uses_legacy_functions(decode(functions=[{"name": "f"}]))
    assert not uses_legacy_functions(decode(tools=[WEATHER]))


@pytest.mark.parametrize(
    ("tools", "param", "words"),
    [
        ([{"type": "custom", "custom": {"name": "x"}}], "tools[0].type", "`custom`"),
        ([WEATHER, WEATHER], "tools[1].function.name", "twice"),
        (
            [{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}],
            "tools[0].function.parameters",
            "object",
        ),
    ],
)
def test_unusable_tools_are_refused_naming_the_tool(tools: list, param: str, words: str) -> None:
    error = refusal(tools=tools)
    assert error.param == param and words in error.message


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_tool_choice_maps_to_anthropic(tool_choice: Any, expected: dict) -> None:
    assert convert(tools=[WEATHER], tool_choice=tool_choice)["tool_choice"] == expected


@pytest.mark.parametrize(
    ("function_call", "expected"),
    [
        ("auto", {"type": "auto", "disable_parallel_tool_use": True}),
        ("none", {"type": "none"}),
        ({"name": "get_weather"}, {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}),
    ],
)
def test_legacy_function_call_maps_to_tool_choice(function_call: Any, expected: dict) -> None:
    functions = [WEATHER["function"]]
    assert convert(functions=functions, function_call=function_call)["tool_choice"] == expected


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        (None, {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", {"type": "any", "disable_parallel_tool_use": True}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
        ),
        ("none", {"type": "none"}),
    ],
)
def test_parallel_tool_calls_false_disables_parallel_tool_use(tool_choice: Any, expected: dict) -> None:
    options: dict[str, Any] = {"tools": [WEATHER], "parallel_tool_calls": False}
    if tool_choice is not None:
        options["tool_choice"] = tool_choice
    assert convert(**options)["tool_choice"] == expected


def test_parallel_tool_calls_true_changes_nothing() -> None:
    assert convert(tools=[WEATHER], parallel_tool_calls=True) == convert(tools=[WEATHER])


def test_tool_choice_naming_an_undefined_tool_is_refused() -> None:
    error = refusal(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}})
    assert error.param == "tool_choice" and "nope" in error.message


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tool_choice": {"type": "function", "function": {"name": "f"}}}, "tool_choice"),
        ({"function_call": {"name": "f"}}, "function_call"),
    ],
)
def test_requiring_a_tool_without_tools_is_refused(options: dict, param: str) -> None:
    assert refusal(**options).param == param


@pytest.mark.parametrize("tool_choice", ["auto", "none"])
def test_harmless_tool_choice_without_tools_is_dropped(tool_choice: str) -> None:
    assert "tool_choice" not in convert(tool_choice=tool_choice)


# -- reasoning_effort → thinking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effort", "max_tokens", "budget"),
    [
        ("low", 8000, 1024),
        ("medium", 8000, 4000),
        ("medium", 20000, 4096),
        ("high", 40000, 16384),
        ("xhigh", 100000, 32000),
    ],
)
def test_reasoning_effort_turns_on_thinking_with_a_budget_of_at_most_half_the_tokens(
    effort: str, max_tokens: int, budget: int
) -> None:
    result = convert(reasoning_effort=effort, max_completion_tokens=max_tokens)
    assert result["thinking"] == {"type": "enabled", "budget_tokens": budget}


@pytest.mark.parametrize(
    "options",
    [
        {"max_completion_tokens": 2000},
        {"temperature": 0.2},
        {"top_p": 0.5},
        {"tools": [WEATHER], "tool_choice": "required"},
        {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    ],
    ids=["budget-too-small", "temperature", "top_p", "required", "named"],
)
def test_reasoning_effort_is_ignored_where_anthropic_forbids_thinking(options: dict) -> None:
    assert "thinking" not in convert(reasoning_effort="high", **options)
