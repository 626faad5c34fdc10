"""Anthropic stream events → OpenAI chunks (client-apis.md §1.3 in, §2.3 and §0.8 out), checked by the
independent grammar checker in ``test_openai_grammar``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_openai_grammar import anthropic_events, check_chunks, text, thinking, tool

from services.translator.anthropic_to_openai import AnthropicToOpenAI, CompletionFailed, collect_completion

_IDS = {"completion_id": "chatcmpl-abc", "created": 1700000000, "model": "claude-sonnet-4-5"}


def run(
    events: list[dict[str, Any]], *, include_usage: bool = False, legacy_functions: bool = False
) -> list[dict[str, Any]]:
    machine = AnthropicToOpenAI(**_IDS, include_usage=include_usage, legacy_functions=legacy_functions)
    chunks = [chunk for event in events for chunk in machine.feed(event)]
    return chunks + machine.finish()


def test_text_stream_golden() -> None:
    chunks = run(anthropic_events(text("Hel", "lo")), include_usage=False)
    base = {
        "id": "chatcmpl-abc",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "claude-sonnet-4-5",
        "system_fingerprint": None,
    }

    def choice(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    assert chunks == [
        choice({"role": "assistant", "content": ""}),
        choice({"content": "Hel"}),
        choice({"content": "lo"}),
        choice({}, "stop"),
    ]


def test_tool_call_stream_golden() -> None:
    chunks = run(
        anthropic_events(
            tool("toolu_1", "get_weather", "", '{"location": "Pa', 'ris"}'), stop_reason="tool_use"
        )
    )
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"location": "Pa'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]},
        {},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_parallel_tool_calls_are_numbered_from_zero_in_stream_order() -> None:
    events = anthropic_events(
        text("Checking both."),
        tool("toolu_a", "f", '{"x":1}'),
        tool("toolu_b", "g", '{"y":2}'),
        stop_reason="tool_use",
    )
    result = check_chunks(run(events), include_usage=False)
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in result.tool_calls] == [
        ("toolu_a", "f", {"x": 1}),
        ("toolu_b", "g", {"y": 2}),
    ]
    assert result.content == "Checking both." and result.finish_reason == "tool_calls"


def test_tool_call_without_any_argument_text_gets_an_empty_object() -> None:
    result = check_chunks(
        run(anthropic_events(tool("toolu_1", "now"), stop_reason="tool_use")), include_usage=False
    )
    assert result.tool_calls == [{"id": "toolu_1", "name": "now", "arguments": "{}"}]


def test_tool_block_that_starts_with_its_whole_input_streams_it_as_arguments() -> None:
    events = anthropic_events(stop_reason="tool_use")
    events[1:1] = [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": [1, 2]}},
        },
        {"type": "content_block_stop", "index": 0},
    ]
    result = check_chunks(run(events), include_usage=False)
    assert json.loads(result.tool_calls[0]["arguments"]) == {"a": [1, 2]}


def test_thinking_goes_to_reasoning_content_and_never_into_content() -> None:
    result = check_chunks(
        run(anthropic_events(thinking("Let me ", "think."), text("Answer."))), include_usage=False
    )
    assert result.reasoning == "Let me think."
    assert result.content == "Answer."


def test_redacted_thinking_server_tools_and_citations_are_dropped() -> None:
    events = anthropic_events(text("Hi"))
    events[1:1] = [
        {
            "type": "content_block_start",
            "index": 5,
            "content_block": {"type": "redacted_thinking", "data": "x"},
        },
        {"type": "content_block_stop", "index": 5},
        {
            "type": "content_block_start",
            "index": 6,
            "content_block": {
                "type": "server_tool_use",
                "id": "srvtoolu_1",
                "name": "web_search",
                "input": {},
            },
        },
        {
            "type": "content_block_delta",
            "index": 6,
            "delta": {"type": "input_json_delta", "partial_json": "{}"},
        },
        {"type": "content_block_stop", "index": 6},
    ]
    events.insert(
        -3,
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "citations_delta", "citation": {"cited_text": "x"}},
        },
    )
    result = check_chunks(run(events), include_usage=False)
    assert result.content == "Hi" and result.tool_calls == [] and result.reasoning == ""


def test_ping_and_unknown_events_produce_nothing() -> None:
    machine = AnthropicToOpenAI(**_IDS, include_usage=False)
    machine.feed(anthropic_events()[0])
    assert machine.feed({"type": "ping"}) == []
    assert machine.feed({"type": "something_new", "x": 1}) == []


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
    ],
)
def test_stop_reason_maps_to_finish_reason(stop_reason: str, finish_reason: str) -> None:
    result = check_chunks(run(anthropic_events(text("x"), stop_reason=stop_reason)), include_usage=False)
    assert result.finish_reason == finish_reason


def test_role_chunk_is_sent_at_message_start_before_any_content() -> None:
    machine = AnthropicToOpenAI(**_IDS, include_usage=False)
    [first] = machine.feed(anthropic_events()[0])
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}


def test_empty_answer_still_has_role_and_finish_chunks() -> None:
    result = check_chunks(run(anthropic_events()), include_usage=False)
    assert result.content == "" and result.finish_reason == "stop"


def test_every_chunk_carries_null_usage_and_a_final_usage_chunk_follows_when_asked() -> None:
    chunks = run(anthropic_events(text("Hi"), input_tokens=12, output_tokens=31), include_usage=True)
    result = check_chunks(chunks, include_usage=True)
    assert result.usage == {"prompt_tokens": 12, "completion_tokens": 31, "total_tokens": 43}
    assert chunks[-1]["choices"] == [] and chunks[-1]["id"] == "chatcmpl-abc"


def test_without_include_usage_no_chunk_has_a_usage_member() -> None:
    chunks = run(anthropic_events(text("Hi")), include_usage=False)
    assert all("usage" not in chunk and chunk["choices"] for chunk in chunks)


def test_usage_counts_are_cumulative_and_cache_reads_count_as_prompt_tokens() -> None:
    events = anthropic_events(text("Hi"), output_tokens=40)
    events[0]["message"]["usage"].update(cache_read_input_tokens=100, cache_creation_input_tokens=5)
    # an earlier message_delta with a smaller running total: the last one overwrites, it does not add
    events.insert(
        -2, {"type": "message_delta", "delta": {"stop_reason": None}, "usage": {"output_tokens": 7}}
    )
    result = check_chunks(run(events, include_usage=True), include_usage=True)
    assert result.usage == {
        "prompt_tokens": 117,
        "completion_tokens": 40,
        "total_tokens": 157,
        "prompt_tokens_details": {"cached_tokens": 100},
    }


def test_anthropic_error_event_becomes_a_final_error_chunk() -> None:
    events = anthropic_events(text("partial"))[:4]
    events.append({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    machine = AnthropicToOpenAI(**_IDS, include_usage=True)
    chunks = [chunk for event in events for chunk in machine.feed(event)]
    assert chunks[-1] == {
        "error": {"message": "Overloaded", "type": "server_error", "param": None, "code": None}
    }
    assert machine.finish() == [] and machine.feed({"type": "message_stop"}) == []
    result = check_chunks(chunks, include_usage=True)
    assert result.content == "partial"


def test_fail_gives_one_error_chunk_and_closes_the_machine() -> None:
    machine = AnthropicToOpenAI(**_IDS, include_usage=False)
    machine.feed(anthropic_events()[0])
    assert machine.fail("upstream went away") == [
        {"error": {"message": "upstream went away", "type": "server_error", "param": None, "code": None}}
    ]
    assert machine.fail("again") == [] and machine.finish() == []


def test_stream_that_ends_before_message_delta_fails_instead_of_truncating_silently() -> None:
    chunks = run(anthropic_events(text("cut"))[:4])
    result = check_chunks(chunks, include_usage=False)
    assert result.error is not None and result.error["type"] == "server_error"
    assert result.finish_reason is None


def test_message_delta_without_message_stop_still_finishes() -> None:
    chunks = run(anthropic_events(text("ok"), stop_reason="max_tokens")[:-1], include_usage=True)
    result = check_chunks(chunks, include_usage=True)
    assert result.finish_reason == "length" and result.usage is not None


def test_legacy_functions_client_gets_function_call_deltas_and_finish_reason() -> None:
    events = anthropic_events(
        tool("toolu_1", "get_weather", '{"city":', '"Paris"}'),
        tool("toolu_2", "f", "{}"),
        stop_reason="tool_use",
    )
    result = check_chunks(run(events, legacy_functions=True), include_usage=False)
    assert result.function_call == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert result.tool_calls == [] and result.finish_reason == "function_call"


# -- non-streaming -----------------------------------------------------------------------------------------


def test_collect_completion_golden_with_text_and_tool_call() -> None:
    events = anthropic_events(
        thinking("hmm"),
        text("Let me check."),
        tool("toolu_1", "get_weather", '{"city":"Paris"}'),
        stop_reason="tool_use",
        input_tokens=9,
        output_tokens=12,
    )
    assert collect_completion(events, **_IDS) == {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "claude-sonnet-4-5",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Let me check.",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                        }
                    ],
                    "reasoning_content": "hmm",
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
        "system_fingerprint": None,
    }


def test_collected_content_is_null_when_the_turn_only_calls_tools() -> None:
    completion = collect_completion(
        anthropic_events(tool("toolu_1", "f", "{}"), stop_reason="tool_use"), **_IDS
    )
    assert completion["choices"][0]["message"]["content"] is None


def test_collected_content_is_empty_string_when_the_answer_is_empty() -> None:
    completion = collect_completion(anthropic_events(), **_IDS)
    assert completion["choices"][0]["message"]["content"] == ""
    assert "tool_calls" not in completion["choices"][0]["message"]


def test_collect_raises_with_the_openai_error_and_a_status_when_the_events_end_in_error() -> None:
    events = [
        *anthropic_events(text("x"))[:3],
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
    ]
    with pytest.raises(CompletionFailed) as info:
        collect_completion(events, **_IDS)
    assert info.value.status == 429
    assert info.value.body["error"]["code"] == "rate_limit_exceeded"


def test_collect_of_a_truncated_stream_is_a_server_error() -> None:
    with pytest.raises(CompletionFailed) as info:
        collect_completion(anthropic_events(text("x"))[:3], **_IDS)
    assert info.value.status == 500


def test_collect_equals_the_streamed_assembly() -> None:
    events = anthropic_events(
        thinking("a", "b"),
        text("Hello ", "world"),
        tool("toolu_1", "f", '{"q"', ":1}"),
        tool("toolu_2", "g"),
        stop_reason="tool_use",
    )
    streamed = check_chunks(run(events, include_usage=True), include_usage=True)
    message = collect_completion(events, **_IDS)["choices"][0]["message"]
    assert message["content"] == streamed.content
    assert message["reasoning_content"] == streamed.reasoning
    assert [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in message["tool_calls"]] == [
        (c["id"], c["name"], c["arguments"]) for c in streamed.tool_calls
    ]
    assert collect_completion(events, **_IDS)["usage"] == streamed.usage


# -- properties ----------------------------------------------------------------------------------------------

_pieces = st.lists(st.text(max_size=6), max_size=5)
_block = st.one_of(
    _pieces.map(lambda p: text(*p)),
    _pieces.map(lambda p: thinking(*p)),
    st.tuples(st.dictionaries(st.text(max_size=4), st.integers(), max_size=3), st.integers(1, 8)).map(
        lambda d: ("json", *d)
    ),
)


@given(
    blocks=st.lists(_block, max_size=6),
    include_usage=st.booleans(),
    stop_reason=st.sampled_from(["end_turn", "tool_use", "max_tokens", None]),
)
def test_any_anthropic_stream_gives_a_grammatical_openai_stream_that_assembles_to_its_content(
    blocks: list[tuple[Any, ...]], include_usage: bool, stop_reason: str | None
) -> None:
    built, expected_text, expected_reasoning, expected_args = [], "", "", []
    for n, block in enumerate(blocks):
        if block[0] == "json":
            arguments = json.dumps(block[1])
            step = block[2]
            built.append(
                tool(
                    f"toolu_{n}", f"f{n}", *(arguments[i : i + step] for i in range(0, len(arguments), step))
                )
            )
            expected_args.append(block[1])
        else:
            built.append(block)
            if block[0] == "text":
                expected_text += "".join(block[1])
            else:
                expected_reasoning += "".join(block[1])
    result = check_chunks(
        run(anthropic_events(*built, stop_reason=stop_reason), include_usage=include_usage),
        include_usage=include_usage,
    )
    assert result.content == expected_text and result.reasoning == expected_reasoning
    assert [json.loads(c["arguments"]) for c in result.tool_calls] == expected_args
