"""The sans-IO half of the Google simulator: rendering plans into chunks and chunks into SSE bytes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from services.simulator.google.errors import go_duration, human_duration, retry_delay
from services.simulator.google.render import (
    Ending,
    RenderSettings,
    encode_event,
    fragments,
    merge_unary,
    render_plan,
)
from services.simulator.plan import MidstreamError, OutputLimit, Plan, Text, Thinking, ToolCall, Truncate

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def parse_sse(raw: bytes) -> list[object]:
    """A reference reader written from the SSE rules, not from the encoder: lines end in CRLF, LF or CR,
    ``data:`` lines are joined with LF, a blank line dispatches."""
    text = raw.decode()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    events, data = [], []
    for line in lines:
        if line == "":
            if data:
                events.append(json.loads("\n".join(data)))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return events


@given(json_values, st.sampled_from(["\r\n", "\n"]), st.booleans())
def test_an_encoded_event_decodes_to_the_same_payload(payload, newline, multiline):
    raw = encode_event({"response": payload}, newline=newline, multiline=multiline)
    assert raw.endswith((newline * 2).encode())
    assert parse_sse(raw) == [{"response": payload}]


@given(st.binary(max_size=300), st.integers(1, 17))
def test_fragments_reassemble_to_the_input(data, size):
    pieces = fragments(data, size)
    assert b"".join(pieces) == data and all(0 < len(p) <= size for p in pieces)


steps = st.lists(
    st.one_of(
        st.builds(Text, st.text(min_size=1, max_size=30)),
        st.builds(Thinking, st.text(min_size=1, max_size=30)),
        st.builds(ToolCall, st.sampled_from(["a", "b_c"]), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)),
    ),
    max_size=8,
)


def settings(**overrides: object) -> RenderSettings:
    base = dict(model="gemini-2.5-flash", public_api=False, prompt_tokens=7, response_id="r1",
                create_time="2026-01-01T00:00:00.000000Z", include_thoughts=True)
    return RenderSettings(**{**base, **overrides})  # type: ignore[arg-type]


@given(steps, st.booleans())
def test_finish_reason_and_full_usage_sit_only_on_the_last_chunk(plan_steps, public):
    rendering = render_plan(Plan(tuple(plan_steps)), settings(public_api=public))
    *head, last = rendering.chunks
    assert all("finishReason" not in c["candidates"][0] for c in head)
    assert last["candidates"][0]["finishReason"] == "STOP"
    usage = last["usageMetadata"]
    assert usage["totalTokenCount"] == 7 + usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0)


@given(steps)
def test_every_tool_call_appears_once_with_complete_args(plan_steps):
    rendering = render_plan(Plan(tuple(plan_steps)), settings())
    calls = [p["functionCall"] for c in rendering.chunks for p in c["candidates"][0]["content"]["parts"]
             if "functionCall" in p]
    assert calls == [{"name": s.name, "args": s.input} for s in plan_steps if isinstance(s, ToolCall)]


@given(steps)
def test_gemini3_signs_only_the_first_call_of_the_turn(plan_steps):
    counter = iter(range(1000))
    rendering = render_plan(Plan(tuple(plan_steps)), settings(sign=lambda: f"sig{next(counter)}"))
    calls = [p for c in rendering.chunks for p in c["candidates"][0]["content"]["parts"] if "functionCall" in p]
    if calls:
        assert "thoughtSignature" in calls[0] and all("thoughtSignature" not in p for p in calls[1:])
    else:
        assert rendering.chunks[-1]["candidates"][0]["content"]["parts"][-1]["text"] == ""


def test_consecutive_tool_calls_share_one_chunk():
    rendering = render_plan(Plan((Text("x"), ToolCall("a", {}), ToolCall("b", {"k": 1}))), settings())
    assert [len(c["candidates"][0]["content"]["parts"]) for c in rendering.chunks] == [1, 2]


def test_thoughts_are_hidden_without_include_thoughts_but_still_counted():
    rendering = render_plan(Plan((Thinking("deep thought"), Text("answer"))), settings(include_thoughts=False))
    parts = [p for c in rendering.chunks for p in c["candidates"][0]["content"]["parts"]]
    assert parts == [{"text": "answer"}]
    assert rendering.chunks[-1]["usageMetadata"]["thoughtsTokenCount"] == 3


def test_output_limit_finishes_with_max_tokens():
    rendering = render_plan(Plan((Text("a"), OutputLimit())), settings())
    assert rendering.finish_reason == "MAX_TOKENS"


def test_midstream_error_and_truncate_end_without_finish_reason():
    for step, ending in ((MidstreamError(), Ending.MIDSTREAM_ERROR), (Truncate(), Ending.TRUNCATED)):
        rendering = render_plan(Plan((Text("a"), step)), settings())
        assert rendering.ending is ending and rendering.finish_reason is None
        assert rendering.chunks[-1]["usageMetadata"] == {"trafficType": "PROVISIONED_THROUGHPUT"}


def test_unary_merges_text_and_keeps_the_signature_on_the_merged_part():
    rendering = render_plan(Plan((Text("Hel"), Text("lo"))), settings(sign=lambda: "c2ln"))
    parts = merge_unary(rendering, settings(sign=lambda: "c2ln"))["candidates"][0]["content"]["parts"]
    assert parts == [{"text": "Hello", "thoughtSignature": "c2ln"}]


def test_google_durations_are_written_like_google():
    assert retry_delay(69287.312848392) == "69287.312848392s"
    assert retry_delay(44) == "44s"
    assert go_duration(69287.31) == "19h14m47.31s"
    assert go_duration(0.539477544) == "539.477544ms"
    assert human_duration(31447) == "8h44m7s"
