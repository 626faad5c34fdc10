"""Amazon Q events → Anthropic stream events: golden frames-in → events-out (amazonq.md §3, client-apis.md §1.3)."""

from __future__ import annotations

import orjson
import pytest
from test_q_to_anthropic_grammar import (
    blocks,
    check_grammar,
    decode_body,
    machine,
    message_delta,
    q_body,
    run,
    text,
    tool,
    tool_call,
    translate,
)

from services.translator.token_count import count_text_tokens
from shared.schemas.amazonq_events import (
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
    SupplementaryWebLink,
    SupplementaryWebLinksEvent,
    TokenUsage,
    UnknownEvent,
)

# ---- message_start and text ----------------------------------------------------------------------------


def test_message_start_carries_id_model_and_input_tokens_with_provisional_output() -> None:
    [start] = machine(message_id="msg_abc", model="claude-sonnet-4-5", input_tokens=321).start()

    assert start == {
        "type": "message_start",
        "message": {"id": "msg_abc", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                    "content": [], "stop_reason": None, "stop_sequence": None,
                    "usage": {"input_tokens": 321, "output_tokens": 1}},
    }


def test_text_events_become_one_text_block_with_a_ping_after_its_start() -> None:
    events = translate([text("Hello"), text(", world")])

    assert events[1:] == [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ", world"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": count_text_tokens("Hello") + count_text_tokens(", world")}},
        {"type": "message_stop"},
    ]


def test_empty_text_content_is_ignored() -> None:
    events = translate([text(""), text("a"), text("")])

    assert [b["text"] for b in blocks(events)] == ["a"]
    assert sum(e["type"] == "content_block_delta" for e in events) == 1


def test_repeated_identical_text_is_kept() -> None:
    # AIC drops consecutive identical chunks; amazonq.md §3.8 calls that unsafe ("ha", "ha").
    events = translate([text("ha"), text("ha"), text("\n\n"), text("\n\n")])

    assert blocks(events)[0]["text"] == "haha\n\n\n\n"


def test_an_empty_answer_is_message_start_and_end_turn_without_blocks() -> None:
    translator = machine()
    events = run(translator, [MeteringEvent(usage=0.01), ContextUsageEvent(context_usage_percentage=2.0)])

    check_grammar(events)
    assert [e["type"] for e in events] == ["message_start", "message_delta", "message_stop"]
    assert message_delta(events)["delta"]["stop_reason"] == "end_turn"
    assert translator.has_output is False


# ---- noise ---------------------------------------------------------------------------------------------


def test_noise_events_produce_nothing_and_are_recorded_for_the_caller() -> None:
    translator = machine()
    translator.start()
    noise = [
        InitialResponse(conversation_id="conv-1"),
        MessageMetadataEvent(conversation_id="conv-1", utterance_id="u"),
        MeteringEvent(usage=0.25, unit="credit", unit_plural="credits"),
        MeteringEvent(usage=0.5, unit="credit", unit_plural="credits"),
        ContextUsageEvent(context_usage_percentage=35.5),
        FollowupPromptEvent(followup_prompt=FollowupPrompt(content="more?")),
        SupplementaryWebLinksEvent(supplementary_web_links=[SupplementaryWebLink(url="u", title="t")]),
        InvalidStateEvent(reason="INVALID_TASK_ASSIST_PLAN", message="m"),
        CodeReferenceEvent(references=[CodeReference(license_name="MIT")]),
        UnknownEvent("citationEvent", b"{}"),
        UnknownEvent("brandNewEvent", b"{}"),
    ]

    assert [translator.feed(e) for e in noise] == [[]] * len(noise)
    assert translator.conversation_id == "conv-1"
    assert translator.metering_credits == pytest.approx(0.75)
    assert translator.context_usage_percentage == 35.5
    assert translator.done is False and translator.has_output is False


