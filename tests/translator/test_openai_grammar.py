"""An independent checker of the OpenAI chunk grammar (client-apis.md §2.3, §0.8) and builders of Anthropic
streams (§1.3), used by the other ``test_openai_*`` modules; the tests here pin the checker itself, so a
lenient checker cannot make the stream tests pass vacuously."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

_CHOICE_KEYS = {"index", "delta", "logprobs", "finish_reason"}


@dataclass
class Assembled:
    """What a client reconstructs from a valid chunk stream."""

    content: str = ""
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    function_call: dict[str, str] | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


def check_chunks(chunks: list[dict[str, Any]], *, include_usage: bool) -> Assembled:
    """Assert every grammar rule over a whole stream (as written before ``data: [DONE]``)."""
    out = Assembled()
    if chunks and "error" in chunks[-1]:
        error_chunk, chunks = chunks[-1], chunks[:-1]
        assert set(error_chunk) == {"error"}, error_chunk
        assert set(error_chunk["error"]) == {"message", "type", "param", "code"}, error_chunk
        assert isinstance(error_chunk["error"]["message"], str) and error_chunk["error"]["message"]
        out.error = error_chunk["error"]
    assert all("error" not in c for c in chunks), "an error chunk must be the last one"

    identity = None
    choice_chunks: list[dict[str, Any]] = []
    for position, chunk in enumerate(chunks):
        assert chunk["object"] == "chat.completion.chunk"
        assert "system_fingerprint" in chunk
        key = (chunk["id"], chunk["created"], chunk["model"])
        assert identity in (None, key), "id, created and model must not change within a stream"
        identity = key
        if chunk["choices"] == []:
            assert include_usage, "a choices: [] chunk without stream_options.include_usage"
            assert position == len(chunks) - 1, "the usage chunk must be the last chunk"
            usage = chunk["usage"]
            assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
            out.usage = usage
            continue
        if include_usage:
            assert "usage" in chunk and chunk["usage"] is None, (
                "with include_usage every chunk has usage: null"
            )
        else:
            assert "usage" not in chunk, "usage member without include_usage"
        assert len(chunk["choices"]) == 1
        choice = chunk["choices"][0]
        assert set(choice) == _CHOICE_KEYS and choice["index"] == 0 and choice["logprobs"] is None
        choice_chunks.append(choice)

    if include_usage and out.error is None:
        assert out.usage is not None, "include_usage was asked but no usage chunk came"

    for n, choice in enumerate(choice_chunks):
        delta = choice["delta"]
        if n == 0:
            assert delta == {"role": "assistant", "content": ""}, f"first delta: {delta}"
            assert choice["finish_reason"] is None
            continue
        assert "role" not in delta, "role repeated after the first delta"
        if choice["finish_reason"] is not None:
            assert n == len(choice_chunks) - 1, "finish_reason before the last choice chunk"
            assert delta == {}, "the finish chunk's delta must be empty"
            out.finish_reason = choice["finish_reason"]
            continue
        assert delta, "an empty delta that is not the finish chunk"
        assert set(delta) <= {"content", "reasoning_content", "tool_calls", "function_call"}, delta
        out.content += delta.get("content", "")
        out.reasoning += delta.get("reasoning_content", "")
        for call in delta.get("tool_calls", ()):
            _add_call_fragment(out, call)
        if "function_call" in delta:
            _add_function_fragment(out, delta["function_call"])
    if out.error is None:
        assert choice_chunks, "no chunk at all"
        assert out.finish_reason is not None, "the stream has no finish chunk"
    return out


def _add_call_fragment(out: Assembled, call: dict[str, Any]) -> None:
    index = call["index"]
    if index == len(out.tool_calls):
        assert set(call) == {"index", "id", "type", "function"}, f"first fragment of call {index}: {call}"
        assert call["type"] == "function" and call["id"]
        assert set(call["function"]) == {"name", "arguments"} and call["function"]["arguments"] == ""
        out.tool_calls.append({"id": call["id"], "name": call["function"]["name"], "arguments": ""})
        return
    assert index < len(out.tool_calls), f"tool call index {index} skips ahead"
    assert set(call) == {"index", "function"}, f"id/type repeated in a later fragment: {call}"
    assert set(call["function"]) == {"arguments"}, f"name repeated in a later fragment: {call}"
    out.tool_calls[index]["arguments"] += call["function"]["arguments"]


def _add_function_fragment(out: Assembled, fragment: dict[str, str]) -> None:
    if out.function_call is None:
        assert set(fragment) == {"name", "arguments"} and fragment["arguments"] == ""
        out.function_call = {"name": fragment["name"], "arguments": ""}
        return
    assert set(fragment) == {"arguments"}, f"name repeated in a later function_call fragment: {fragment}"
    out.function_call["arguments"] += fragment["arguments"]


# -- Anthropic stream builders -----------------------------------------------------------------------------


def text(*pieces: str) -> tuple[Any, ...]:
    return ("text", pieces)


def thinking(*pieces: str) -> tuple[Any, ...]:
    return ("thinking", pieces)


def tool(call_id: str, name: str, *pieces: str) -> tuple[Any, ...]:
    return ("tool_use", call_id, name, pieces)


def anthropic_events(
    *blocks: tuple[Any, ...],
    stop_reason: str | None = "end_turn",
    input_tokens: int = 12,
    output_tokens: int = 31,
    ping: bool = True,
) -> list[dict[str, Any]]:
    """A well-formed Anthropic stream (§1.3) holding ``blocks``, ending message_delta + message_stop."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1},
            },
        }
    ]
    for index, block in enumerate(blocks):
        events.extend(_block_events(index, block))
        if ping and index == 0:
            events.insert(2, {"type": "ping"})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        }
    )
    events.append({"type": "message_stop"})
    return events


