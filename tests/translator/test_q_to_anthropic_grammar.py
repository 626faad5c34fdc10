"""The Anthropic stream grammar checker (client-apis.md §1.3) and the drivers the other
`test_q_to_anthropic*` modules share; the tests here prove the checker rejects what it must.

Clients do not notice a broken stream (an early end is accepted by both SDK helpers and by Claude Code,
client-apis.md §5), so every translation test runs its output through `check_grammar`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import anthropic
import httpx2
import msgspec
import orjson
import pytest

from services.translator.q_to_anthropic import QToAnthropic
from shared.schemas.amazonq_events import (
    EVENT_TYPES,
    AssistantResponseEvent,
    QErrorMessage,
    QEvent,
    QException,
    ToolUseEvent,
)
from shared.wire.anthropic_sse import anthropic_event
from shared.wire.eventstream import encode_error, encode_event, encode_exception
from shared.wire.qevents import QEventDecoder

Payload = dict[str, Any]

STOP_REASONS = {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal",
                "model_context_window_exceeded"}
_DELTAS_FOR_BLOCK = {
    "text": {"text_delta", "citations_delta"},
    "thinking": {"thinking_delta", "signature_delta"},
    "tool_use": {"input_json_delta"},
    "redacted_thinking": set(),
}
_EMPTY_BLOCK_FIELDS = {"text": {"text": ""}, "thinking": {"thinking": "", "signature": ""}, "tool_use": {"input": {}}}


# ---- the checker ---------------------------------------------------------------------------------------


def check_grammar(events: Sequence[Payload], *, error: bool = False) -> None:
    """Assert `events` is exactly one Anthropic stream: message_start, sequential blocks with indexes
    0, 1, 2…, one ping right after the first block start, then message_delta + message_stop — or, with
    `error=True`, ending in one `error` event with nothing after it and no message_delta/message_stop."""
    assert events, "no events"
    for event in events:
        assert isinstance(event.get("type"), str), event
        frame = anthropic_event(event)  # the SSE name is taken from `type`; the data must be JSON
        assert frame.startswith(b"event: " + event["type"].encode() + b"\ndata: {")
    start = events[0]
    assert start["type"] == "message_start", start
    message = start["message"]
    assert message["content"] == [] and message["stop_reason"] is None and message["stop_sequence"] is None
    assert message["id"] and message["type"] == "message" and message["role"] == "assistant"
    assert isinstance(message["usage"]["input_tokens"], int) and isinstance(message["usage"]["output_tokens"], int)

    body = list(events[1:])
    if error:
        assert body and body[-1]["type"] == "error", "a failed stream must end with an error event"
        last = body.pop()
        assert set(last) == {"type", "error"}
        assert isinstance(last["error"]["type"], str) and last["error"]["message"], last
        assert not any(e["type"] in ("message_delta", "message_stop", "error") for e in body)
    else:
        assert len(body) >= 2, "a clean stream ends with message_delta and message_stop"
        assert body[-1] == {"type": "message_stop"}, body[-1]
        delta_event = body[-2]
        assert delta_event["type"] == "message_delta", delta_event
        delta = delta_event["delta"]
        assert delta["stop_reason"] in STOP_REASONS, delta
        assert (delta["stop_reason"] == "stop_sequence") == isinstance(delta["stop_sequence"], str), delta
        assert delta["stop_sequence"] is None or delta["stop_sequence"]
        assert isinstance(delta_event["usage"]["output_tokens"], int), "usage.output_tokens is required"
        body = body[:-2]

    next_index = 0
    open_block: Payload | None = None
    open_index = -1
    deltas: list[Payload] = []
    pings = 0
    for position, event in enumerate(body):
        kind = event["type"]
        if kind == "ping":
            pings += 1
            assert position == 1 and body[0]["type"] == "content_block_start" and body[0]["index"] == 0, (
                "the only ping comes right after the first content_block_start"
            )
        elif kind == "content_block_start":
            assert open_block is None, f"block {event['index']} started while block {open_index} is open"
            assert event["index"] == next_index, f"index {event['index']}, expected {next_index}"
            open_block, open_index, deltas = event["content_block"], next_index, []
            next_index += 1
            block_type = open_block["type"]
            assert block_type in _DELTAS_FOR_BLOCK, open_block
            for field, empty in _EMPTY_BLOCK_FIELDS.get(block_type, {}).items():
                assert open_block[field] == empty, open_block
            if block_type == "tool_use":
                assert isinstance(open_block["id"], str) and open_block["id"] and open_block["name"]
            if block_type == "redacted_thinking":
                assert isinstance(open_block["data"], str) and open_block["data"]
        elif kind == "content_block_delta":
            assert open_block is not None and event["index"] == open_index, event
            delta_type = event["delta"]["type"]
            assert delta_type in _DELTAS_FOR_BLOCK[open_block["type"]], (open_block["type"], delta_type)
            assert not any(d["type"] == "signature_delta" for d in deltas), "signature_delta must be the last delta"
            value = next(v for k, v in event["delta"].items() if k != "type")
            assert isinstance(value, str)
            if delta_type in ("text_delta", "thinking_delta"):
                assert value, "no empty text/thinking deltas"
            deltas.append(event["delta"])
        elif kind == "content_block_stop":
            assert open_block is not None and event["index"] == open_index and set(event) == {"type", "index"}
            if open_block["type"] == "thinking":
                assert deltas and deltas[-1]["type"] == "signature_delta" and deltas[-1]["signature"], (
                    "a thinking block ends with one non-empty signature_delta"
                )
                assert sum(d["type"] == "signature_delta" for d in deltas) == 1
            if open_block["type"] == "tool_use" and not error:
                raw = "".join(d["partial_json"] for d in deltas)
                assert raw.strip() == "" or isinstance(orjson.loads(raw), dict), raw
            open_block = None
        else:
            pytest.fail(f"unexpected event {event!r}")
    if not error:
        assert open_block is None, f"block {open_index} never stopped"
    assert pings == (1 if next_index else 0), "exactly one ping, after the first content_block_start"


# ---- drivers ---------------------------------------------------------------------------------------------


def machine(**overrides: Any) -> QToAnthropic:
    options: dict[str, Any] = {"message_id": "msg_test", "model": "claude-test", "input_tokens": 10,
                               "max_tokens": 4096}
    options.update(overrides)
    return QToAnthropic(**options)


def run(translator: QToAnthropic, q_events: Iterable[QEvent]) -> list[Payload]:
    """What the translator service does: start, feed until done or EOF, finish — or fail on a failure."""
    out = translator.start()
    for event in q_events:
        out += translator.feed(event)
        if translator.done:
            break
    if translator.failure is not None:
        out += translator.fail(*translator.failure.anthropic_error())
    else:
        out += translator.finish()
    return out


def translate(q_events: Iterable[QEvent], **overrides: Any) -> list[Payload]:
    """`run` on a fresh machine, with the grammar checked (error grammar when it ended in an error)."""
    events = run(machine(**overrides), q_events)
    check_grammar(events, error=events[-1]["type"] == "error")
    return events


def blocks(events: Sequence[Payload]) -> list[Payload]:
    """The content blocks the events build, tool inputs kept as raw JSON text (for failed streams too)."""
    built: list[Payload] = []
    for event in events:
        if event["type"] == "content_block_start":
            block = dict(event["content_block"])
            if block["type"] == "tool_use":
                block["input"] = ""
            built.append(block)
        elif event["type"] == "content_block_delta":
            block, delta = built[event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "input_json_delta":
                block["input"] += delta["partial_json"]
    return built


def message_delta(events: Sequence[Payload]) -> Payload:
    return next(e for e in events if e["type"] == "message_delta")


def text(content: str) -> AssistantResponseEvent:
    return AssistantResponseEvent(content=content)


def tool(tool_use_id: str, name: str = "get_weather", input: str | None = None, stop: bool | None = None) -> ToolUseEvent:
    return ToolUseEvent(tool_use_id=tool_use_id, name=name, input=input, stop=stop)


def tool_call(tool_use_id: str, fragments: Sequence[str], name: str = "get_weather") -> list[ToolUseEvent]:
    """A tool group as Q sends it (amazonq.md §3.6): start, fragments, stop."""
    return [tool(tool_use_id, name), *(tool(tool_use_id, name, f) for f in fragments), tool(tool_use_id, name, stop=True)]


# ---- real bytes --------------------------------------------------------------------------------------------

_EVENT_NAMES = {shape: name for name, shape in EVENT_TYPES.items()}


def q_frame(event: QEvent) -> bytes:
    """One Q frame for `event`, payload JSON as Q writes it: compact, sorted keys, absent optionals."""
    if isinstance(event, QException):
        body = {"message": event.message} | ({"reason": event.reason} if event.reason else {})
        return encode_exception(event.exception_type, orjson.dumps(body))
    if isinstance(event, QErrorMessage):
        return encode_error(event.error_code, event.error_message)
    payload = {k: v for k, v in msgspec.to_builtins(event).items() if v is not None}
    return encode_event(_EVENT_NAMES[type(event)], orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))


def q_body(q_events: Iterable[QEvent]) -> bytes:
    return b"".join(q_frame(e) for e in q_events)


def decode_body(body: bytes, chunk_size: int) -> list[QEvent]:
    decoder = QEventDecoder()
    events: list[QEvent] = []
    for offset in range(0, len(body), chunk_size):
        events += decoder.feed(body[offset : offset + chunk_size])
    decoder.finish()
    return events


# ---- the official SDK -----------------------------------------------------------------------------------

SDK_REQUEST: dict[str, Any] = {"model": "claude-test", "max_tokens": 4096,
                               "messages": [{"role": "user", "content": "hello"}]}


def sse_body(events: Iterable[Payload]) -> bytes:
    return b"".join(anthropic_event(e) for e in events)


def sdk_client(body: bytes) -> anthropic.Anthropic:
    """The real SDK reading `body` as a `text/event-stream` response (its own MockTransport hook)."""
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})

    return anthropic.Anthropic(api_key="test-key", base_url="http://gateway.test", max_retries=0,
                               http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))


def sdk_final_message(events: Iterable[Payload]) -> anthropic.types.Message:
    with sdk_client(sse_body(events)).messages.stream(**SDK_REQUEST) as stream:
        return stream.get_final_message()


# ---- the checker's own tests ------------------------------------------------------------------------------


def _clean(*body: Payload) -> list[Payload]:
    start = machine().start()
    return [*start, *body, {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                             "usage": {"output_tokens": 1}}, {"type": "message_stop"}]


_TEXT_BLOCK = [
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "ping"},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}},
    {"type": "content_block_stop", "index": 0},
]


def test_checker_accepts_a_minimal_text_stream() -> None:
    check_grammar(_clean(*_TEXT_BLOCK))


def test_checker_rejects_a_stream_without_message_stop() -> None:
    with pytest.raises(AssertionError):
        check_grammar(_clean(*_TEXT_BLOCK)[:-1])


def test_checker_rejects_overlapping_blocks() -> None:
    second = {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}
    with pytest.raises(AssertionError):
        check_grammar(_clean(*_TEXT_BLOCK[:3], second, _TEXT_BLOCK[3]))


def test_checker_rejects_a_skipped_index() -> None:
    renumbered = [dict(e, index=1) if "index" in e else e for e in _TEXT_BLOCK]
    with pytest.raises(AssertionError):
        check_grammar(_clean(*renumbered))


def test_checker_rejects_a_thinking_block_without_signature() -> None:
    thinking = [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hm"}},
        {"type": "content_block_stop", "index": 0},
    ]
    with pytest.raises(AssertionError):
        check_grammar(_clean(*thinking))


def test_checker_rejects_message_stop_after_an_error() -> None:
    events = [*machine().start(), {"type": "error", "error": {"type": "api_error", "message": "x"}},
              {"type": "message_stop"}]
    with pytest.raises(AssertionError):
        check_grammar(events, error=True)