def test_text_before_a_code_reference_is_kept() -> None:
    # QCLI drops it; q2api streams text at once and keeps it (module docstring).
    events = translate([text("def f(): pass"), CodeReferenceEvent(references=[CodeReference(license_name="MIT")]),
                        text("\nDone.")])

    assert blocks(events) == [{"type": "text", "text": "def f(): pass\nDone."}]


# ---- tool use --------------------------------------------------------------------------------------------


def test_tool_call_streams_fragments_as_input_json_deltas_and_stops_with_tool_use() -> None:
    events = translate(tool_call("tooluse_hNI7POsrr87ovDvEEV0mlP", ['{"loc', 'ation": "Pa', 'ris"}']))

    assert events[1:] == [
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "tool_use", "id": "tooluse_hNI7POsrr87ovDvEEV0mlP", "name": "get_weather",
                           "input": {}}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"loc'}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": 'ation": "Pa'}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": 'ris"}'}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": events[-2]["usage"]["output_tokens"]}},
        {"type": "message_stop"},
    ]


def test_tool_names_are_mapped_back_to_the_client_names() -> None:
    names = {"mcp__fs__read": "mcp__fs__read_file"}
    events = translate(tool_call("t1", ["{}"], name="mcp__fs__read"), client_tool_name=lambda n: names.get(n, n))

    assert blocks(events)[0]["name"] == "mcp__fs__read_file"


def test_empty_fragments_are_skipped_and_input_without_fragments_is_an_empty_object() -> None:
    events = translate(tool_call("t1", ["", ""]))

    assert [e["type"] for e in events[1:4]] == ["content_block_start", "ping", "content_block_stop"]
    assert message_delta(events)["delta"]["stop_reason"] == "tool_use"


def test_input_on_the_stop_frame_is_appended() -> None:
    events = translate([tool("t1"), tool("t1", input='{"a":'), tool("t1", input="1}", stop=True)])

    assert orjson.loads(blocks(events)[0]["input"]) == {"a": 1}


def test_one_shot_tool_frame_with_input_and_stop_is_a_whole_block() -> None:
    events = translate([tool("t1", input='{"city": "Oslo"}', stop=True)])

    assert [e["type"] for e in events[1:]] == ["content_block_start", "ping", "content_block_delta",
                                               "content_block_stop", "message_delta", "message_stop"]
    assert orjson.loads(blocks(events)[0]["input"]) == {"city": "Oslo"}


def test_events_for_a_completed_tool_id_are_dropped() -> None:
    call = tool_call("t1", ['{"a": 1}'])
    events = translate([*call, *call, tool("t1", input='{"b": 2}', stop=True)])

    assert len(blocks(events)) == 1 and orjson.loads(blocks(events)[0]["input"]) == {"a": 1}


def test_text_then_tool_closes_the_text_block_first() -> None:
    events = translate([text("Let me check."), *tool_call("t1", ['{"q": "x"}'])])

    assert [b["type"] for b in blocks(events)] == ["text", "tool_use"]
    assert [e.get("index") for e in events if e["type"].startswith("content_block")] == [0, 0, 0, 1, 1, 1]


def test_text_after_a_tool_is_a_new_text_block() -> None:
    events = translate([*tool_call("t1", ["{}"]), text("Done.")])

    assert [b["type"] for b in blocks(events)] == ["tool_use", "text"]
    assert message_delta(events)["delta"]["stop_reason"] == "tool_use"


def test_several_tools_are_sequential_blocks_in_order() -> None:
    events = translate([text("Two calls."), *tool_call("t1", ['{"n": 1}']), *tool_call("t2", ['{"n": 2}'], name="other")])

    assert [(b["type"], b.get("id"), b.get("name")) for b in blocks(events)] == [
        ("text", None, None), ("tool_use", "t1", "get_weather"), ("tool_use", "t2", "other")]


