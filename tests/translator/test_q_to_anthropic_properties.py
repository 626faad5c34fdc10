"""Property tests: however Q splits text, tags and tool input into events, the client gets the same answer."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
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

from services.translator.anthropic_collect import collect_message
from shared.schemas.amazonq_events import ContextUsageEvent, MeteringEvent, QEvent, QException


def splits(whole: str, *, max_pieces: int = 12) -> st.SearchStrategy[list[str]]:
    """`whole` cut at arbitrary points; repeated points give the empty pieces Q also sends."""
    return st.lists(st.integers(0, len(whole)), max_size=max_pieces).map(
        lambda cuts: [whole[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(whole)], strict=True)])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)


@given(splits("<thinking>abc</thinking>rest"))
def test_any_split_of_thinking_tags_into_events_gives_the_same_blocks(pieces: list[str]) -> None:
    events = translate([text(p) for p in pieces], thinking=True)

    assert [(b["type"], b.get("thinking", b.get("text"))) for b in blocks(events)] == [
        ("thinking", "abc"), ("text", "rest")]


@given(json_objects, st.data())
def test_tool_input_split_anywhere_is_reassembled(value: dict, data: st.DataObject) -> None:
    raw = orjson.dumps(value).decode()
    fragments = data.draw(splits(raw, max_pieces=20))
    events = translate([text("Calling."), *tool_call("tooluse_x", fragments)])

    assert orjson.loads(blocks(events)[1]["input"]) == value
    assert collect_message(events)["content"][1]["input"] == value
    assert message_delta(events)["delta"]["stop_reason"] == "tool_use"


@given(json_objects, st.data(), st.integers(1, 64))
@settings(max_examples=50)
def test_tool_input_through_real_frames_in_any_chunking_is_reassembled(value: dict, data: st.DataObject,
                                                                       chunk_size: int) -> None:
    raw = orjson.dumps(value).decode()
    body = q_body([*tool_call("t1", data.draw(splits(raw))), MeteringEvent(usage=0.1)])
    events = translate(decode_body(body, chunk_size))

    assert collect_message(events)["content"][0]["input"] == value


@given(st.text(alphabet="ab END\n", max_size=40), st.data())
def test_stop_sequences_across_any_split_of_deltas_give_the_same_answer(whole: str, data: st.DataObject) -> None:
    pieces = data.draw(splits(whole))
    split_events = translate([text(p) for p in pieces], stop_sequences=["END", "\n\n"])
    whole_events = translate([text(whole)], stop_sequences=["END", "\n\n"])

    assert collect_message(split_events)["content"] == collect_message(whole_events)["content"]
    assert message_delta(split_events)["delta"] == message_delta(whole_events)["delta"]


_event = st.one_of(
    st.text(alphabet="ab<>/thinkg END", max_size=12).map(text),
    st.builds(tool, st.sampled_from(["t1", "t2", "t3"]), st.just("get"),
              st.sampled_from([None, "", "{", '"k"', ":", "1", "}", "{}"]), st.sampled_from([None, True])),
    st.just(MeteringEvent(usage=0.5)),
    st.just(ContextUsageEvent(context_usage_percentage=3.0)),
    st.just(QException("ThrottlingException", "slow down")),
    st.just(QException("ContentLengthExceededException", "long")),
)


@given(st.lists(_event, max_size=30), st.booleans(), st.integers(1, 40))
@settings(max_examples=300)
def test_any_event_sequence_gives_a_grammatical_stream(q_events: list[QEvent], thinking: bool, max_tokens: int) -> None:
    translator = machine(thinking=thinking, max_tokens=max_tokens, stop_sequences=["END"])
    events = run(translator, q_events)

    failed = events[-1]["type"] == "error"
    check_grammar(events, error=failed)
    assert failed == (translator.failure is not None)
    if not failed:
        assert collect_message(events)["stop_reason"] == message_delta(events)["delta"]["stop_reason"]
