"""How an Amazon Q answer ends early: the client's max_tokens, its stop_sequences, Q's own length limit."""

from __future__ import annotations

import orjson
from test_q_to_anthropic_grammar import blocks, machine, message_delta, run, text, tool, tool_call, translate

from services.translator.token_count import count_text_tokens, encoding
from shared.schemas.amazonq_events import MetadataEvent, QException, TokenUsage

# ---- max_tokens ------------------------------------------------------------------------------------------


def test_text_past_max_tokens_is_cut_at_a_token_boundary_with_stop_reason_max_tokens() -> None:
    sentence = "The quick brown fox jumps over the lazy dog. " * 4
    tokens = encoding().encode_ordinary(sentence)
    translator = machine(max_tokens=10)
    events = translator.start() + translator.feed(text(sentence))

    assert translator.done
    events += translator.finish()
    assert blocks(events)[0]["text"] == encoding().decode(tokens[:10])
    assert message_delta(events)["delta"] == {"stop_reason": "max_tokens", "stop_sequence": None}
    assert message_delta(events)["usage"]["output_tokens"] == 10


def test_max_tokens_is_counted_across_deltas() -> None:
    events = translate([text("one two"), text(" three four"), text(" five six seven")], max_tokens=5)

    assert count_text_tokens(blocks(events)[0]["text"]) <= 5
    assert blocks(events)[0]["text"].startswith("one two three four")
    assert message_delta(events)["delta"]["stop_reason"] == "max_tokens"


def test_reaching_max_tokens_exactly_is_still_a_natural_end() -> None:
    exact = "alpha beta gamma"
    events = translate([text(exact)], max_tokens=count_text_tokens(exact))

    assert blocks(events)[0]["text"] == exact
    assert message_delta(events)["delta"]["stop_reason"] == "end_turn"


def test_a_cut_never_splits_a_character() -> None:
    snowmen = "☃" * 20  # several tokens per character in cl100k
    events = translate([text(snowmen)], max_tokens=7)

    cut = blocks(events)[0]["text"] if blocks(events) else ""
    assert "\ufffd" not in cut and set(cut) <= {"☃"}


def test_thinking_counts_toward_max_tokens() -> None:
    events = translate([text("<thinking>" + "reason " * 50 + "</thinking>answer")], thinking=True, max_tokens=20)

    assert [b["type"] for b in blocks(events)] == ["thinking"]
    assert count_text_tokens(blocks(events)[0]["thinking"]) <= 20
    assert message_delta(events)["delta"]["stop_reason"] == "max_tokens"


def test_a_tool_call_is_never_cut_and_ends_the_answer_when_it_passes_the_limit() -> None:
    big = orjson.dumps({"content": "word " * 100}).decode()
    events = translate([*tool_call("t1", [big[:50], big[50:]]), *tool_call("t2", ["{}"]), text("after")], max_tokens=20)

    assert [b.get("id") for b in blocks(events)] == ["t1"]
    assert orjson.loads(blocks(events)[0]["input"]) == orjson.loads(big)
    assert message_delta(events)["delta"]["stop_reason"] == "max_tokens"


def test_content_length_exceeded_exception_ends_with_max_tokens() -> None:
    translator = machine()
    events = run(translator, [text("A long answer"), QException("ContentLengthExceededException", "too long")])

    assert translator.failure is None
    assert blocks(events)[0]["text"] == "A long answer"
    assert message_delta(events)["delta"]["stop_reason"] == "max_tokens"


def test_content_length_exceeded_inside_a_tool_call_is_an_error() -> None:
    events = translate([tool("t1"), tool("t1", input='{"a": "'), QException("ContentLengthExceededException", "long")])

    assert events[-1]["type"] == "error"


# ---- output tokens -----------------------------------------------------------------------------------------


def test_output_tokens_count_text_thinking_and_tool_input() -> None:
    translator = machine(thinking=True)
    run(translator, [text("<thinking>Let me think.</thinking>Sure."), *tool_call("t1", ['{"city":', ' "Paris"}'])])

    expected = sum(map(count_text_tokens, ["Let me think.", "Sure.", '{"city":', ' "Paris"}']))
    assert translator.output_tokens == expected


def test_reported_output_tokens_win_over_the_count_but_do_not_change_the_limit() -> None:
    translator = machine(max_tokens=3)
    events = run(translator, [MetadataEvent(token_usage=TokenUsage(output_tokens=1)), text("one two three four five")])

    assert message_delta(events)["delta"]["stop_reason"] == "max_tokens"
    assert translator.output_tokens == 1


# ---- stop sequences ------------------------------------------------------------------------------------------


def test_stop_sequence_cuts_the_text_and_is_reported() -> None:
    translator = machine(stop_sequences=["\nHuman:"])
    events = translator.start() + translator.feed(text("Answer.\nHuman: next"))

    assert translator.done
    events += translator.finish()
    assert blocks(events)[0]["text"] == "Answer."
    assert message_delta(events)["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "\nHuman:"}
    assert translator.stop_reason == "stop_sequence" and translator.stop_sequence == "\nHuman:"


def test_stop_sequence_split_across_deltas_is_found_and_nothing_before_it_waits() -> None:
    translator = machine(stop_sequences=["END"])
    first = translator.start() + translator.feed(text("abc E"))

    assert blocks(first)[0]["text"] == "abc "  # only "E" is held back
    second = translator.feed(text("N"))
    assert second == []
    rest = translator.feed(text("D tail"))
    assert translator.done
    events = first + second + rest + translator.finish()
    assert blocks(events)[0]["text"] == "abc "
    assert message_delta(events)["delta"]["stop_sequence"] == "END"


def test_a_held_prefix_that_never_completes_is_released() -> None:
    events = translate([text("value: EN"), text("ough")], stop_sequences=["END"])

    assert blocks(events)[0]["text"] == "value: ENough"
    assert message_delta(events)["delta"]["stop_reason"] == "end_turn"


def test_a_held_prefix_is_released_at_the_end_of_the_stream() -> None:
    events = translate([text("almost EN")], stop_sequences=["END"])

    assert blocks(events)[0]["text"] == "almost EN"


def test_a_held_prefix_is_released_before_a_tool_call() -> None:
    events = translate([text("see E"), *tool_call("t1", ["{}"])], stop_sequences=["END"])

    assert [b.get("text") for b in blocks(events)] == ["see E", None]
    assert message_delta(events)["delta"]["stop_reason"] == "tool_use"


def test_a_stop_sequence_at_the_very_start_gives_no_blocks() -> None:
    events = translate([text("STOP now")], stop_sequences=["STOP"])

    assert blocks(events) == []
    assert message_delta(events)["delta"]["stop_sequence"] == "STOP"


def test_stop_sequences_do_not_apply_to_thinking_or_tool_input() -> None:
    events = translate([text("<thinking>no STOP here</thinking>ok"), *tool_call("t1", ['{"w": "STOP"}'])],
                       thinking=True, stop_sequences=["STOP"])

    assert [b["type"] for b in blocks(events)] == ["thinking", "text", "tool_use"]
    assert message_delta(events)["delta"]["stop_reason"] == "tool_use"