def test_interleaved_tool_frames_are_deferred_until_the_open_tool_stops() -> None:
    # Not seen in captures, but state is keyed by toolUseId (amazonq.md §3.6 item 7) and blocks must
    # be sequential, so the second tool's frames wait for the first's stop.
    q_events = [tool("t1"), tool("t2", name="b"), tool("t1", input='{"x":'), tool("t2", name="b", input='{"y": 2}'),
                text("after"), tool("t1", input=" 1}"), tool("t1", stop=True), tool("t2", name="b", stop=True)]
    events = translate(q_events)

    built = blocks(events)
    assert [(b["type"], b.get("id")) for b in built] == [("tool_use", "t1"), ("tool_use", "t2"), ("text", None)]
    assert orjson.loads(built[0]["input"]) == {"x": 1} and orjson.loads(built[1]["input"]) == {"y": 2}
    assert built[2]["text"] == "after"


def test_tool_input_that_is_not_json_becomes_an_error_event() -> None:
    translator = machine()
    events = run(translator, tool_call("t1", ['{"a": ', "oops"]))

    check_grammar(events, error=True)
    assert translator.failure is not None and translator.failure.exception_type == "InvalidToolInput"
    assert events[-1]["error"]["type"] == "api_error" and "incomplete" in events[-1]["error"]["message"]


@pytest.mark.parametrize("fragment", ["[1, 2]", '"text"', "42", "null"])
def test_tool_input_that_is_json_but_not_an_object_becomes_an_error_event(fragment: str) -> None:
    events = translate(tool_call("t1", [fragment]))

    assert events[-1]["type"] == "error"


def test_stream_ending_inside_a_tool_call_is_an_error_not_a_clean_end() -> None:
    translator = machine()
    translator.start()
    for event in [text("Calling."), tool("t1"), tool("t1", input='{"path": "/tmp/')]:
        translator.feed(event)

    end = translator.finish()

    assert [e["type"] for e in end] == ["error"]
    assert translator.failure is not None and translator.failure.exception_type == "TruncatedToolUse"
    assert "t1" in end[0]["error"]["message"] and "incomplete" in end[0]["error"]["message"]
    assert translator.finish() == [] and translator.fail("api_error", "again") == []


def test_stream_ending_inside_a_tool_call_through_the_driver_has_error_grammar() -> None:
    events = translate([tool("t1"), tool("t1", input="{")])

    check_grammar(events, error=True)


# ---- exceptions and the end of the stream ----------------------------------------------------------------


def test_throttling_mid_stream_sets_failure_and_fail_gives_one_overloaded_error_without_message_stop() -> None:
    translator = machine()
    events = translator.start() + translator.feed(text("Half an ans"))
    events += translator.feed(QException("ThrottlingException", "Rate limit exceeded"))

    assert translator.done and translator.has_output
    failure = translator.failure
    assert failure is not None and (failure.exception_type, failure.message) == ("ThrottlingException", "Rate limit exceeded")
    events += translator.fail(*failure.anthropic_error())
    check_grammar(events, error=True)
    assert events[-1]["error"]["type"] == "overloaded_error"
    assert "ThrottlingException" in events[-1]["error"]["message"] and "incomplete" in events[-1]["error"]["message"]
    assert translator.feed(text("more")) == [] and translator.finish() == []


def test_an_exception_before_any_output_leaves_has_output_false_for_failover() -> None:
    translator = machine()
    translator.start()

    assert translator.feed(QException("InternalServerException", "Encountered unexpectedly high load",
                                      "MODEL_TEMPORARILY_UNAVAILABLE")) == []
    assert translator.done and not translator.has_output
    assert translator.failure is not None and translator.failure.reason == "MODEL_TEMPORARILY_UNAVAILABLE"


def test_finish_after_a_failure_gives_the_error_event_not_a_clean_end() -> None:
    translator = machine()
    events = translator.start() + translator.feed(text("x")) + translator.feed(QException("error", "boom"))
    events += translator.finish()

    check_grammar(events, error=True)
    assert events[-1]["error"]["type"] == "api_error"


