"""Anthropic stream events → OpenAI ``chat.completion.chunk`` dicts (and, by collecting them, a
``chat.completion``).

Input grammar: client-apis.md §1.3. Output grammar: §2.3, with the rules clients break on (§0.8):

* the first chunk's delta is ``{"role": "assistant", "content": ""}``; ``role`` never appears again;
* text deltas become ``{"content": …}``; a ``tool_use`` block becomes a tool call whose first fragment
  carries ``index``, ``id``, ``type`` and ``function.name`` with ``arguments: ""`` and whose later fragments
  carry only ``index`` and ``function.arguments`` (the SDK's ``.stream()`` helper concatenates repeats);
  calls are numbered 0, 1, … in stream order. A call that streamed no argument text gets ``"{}"`` so the
  arguments always parse;
* the last choice chunk has delta ``{}`` and the ``finish_reason``; every other chunk has null;
* with ``include_usage`` every chunk carries ``"usage": null`` and ``finish()`` adds one ``choices: []``
  chunk with the usage; without it there is no ``usage`` member and no such chunk.

Choices (for the issue note):

* Thinking goes to ``delta.reasoning_content`` (``message.reasoning_content`` when collected): the
  DeepSeek-style extension several OpenAI-compatible clients read; the official SDK ignores it, and it is
  never mixed into ``content``. Signatures and redacted thinking are dropped (OpenAI clients cannot echo
  them back). Server-tool blocks and citations are dropped too.
* Tool call ids are the Anthropic ``toolu_…`` ids unchanged; clients echo them back as ``tool_call_id``.
* ``finish_reason``: end_turn / stop_sequence / pause_turn → ``stop``, max_tokens /
  model_context_window_exceeded → ``length``, tool_use → ``tool_calls``, refusal → ``content_filter``.
  For a client that used the legacy ``functions`` API (``legacy_functions=True``) the first call is sent as
  ``delta.function_call`` with ``finish_reason: "function_call"`` and further calls are dropped (that API
  has one call per turn; the request side disables parallel calls for it).
* ``prompt_tokens`` = ``input_tokens`` + cache creation + cache reads (Anthropic counts cache reads
  apart, OpenAI includes them, with ``prompt_tokens_details.cached_tokens``); ``completion_tokens`` is the
  last ``output_tokens`` (a cumulative total, §1.3).
* An Anthropic ``error`` event, or ``finish()`` on a stream that never reached ``message_delta``, becomes
  one ``{"error": {...}}`` chunk — the OpenAI SDK raises ``APIError`` on it (§2.3.6) — instead of a silent
  truncation. After it the machine is closed; the caller still writes ``data: [DONE]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from .anthropic_to_openai_errors import (
    openai_error_from_anthropic,
    openai_status_from_anthropic,
    status_for_anthropic_type,
)

__all__ = [
    "AnthropicToOpenAI",
    "CompletionFailed",
    "collect_completion",
    "finish_reason_for",
    "openai_error_from_anthropic",
    "openai_status_from_anthropic",
]

_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

#: OpenAI error type → the status a non-streaming answer carries for it (when no Anthropic status is known).
_STATUS_BY_OPENAI_TYPE = {
    "invalid_request_error": 400,
    "rate_limit_error": 429,
    "insufficient_quota": 429,
    "permission_error": 403,
}

_TRUNCATED = "The upstream stream ended before the response was complete"


def finish_reason_for(stop_reason: str | None, *, called_tools: bool = False) -> str:
    """OpenAI ``finish_reason`` for an Anthropic ``stop_reason`` (``None``: inferred from tool calls)."""
    if stop_reason is None:
        return "tool_calls" if called_tools else "stop"
    return _FINISH_REASONS.get(stop_reason, "stop")


class CompletionFailed(Exception):
    """The events ended in an error, so there is no completion: answer ``status`` with ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.status = status
        self.body = body