def _block_events(index: int, block: tuple[Any, ...]) -> list[dict[str, Any]]:
    kind = block[0]
    if kind == "text":
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in block[1]]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in block[1]]
        deltas.append({"type": "signature_delta", "signature": "sig"})
    else:
        start = {"type": "tool_use", "id": block[1], "name": block[2], "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in block[3]]
    return [
        {"type": "content_block_start", "index": index, "content_block": start},
        *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": index},
    ]


# -- the checker's own tests ----------------------------------------------------------------------------------


def _c(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def _good() -> list[dict[str, Any]]:
    return [
        _c({"role": "assistant", "content": ""}),
        _c(
            {
                "tool_calls": [
                    {"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}
                ]
            }
        ),
        _c({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
        _c({}, "tool_calls"),
    ]


def test_checker_accepts_a_well_formed_stream_and_assembles_it() -> None:
    result = check_chunks(_good(), include_usage=False)
    assert result.tool_calls == [{"id": "c1", "name": "f", "arguments": "{}"}]
    assert json.loads(result.tool_calls[0]["arguments"]) == {}
    assert result.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("position", "bad_delta"),
    [
        (1, {"role": "assistant", "content": "again"}),
        (2, {"tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {"arguments": "{}"}}]}),
        (2, {"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": "{}"}}]}),
        (2, {"tool_calls": [{"index": 2, "function": {"arguments": "{}"}}]}),
    ],
    ids=["role-twice", "id-twice", "name-twice", "index-skips"],
)
def test_checker_rejects_repeated_identity_fields_and_index_gaps(position: int, bad_delta: dict) -> None:
    chunks = _good()
    chunks[position] = _c(bad_delta)
    with pytest.raises(AssertionError):
        check_chunks(chunks, include_usage=False)


def test_checker_rejects_a_usage_chunk_nobody_asked_for() -> None:
    chunks = _good()
    chunks.append(
        {**_c({}), "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    )
    with pytest.raises(AssertionError):
        check_chunks(chunks, include_usage=False)


def test_checker_rejects_a_stream_without_finish_chunk() -> None:
    with pytest.raises(AssertionError):
        check_chunks(_good()[:-1], include_usage=False)