def test_a_generic_error_frame_is_a_failure() -> None:
    translator = machine()
    translator.start()
    translator.feed(QErrorMessage("InternalFailure", "broken"))

    assert translator.failure is not None and translator.failure.exception_type == "InternalFailure"


@pytest.mark.parametrize(
    ("exception_type", "reason", "error_type"),
    [
        ("ThrottlingException", None, "overloaded_error"),
        ("com.amazon.aws.codewhisperer#ThrottlingException", "INSUFFICIENT_MODEL_CAPACITY", "overloaded_error"),
        ("ThrottlingException", "MONTHLY_REQUEST_COUNT", "rate_limit_error"),
        ("ServiceQuotaExceededException", "OVERAGE_REQUEST_LIMIT_EXCEEDED", "rate_limit_error"),
        ("ServiceUnavailableException", None, "overloaded_error"),
        ("InternalServerException", "MODEL_TEMPORARILY_UNAVAILABLE", "overloaded_error"),
        ("InternalServerException", None, "api_error"),
        ("error", None, "api_error"),
        ("SomethingNew", None, "api_error"),
    ],
)
def test_mid_stream_exception_types_map_to_anthropic_error_types(exception_type: str, reason: str | None,
                                                                 error_type: str) -> None:
    translator = machine()
    translator.start()
    translator.feed(text("x"))
    translator.feed(QException(exception_type, "m", reason))

    assert translator.failure is not None and translator.failure.error_type == error_type


def test_events_after_done_are_ignored() -> None:
    translator = machine(stop_sequences=["STOP"])
    events = translator.start() + translator.feed(text("a STOP b"))
    assert translator.done

    assert translator.feed(text("more")) == [] and translator.feed(tool("t9", stop=True)) == []
    events += translator.finish()
    check_grammar(events)
    assert translator.finish() == []


def test_upstream_token_usage_is_preferred_and_reported_in_message_delta() -> None:
    translator = machine(input_tokens=100)
    events = run(translator, [text("Hi"), MetadataEvent(token_usage=TokenUsage(
        uncached_input_tokens=90, output_tokens=7, total_tokens=97, cache_read_input_tokens=1000))])

    check_grammar(events)
    assert message_delta(events)["usage"] == {"input_tokens": 90, "output_tokens": 7, "cache_read_input_tokens": 1000}
    assert translator.usage == {"input_tokens": 90, "output_tokens": 7, "cache_read_input_tokens": 1000}
    assert translator.output_tokens == 7 and translator.input_tokens == 90


def test_without_upstream_usage_message_delta_has_only_the_counted_output_tokens() -> None:
    translator = machine()
    events = run(translator, [text("Hello there"), *tool_call("t1", ['{"a": 1}'])])

    assert message_delta(events)["usage"] == {"output_tokens": translator.output_tokens}
    assert translator.output_tokens > 0


# ---- real bytes ------------------------------------------------------------------------------------------

_STREAM = [
    InitialResponse(conversation_id="c-1"),
    text("Let me look that up "),
    text("for you — ☃ ok."),
    *tool_call("tooluse_abc", ['{"location": "Pa', 'ris", "unit": "°C"}']),
    MeteringEvent(usage=0.0169, unit="credit", unit_plural="credits"),
    ContextUsageEvent(context_usage_percentage=12.5),
]


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 20])
def test_real_event_stream_bytes_in_any_chunking_give_the_same_events(chunk_size: int) -> None:
    decoded = decode_body(q_body(_STREAM), chunk_size)

    assert translate(decoded) == translate(_STREAM)


def test_exception_frame_bytes_end_the_answer_with_an_error() -> None:
    decoded = decode_body(q_body([text("partial"), QException("ThrottlingException", "Rate limit exceeded")]), 5)
    events = translate(decoded)

    assert events[-1] == {"type": "error", "error": {"type": "overloaded_error", "message": events[-1]["error"]["message"]}}
    assert "Rate limit exceeded" in events[-1]["error"]["message"]
