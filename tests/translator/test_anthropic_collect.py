"""Non-streaming: the same machine's events folded into one Message (client-apis.md §1.2)."""

from __future__ import annotations

import orjson
import pytest
from test_q_to_anthropic_grammar import blocks, machine, message_delta, run, text, tool, tool_call, translate

from services.translator.anthropic_collect import StreamFailed, collect_message
from services.translator.thinking_signature import thinking_signature
from shared.schemas.amazonq_events import MetadataEvent, QException, TokenUsage


def test_collect_builds_the_whole_message() -> None:
    events = translate([text("<thinking>plan</thinking>Answer."), *tool_call("t1", ['{"a": [1, ', "2]}"])],
                       thinking=True, message_id="msg_9", model="claude-x", input_tokens=42)

    assert collect_message(events) == {
        "id": "msg_9",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "plan", "signature": thinking_signature("plan")},
            {"type": "text", "text": "Answer."},
            {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"a": [1, 2]}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 42, "output_tokens": message_delta(events)["usage"]["output_tokens"]},
    }


def test_collect_equals_the_streamed_blocks() -> None:
    events = translate([text("Hi "), text("there"), *tool_call("t1", ['{"x"', ": 1}"]), text("bye")])
    streamed = blocks(events)
    for block in streamed:
        if block["type"] == "tool_use":
            block["input"] = orjson.loads(block["input"])

    message = collect_message(events)
    assert message["content"] == streamed
    assert message["stop_reason"] == message_delta(events)["delta"]["stop_reason"]


def test_a_tool_without_input_fragments_has_an_empty_object() -> None:
    assert collect_message(translate(tool_call("t1", [])))["content"][0]["input"] == {}


def test_stop_sequence_and_max_tokens_are_carried() -> None:
    stopped = collect_message(translate([text("one STOP two")], stop_sequences=["STOP"]))
    limited = collect_message(translate([text("one two three four five six")], max_tokens=2))

    assert (stopped["stop_reason"], stopped["stop_sequence"]) == ("stop_sequence", "STOP")
    assert (limited["stop_reason"], limited["stop_sequence"], limited["usage"]["output_tokens"]) == ("max_tokens", None, 2)


def test_message_delta_usage_overwrites_message_start_usage() -> None:
    events = translate([text("Hi"), MetadataEvent(token_usage=TokenUsage(uncached_input_tokens=7, output_tokens=3,
                                                                          cache_read_input_tokens=50))],
                       input_tokens=100)

    assert collect_message(events)["usage"] == {"input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 50}


def test_an_empty_answer_still_has_a_stop_reason() -> None:
    message = collect_message(translate([]))

    assert message["content"] == [] and message["stop_reason"] == "end_turn"


def test_a_failed_stream_raises_with_the_client_error() -> None:
    events = translate([text("partial"), QException("ThrottlingException", "Rate limit exceeded")])

    with pytest.raises(StreamFailed) as raised:
        collect_message(events)
    assert raised.value.error_type == "overloaded_error" and "incomplete" in raised.value.message


def test_a_truncated_tool_call_raises() -> None:
    with pytest.raises(StreamFailed):
        collect_message(translate([tool("t1"), tool("t1", input="{")]))


def test_a_stream_without_message_stop_raises() -> None:
    events = run(machine(), [text("Hi")])

    with pytest.raises(StreamFailed):
        collect_message(events[:-1])


def test_a_stream_cut_inside_a_block_raises() -> None:
    translator = machine()
    events = translator.start() + translator.feed(text("Hi"))

    with pytest.raises(StreamFailed):
        collect_message(events)


def test_collect_does_not_mutate_the_events() -> None:
    events = translate([text("Hi"), *tool_call("t1", ["{}"])])
    before = orjson.dumps(events)

    collect_message(events)
    assert orjson.dumps(events) == before