class AnthropicToOpenAI:
    """The stream state machine: ``feed(event)`` per Anthropic event, then ``finish()`` (or ``fail()``)."""

    def __init__(
        self,
        *,
        completion_id: str,
        created: int,
        model: str,
        include_usage: bool,
        legacy_functions: bool = False,
    ) -> None:
        self._base: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": None,
        }
        self._include_usage = include_usage
        self._legacy = legacy_functions
        self._started = False
        self._finished = False  # the finish_reason chunk was sent
        self._closed = False  # finish() or fail() ran: nothing more is emitted
        #: Anthropic block index → tool call index, for tool_use blocks being relayed.
        self._calls: dict[int, int] = {}
        self._calls_with_arguments: set[int] = set()
        self._call_count = 0
        self._stop_reason: str | None = None
        self._saw_message_delta = False
        self._input_tokens = 0
        self._cache_creation_tokens = 0
        self._cache_read_tokens: int | None = None
        self._output_tokens = 0
        #: Set when the stream failed: (HTTP status for a non-streaming answer, error body).
        self.failure: tuple[int, dict[str, Any]] | None = None

    # -- public ------------------------------------------------------------------------------------------

    def feed(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        if self._closed:
            return []
        handler = _HANDLERS.get(event.get("type"))  # type: ignore[arg-type]
        return handler(self, event) if handler is not None else []

    def finish(self) -> list[dict[str, Any]]:
        """End of the Anthropic events: the finish chunk if ``message_stop`` did not send it, then the usage
        chunk (only with ``include_usage``). A stream that never reached ``message_delta`` fails instead."""
        if self._closed:
            return []
        if not self._saw_message_delta:
            return self.fail(_TRUNCATED)
        out = [] if self._finished else [*self._opening(), self._finish_chunk()]
        self._closed = True
        if self._include_usage:
            out.append({**self._base, "choices": [], "usage": self.usage()})
        return out

    def fail(self, message: str, error_type: str = "server_error") -> list[dict[str, Any]]:
        """One ``{"error": …}`` chunk; the machine is closed afterwards."""
        body = {"error": {"message": message, "type": error_type, "param": None, "code": None}}
        return self._fail_with(_STATUS_BY_OPENAI_TYPE.get(error_type, 500), body)

    def usage(self) -> dict[str, Any]:
        """OpenAI usage from the counts seen so far."""
        prompt = self._input_tokens + self._cache_creation_tokens + (self._cache_read_tokens or 0)
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": self._output_tokens,
            "total_tokens": prompt + self._output_tokens,
        }
        if self._cache_read_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": self._cache_read_tokens}
        return usage

    # -- chunks ------------------------------------------------------------------------------------------

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        chunk = {
            **self._base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if self._include_usage:
            chunk["usage"] = None
        return chunk

    def _deltas(self, delta: dict[str, Any]) -> list[dict[str, Any]]:
        """``delta``'s chunk, preceded by the role chunk if it has not gone out yet."""
        if self._started:
            return [self._chunk(delta)]
        return [*self._opening(), self._chunk(delta)]

    def _opening(self) -> list[dict[str, Any]]:
        if self._started:
            return []
        self._started = True
        return [self._chunk({"role": "assistant", "content": ""})]

    def _finish_chunk(self) -> dict[str, Any]:
        self._finished = True
        reason = finish_reason_for(self._stop_reason, called_tools=self._call_count > 0)
        if self._legacy and reason == "tool_calls":
            reason = "function_call"
        return self._chunk({}, reason)

    def _fail_with(self, status: int, body: dict[str, Any]) -> list[dict[str, Any]]:
        if self._closed:
            return []
        self._closed = True
        self.failure = (status, body)
        return [body]

    def _call_delta(self, call: int, function: dict[str, str], call_id: str | None = None) -> dict[str, Any]:
        """A tool call fragment; ``call_id`` only for the first one (with ``function.name``)."""
        if self._legacy:
            return {"function_call": function}
        if call_id is None:
            return {"tool_calls": [{"index": call, "function": function}]}
        return {"tool_calls": [{"index": call, "id": call_id, "type": "function", "function": function}]}

    # -- Anthropic events --------------------------------------------------------------------------------

    def _on_message_start(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        message = event.get("message") or {}
        self._take_usage(message.get("usage") or {})
        return self._opening()

    def _on_block_start(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        block = event.get("content_block") or {}
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            return self._deltas({"content": text}) if text else self._opening()
        if kind == "thinking":
            thinking = block.get("thinking")
            return self._deltas({"reasoning_content": thinking}) if thinking else self._opening()
        if kind != "tool_use" or (self._legacy and self._call_count > 0):
            return self._opening()
        call = self._call_count
        self._call_count += 1
        index = event.get("index", -1)
        self._calls[index] = call
        out = self._deltas(
            self._call_delta(
                call, {"name": block.get("name", ""), "arguments": ""}, call_id=block.get("id", "")
            )
        )
        if block.get("input"):  # a block that arrives complete instead of as input_json_delta fragments
            self._calls_with_arguments.add(index)
            arguments = orjson.dumps(block["input"]).decode()
            out.append(self._chunk(self._call_delta(call, {"arguments": arguments})))
        return out

    def _on_block_delta(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        delta = event.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text")
            return self._deltas({"content": text}) if text else []
        if kind == "input_json_delta":
            index = event.get("index", -1)
            call = self._calls.get(index)
            piece = delta.get("partial_json")
            if call is None or not piece:
                return []
            self._calls_with_arguments.add(index)
            return self._deltas(self._call_delta(call, {"arguments": piece}))
        if kind == "thinking_delta":
            thinking = delta.get("thinking")
            return self._deltas({"reasoning_content": thinking}) if thinking else []
        return []  # signature_delta, citations_delta: nothing an OpenAI client can use

    def _on_block_stop(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        index = event.get("index", -1)
        call = self._calls.pop(index, None)
        if call is None or index in self._calls_with_arguments:
            self._calls_with_arguments.discard(index)
            return []
        # No argument text at all (a tool without input, §1.3): say "{}" so the arguments parse.
        return [self._chunk(self._call_delta(call, {"arguments": "{}"}))]

    def _on_message_delta(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        self._saw_message_delta = True
        stop_reason = (event.get("delta") or {}).get("stop_reason")
        if stop_reason is not None:
            self._stop_reason = stop_reason
        self._take_usage(event.get("usage") or {})
        return []

    def _on_message_stop(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        if self._finished:
            return []
        self._saw_message_delta = True  # a stream may omit message_delta; message_stop still ends it
        return [*self._opening(), self._finish_chunk()]

    def _on_error(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        detail = event.get("error")
        anthropic_type = detail.get("type") if isinstance(detail, dict) else None
        status = openai_status_from_anthropic(status_for_anthropic_type(anthropic_type))
        return self._fail_with(status, openai_error_from_anthropic(200, event))

    def _take_usage(self, usage: dict[str, Any]) -> None:
        """Anthropic counts are cumulative totals: each one present overwrites (§1.3)."""
        if (value := usage.get("input_tokens")) is not None:
            self._input_tokens = value
        if (value := usage.get("output_tokens")) is not None:
            self._output_tokens = value
        if (value := usage.get("cache_creation_input_tokens")) is not None:
            self._cache_creation_tokens = value
        if (value := usage.get("cache_read_input_tokens")) is not None:
            self._cache_read_tokens = value


_HANDLERS = {
    "message_start": AnthropicToOpenAI._on_message_start,
    "content_block_start": AnthropicToOpenAI._on_block_start,
    "content_block_delta": AnthropicToOpenAI._on_block_delta,
    "content_block_stop": AnthropicToOpenAI._on_block_stop,
    "message_delta": AnthropicToOpenAI._on_message_delta,
    "message_stop": AnthropicToOpenAI._on_message_stop,
    "error": AnthropicToOpenAI._on_error,
}


def collect_completion(
    events: Iterable[dict[str, Any]],
    *,
    completion_id: str,
    created: int,
    model: str,
    legacy_functions: bool = False,
) -> dict[str, Any]:
    """The non-streaming ``chat.completion``: run the stream machine and assemble its chunks, so both
    paths agree by construction. Raises ``CompletionFailed`` if the events end in an error."""
    machine = AnthropicToOpenAI(
        completion_id=completion_id,
        created=created,
        model=model,
        include_usage=True,
        legacy_functions=legacy_functions,
    )
    assembly = _Assembly()
    for event in events:
        assembly.add(machine.feed(event))
    assembly.add(machine.finish())
    if machine.failure is not None:
        raise CompletionFailed(*machine.failure)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": assembly.message(),
                "logprobs": None,
                "finish_reason": assembly.finish_reason,
            }
        ],
        "usage": assembly.usage,
        "system_fingerprint": None,
    }


class _Assembly:
    """Concatenates chunk deltas the way an OpenAI client does."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.function_call: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None

    def add(self, chunks: list[dict[str, Any]]) -> None:
        for chunk in chunks:
            if chunk.get("usage"):
                self.usage = chunk["usage"]
            for choice in chunk.get("choices", ()):
                self._add_delta(choice["delta"])
                if choice["finish_reason"] is not None:
                    self.finish_reason = choice["finish_reason"]

    def _add_delta(self, delta: dict[str, Any]) -> None:
        if text := delta.get("content"):
            self.content.append(text)
        if thinking := delta.get("reasoning_content"):
            self.reasoning.append(thinking)
        for piece in delta.get("tool_calls", ()):
            if piece["index"] == len(self.calls):
                self.calls.append(
                    {
                        "id": piece["id"],
                        "type": "function",
                        "function": {"name": piece["function"]["name"], "arguments": ""},
                    }
                )
            self.calls[piece["index"]]["function"]["arguments"] += piece["function"].get("arguments", "")
        if (function := delta.get("function_call")) is not None:
            if self.function_call is None:
                self.function_call = {"name": function.get("name", ""), "arguments": ""}
            self.function_call["arguments"] += function.get("arguments", "")

    def message(self) -> dict[str, Any]:
        called = bool(self.calls) or self.function_call is not None
        message: dict[str, Any] = {
            "role": "assistant",
            # null only when the turn is tool calls alone (§2.2)
            "content": "".join(self.content) if self.content or not called else None,
            "refusal": None,
        }
        if self.calls:
            message["tool_calls"] = self.calls
        if self.function_call is not None:
            message["function_call"] = self.function_call
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        return message
