"""Thinking: leading `<thinking>` text (amazonq.md §3.7) and native reasoningContentEvent → thinking blocks."""

from __future__ import annotations

from test_q_to_anthropic_grammar import blocks, machine, message_delta, text, tool, tool_call, translate

from services.translator.thinking_signature import thinking_signature
from shared.schemas.amazonq_events import ReasoningContentEvent


def test_leading_thinking_tags_become_a_signed_thinking_block_then_text() -> None:
    events = translate([text("<thinking>Weigh it.</thinking>The answer.")], thinking=True)

    assert events[1:7] == [
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Weigh it."}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "signature_delta", "signature": thinking_signature("Weigh it.")}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    ]
    assert blocks(events)[1]["text"] == "The answer."


def test_tags_split_inside_both_tags_as_the_simulator_sends_them() -> None:
    whole = "<thinking>I answer deterministically.</thinking>"
    events = translate([text(whole[:5]), text(whole[5:-4]), text(whole[-4:]), text("Hi.")], thinking=True)

    assert [(b["type"], b.get("thinking", b.get("text"))) for b in blocks(events)] == [
        ("thinking", "I answer deterministically."), ("text", "Hi.")]


def test_the_signature_is_deterministic_and_covers_the_whole_thinking_text() -> None:
    one = translate([text("<thinking>abc</thinking>x")], thinking=True)
    split = translate([text("<thinking>a"), text("b"), text("c</thinking>x")], thinking=True)
    other = translate([text("<thinking>abd</thinking>x")], thinking=True)

    assert blocks(one)[0]["signature"] == blocks(split)[0]["signature"] == thinking_signature("abc")
    assert blocks(other)[0]["signature"] != blocks(one)[0]["signature"]


def test_whitespace_around_the_tags_is_not_an_extra_text_block() -> None:
    events = translate([text("\n <thinking>t</thinking>\n\n"), text("\nAnswer")], thinking=True)

    assert [(b["type"], b.get("text")) for b in blocks(events)] == [("thinking", None), ("text", "Answer")]


def test_thinking_tags_later_in_the_text_are_ordinary_text() -> None:
    events = translate([text("Use <thinking>x</thinking> tags.")], thinking=True)

    assert blocks(events) == [{"type": "text", "text": "Use <thinking>x</thinking> tags."}]


def test_without_thinking_the_tags_are_plain_text() -> None:
    events = translate([text("<thinking>hm</thinking>Hi")], thinking=False)

    assert blocks(events) == [{"type": "text", "text": "<thinking>hm</thinking>Hi"}]


def test_a_partial_tag_that_never_completes_is_text() -> None:
    events = translate([text("<thin"), text("gs to say")], thinking=True)

    assert blocks(events) == [{"type": "text", "text": "<things to say"}]


def test_unclosed_thinking_at_the_end_of_the_stream_is_a_closed_signed_block() -> None:
    events = translate([text("<thinking>still going </thin")], thinking=True)

    assert [(b["type"], b["thinking"]) for b in blocks(events)] == [("thinking", "still going </thin")]
    assert message_delta(events)["delta"]["stop_reason"] == "end_turn"


def test_a_tool_call_after_thinking_closes_the_thinking_block() -> None:
    events = translate([text("<thinking>I need the weather.</thinking>"), *tool_call("t1", ['{"c": 1}'])],
                       thinking=True)

    assert [b["type"] for b in blocks(events)] == ["thinking", "tool_use"]


def test_a_tool_call_inside_unclosed_thinking_ends_the_thinking_window() -> None:
    events = translate([text("<thinking>hm"), tool("t1", input="{}", stop=True), text("<thinking>x</thinking>")],
                       thinking=True)

    assert [(b["type"], b.get("text")) for b in blocks(events)] == [
        ("thinking", None), ("tool_use", None), ("text", "<thinking>x</thinking>")]


def test_native_reasoning_events_become_one_thinking_block_with_their_signature() -> None:
    events = translate([ReasoningContentEvent(text="Step one. "), ReasoningContentEvent(text="Step two."),
                        ReasoningContentEvent(signature="upstream-sig"), text("Result.")])

    assert blocks(events) == [
        {"type": "thinking", "thinking": "Step one. Step two.", "signature": "upstream-sig"},
        {"type": "text", "text": "Result."},
    ]


def test_native_reasoning_without_signature_gets_ours() -> None:
    events = translate([ReasoningContentEvent(text="Why.")])

    assert blocks(events)[0]["signature"] == thinking_signature("Why.")


def test_redacted_reasoning_becomes_a_redacted_thinking_block() -> None:
    events = translate([ReasoningContentEvent(redacted_content="ZW5jcnlwdGVk"), text("Ok.")])

    assert blocks(events) == [{"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"}, {"type": "text", "text": "Ok."}]


def test_text_held_back_as_a_possible_tag_is_not_output_yet() -> None:
    translator = machine(thinking=True)
    translator.start()

    assert translator.feed(text("  <thin")) == [] and not translator.has_output
    assert translator.feed(text("king>x")) != [] and translator.has_output
