"""Amazon Q response events → Anthropic Messages stream events (amazonq.md §3-§4.3, client-apis.md §1.3).

`QToAnthropic` is a sans-IO state machine: `start()`, then `feed(event)` for each decoded Q event, then
`finish()` at upstream EOF (or `fail()` after a failure). Each call returns Anthropic stream event payloads
as plain dicts with `type` set — the SSE writer (`shared.wire.anthropic_sse.anthropic_event`) takes the
event name from it. The non-streaming path runs the same machine and folds its output with
`anthropic_collect.collect_message`, so both paths agree by construction.

Output grammar (exactly Anthropic's): `message_start`, then blocks strictly one after another —
`content_block_start`, `ping` after the first one only, deltas, `content_block_stop` — with indexes 0, 1,
2, …; then `message_delta` (stop_reason, stop_sequence, cumulative usage) and `message_stop`. Or, after a
failure, one `error` event and nothing more.

What maps to what:
- `assistantResponseEvent` → text block. With `thinking=True`, leading `<thinking>…</thinking>` becomes a
  thinking block (`thinking_tags`); with `thinking=False` tags stay text, thinking is never invented.
- `reasoningContentEvent` (native thinking) → thinking block (Q's signature if given, else ours);
  `redactedContent` → a `redacted_thinking` block.
- `toolUseEvent` (§3.6) → tool_use block: the start frame opens it, each `input` string fragment is an
  `input_json_delta`, `stop: true` closes it once the whole input parses as a JSON object. A repeated event
  for a completed tool id is dropped (§3.8).
- Exception frames (§4.3): `ContentLengthExceededException` ends the answer with `max_tokens` (as KRS
  does); any other sets `failure` — the caller fails over if nothing was sent yet, else calls `fail()`.
- Everything else is noise for the client; metering, context usage, token usage and the conversation id
  are recorded for the caller.

Blocks must be sequential but Q keys tool state by `toolUseId` (§3.6 item 7), so events that cannot be
emitted yet — another tool's frames, or text, while a tool call is still open — are deferred and replayed,
in arrival order, when the open tool call stops. Real streams never interleave, so this never delays
anything in practice; it only keeps an interleaved stream correct.

`codeReferenceEvent`: QCLI drops the text event just before it (licensed-code attribution, §3.8). q2api
does not: holding every text event back until the next frame proves it is not followed by a reference
would delay all streaming by one frame, and the Anthropic API has no place to show an attribution
anyway. The text is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from services.translator.anthropic_collect import StreamFailed, collect_message
from services.translator.q_failures import INVALID_TOOL_INPUT, TRUNCATED_TOOL_USE, QFailure, exception_name
from services.translator.stop_sequences import StopSequenceScanner
from services.translator.thinking_signature import ThinkingSigner
from services.translator.thinking_tags import ThinkingTagSplitter
from services.translator.token_count import encoding
from shared.schemas.amazonq_events import (
    AssistantResponseEvent,
    ContextUsageEvent,
    InitialResponse,
    MessageMetadataEvent,
    MetadataEvent,
    MeteringEvent,
    QErrorMessage,
    QEvent,
    QException,
    ReasoningContentEvent,
    ToolUseEvent,
)

__all__ = ["CONTENT_LENGTH_EXCEEDED", "QFailure", "QToAnthropic", "StreamFailed", "collect_message"]

Payload = dict[str, Any]

#: Q's mid-stream "output too long" exception: the answer ends with stop_reason max_tokens (KRS, ZKR).
CONTENT_LENGTH_EXCEEDED = "ContentLengthExceededException"

# Kinds of the open content block.
_NONE, _TEXT, _THINKING, _TOOL = 0, 1, 2, 3

class QToAnthropic:
    """One answer's translation: one instance per upstream attempt (a failover gets a fresh one)."""

    __slots__ = (
        "_closed",
        "_counted",
        "_cut",
        "_deferred",
        "_done",
        "_encode",
        "_index",
        "_input_tokens",
        "_max_tokens",
        "_message_id",
        "_model",
        "_native_signature",
        "_open",
        "_pinged",
        "_reported_output",
        "_signer",
        "_splitter",
        "_stops",
        "_tool_completed",
        "_tool_id",
        "_tool_name",
        "_tool_parts",
        "_tools_done",
        "_usage_reported",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "context_usage_percentage",
        "conversation_id",
        "failure",
        "metering_credits",
        "stop_reason",
        "stop_sequence",
    )

    def __init__(
        self,
        *,
        message_id: str,
        model: str,
        input_tokens: int,
        max_tokens: int,
        stop_sequences: Sequence[str] | None = (),
        thinking: bool = False,
        client_tool_name: Callable[[str], str] = lambda name: name,
    ) -> None:
        self._message_id = message_id
        self._model = model
        self._input_tokens = input_tokens
        self._max_tokens = max_tokens
        self._encode = encoding().encode_ordinary  # same counting as token_count.count_text_tokens
        self._splitter = ThinkingTagSplitter() if thinking else None
        scanner = StopSequenceScanner(stop_sequences or ())
        self._stops = scanner if scanner else None
        self._tool_name = client_tool_name

        self._index = -1  # index of the newest block; -1 before any
        self._open = _NONE
        self._pinged = False
        self._signer: ThinkingSigner | None = None
        self._native_signature: str | None = None
        self._tool_id: str | None = None  # the open tool_use block's Q id
        self._tool_parts: list[str] = []
        self._tools_done: set[str] = set()
        self._tool_completed = False
        self._deferred: list[QEvent] = []

        self._counted = 0
        self._reported_output: int | None = None
        self._usage_reported = False
        self._done = False
        self._cut = False  # the answer was cut here (max_tokens, stop sequence): drop held-back text
        self._closed = False  # message_stop or error emitted

        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.failure: QFailure | None = None
        #: Recorded for the caller (usage reports, logs); never shown to the client.
        self.cache_read_input_tokens: int | None = None
        self.cache_creation_input_tokens: int | None = None
        self.metering_credits: float | None = None
        self.context_usage_percentage: float | None = None
        self.conversation_id: str | None = None

    # ---- what the caller reads ----------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """The answer is complete (limit reached, stop sequence, terminal exception): close the upstream
        call and call `finish()`. Later events are ignored (seeds §5.4 "Stream never terminating")."""
        return self._done

    @property
    def has_output(self) -> bool:
        """A content block was started. Until then a failure can still become a failover verdict."""
        return self._index >= 0

    @property
    def output_tokens(self) -> int:
        """Q's own count when a metadataEvent reported one, else q2api's count of everything returned."""
        return self._reported_output if self._reported_output is not None else self._counted

    @property
    def input_tokens(self) -> int:
        """The caller's estimate, replaced by Q's `uncachedInputTokens` when reported."""
        return self._input_tokens

    @property
    def usage(self) -> Payload:
        """Final Anthropic usage: input/output tokens, plus cache fields when Q reported them."""
        usage: Payload = {"input_tokens": self._input_tokens, "output_tokens": self.output_tokens}
        if self.cache_read_input_tokens is not None:
            usage["cache_read_input_tokens"] = self.cache_read_input_tokens
        if self.cache_creation_input_tokens is not None:
            usage["cache_creation_input_tokens"] = self.cache_creation_input_tokens
        return usage

    # ---- the machine ---------------------------------------------------------------------------------

    def start(self) -> list[Payload]:
        """`message_start`; call once, first."""
        return [
            {
                "type": "message_start",
                "message": {
                    "id": self._message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": self._model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": self._input_tokens, "output_tokens": 1},
                },
            }
        ]

    def feed(self, event: QEvent) -> list[Payload]:
        """The stream events one Q event produces (often none). Ignores everything once `done`."""
        if self._done:
            return []
        handler = _HANDLERS.get(type(event))
        if handler is None:  # noise: followups, web links, invalid state, code references, unknown
            return []
        out: list[Payload] = []
        handler(self, event, out)
        return out

    def finish(self) -> list[Payload]:
        """At upstream EOF (or once `done`): close the open block, `message_delta`, `message_stop`.

        An answer that cannot end cleanly ends with the `error` event instead — a recorded `failure`, or
        a tool call cut before its `stop` (truncated stream, or Q's length limit inside tool input): a
        client must never take a cut answer for a complete one (client-apis.md §0 item 6). `failure` is
        then set, so the caller can tell."""
        if self._closed:
            return []
        if self.failure is None and self._tool_id is not None:
            self.failure = QFailure(
                TRUNCATED_TOOL_USE,
                f"The upstream answer ended inside the call of tool {self._tool_id!r} before its input was "
                "complete.",
            )
        if self.failure is not None:
            return self.fail(*self.failure.anthropic_error())
        out: list[Payload] = []
        if not self._cut:
            self._release_held(out)
        self._close_block(out)
        if self.stop_reason is None:
            self.stop_reason = "tool_use" if self._tool_completed else "end_turn"
        usage: Payload = {"output_tokens": self.output_tokens}
        if self._usage_reported:  # cumulative totals overwrite message_start's estimate (§1.3)
            usage = self.usage
        out.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": self.stop_reason, "stop_sequence": self.stop_sequence},
                "usage": usage,
            }
        )
        out.append({"type": "message_stop"})
        self._done = self._closed = True
        return out

    def fail(self, error_type: str, message: str) -> list[Payload]:
        """One `error` event and nothing more: no block is closed and no `message_stop` follows (§1.3).
        For a recorded failure: `fail(*machine.failure.anthropic_error())`."""
        if self._closed:
            return []
        self._done = self._closed = True
        return [{"type": "error", "error": {"type": error_type, "message": message}}]

    # ---- handlers -----------------------------------------------------------------------------------

    def _on_text(self, event: AssistantResponseEvent, out: list[Payload]) -> None:
        content = event.content
        if not content:
            return
        if self._open == _TOOL:
            self._deferred.append(event)
            return
        splitter = self._splitter
        if splitter is None:
            self._emit_text(content, out)
            return
        for is_thinking, piece in splitter.feed(content):
            if is_thinking:
                self._emit_thinking(piece, out)
            else:
                self._emit_text(piece, out)
            if self._done:
                return

    def _on_reasoning(self, event: ReasoningContentEvent, out: list[Payload]) -> None:
        if self._open == _TOOL:
            self._deferred.append(event)
            return
        if event.redacted_content:
            self._release_held(out)
            if self._done:
                return
            self._open_block({"type": "redacted_thinking", "data": event.redacted_content}, _NONE, out)
            out.append({"type": "content_block_stop", "index": self._index})
            return
        if event.text:
            if self._open != _THINKING:
                self._release_held(out)
                if self._done:
                    return
            self._emit_thinking(event.text, out)
        if event.signature and self._open == _THINKING:
            self._native_signature = event.signature

    def _on_tool_use(self, event: ToolUseEvent, out: list[Payload]) -> None:
        tool_id = event.tool_use_id
        if tool_id in self._tools_done:  # Q resends completed tool events (§3.8)
            return
        if self._tool_id is None:
            self._release_held(out)
            if self._done:
                return
            self._open_block(
                {"type": "tool_use", "id": tool_id, "name": self._tool_name(event.name), "input": {}},
                _TOOL,
                out,
            )
            self._tool_id = tool_id
        elif self._tool_id != tool_id:
            self._deferred.append(event)
            return
        fragment = event.input
        if fragment:
            self._tool_parts.append(fragment)
            # Tool input counts toward max_tokens but is never cut: a cut tool call is unusable.
            self._counted += len(self._encode(fragment))
            out.append(
                {
                    "type": "content_block_delta",
                    "index": self._index,
                    "delta": {"type": "input_json_delta", "partial_json": fragment},
                }
            )
        if event.stop:
            self._complete_tool(out)

    def _on_exception(self, event: QException, out: list[Payload]) -> None:
        if exception_name(event.exception_type) == CONTENT_LENGTH_EXCEEDED:
            self.stop_reason = "max_tokens"
            self._done = True
            return
        self.failure = QFailure(event.exception_type, event.message, event.reason)
        self._done = True

    def _on_error_message(self, event: QErrorMessage, out: list[Payload]) -> None:
        self.failure = QFailure(event.error_code or "error", event.error_message or "upstream error")
        self._done = True

    def _on_metadata(self, event: MetadataEvent, out: list[Payload]) -> None:
        usage = event.token_usage
        if usage is None:
            return
        if usage.output_tokens is not None:
            self._reported_output = usage.output_tokens
        if usage.uncached_input_tokens is not None:
            self._input_tokens = usage.uncached_input_tokens
            self._usage_reported = True
        if usage.cache_read_input_tokens is not None:
            self.cache_read_input_tokens = usage.cache_read_input_tokens
            self._usage_reported = True
        if usage.cache_write_input_tokens is not None:
            self.cache_creation_input_tokens = usage.cache_write_input_tokens
            self._usage_reported = True
        if usage.context_usage_percentage is not None:
            self.context_usage_percentage = usage.context_usage_percentage

    def _on_metering(self, event: MeteringEvent, out: list[Payload]) -> None:
        if event.usage is not None:
            self.metering_credits = (self.metering_credits or 0.0) + event.usage

    def _on_context_usage(self, event: ContextUsageEvent, out: list[Payload]) -> None:
        if event.context_usage_percentage is not None:
            self.context_usage_percentage = event.context_usage_percentage

    def _on_conversation(self, event: InitialResponse | MessageMetadataEvent, out: list[Payload]) -> None:
        if event.conversation_id:
            self.conversation_id = event.conversation_id

    # ---- emitting ------------------------------------------------------------------------------------

    def _emit_text(self, text: str, out: list[Payload]) -> None:
        """Text through the stop-sequence scanner and the token limit into the text block."""
        match = None
        if self._stops is not None:
            text, match = self._stops.feed(text)
        if text:
            self._text_delta(text, out)
        if match is not None and not self._done:
            self.stop_reason = "stop_sequence"
            self.stop_sequence = match
            self._done = self._cut = True

    def _text_delta(self, text: str, out: list[Payload]) -> None:
        text = self._charge(text)
        if not text:
            return
        if self._open != _TEXT:
            self._open_block({"type": "text", "text": ""}, _TEXT, out)
        out.append(
            {"type": "content_block_delta", "index": self._index, "delta": {"type": "text_delta", "text": text}}
        )

    def _emit_thinking(self, text: str, out: list[Payload]) -> None:
        text = self._charge(text)
        if not text:
            return
        if self._open != _THINKING:
            self._open_block({"type": "thinking", "thinking": "", "signature": ""}, _THINKING, out)
            self._signer = ThinkingSigner()
            self._native_signature = None
        self._signer.update(text)  # type: ignore[union-attr]
        out.append(
            {
                "type": "content_block_delta",
                "index": self._index,
                "delta": {"type": "thinking_delta", "thinking": text},
            }
        )

    def _charge(self, text: str) -> str:
        """Count `text` toward max_tokens; past the limit, cut it at a token boundary and end the answer."""
        total = self._counted + len(self._encode(text))
        if total <= self._max_tokens:
            self._counted = total
            return text
        room = self._max_tokens - self._counted
        self._counted = max(self._counted, self._max_tokens)
        self.stop_reason = "max_tokens"
        self._done = self._cut = True
        if room <= 0:
            return ""
        # A token may end inside a UTF-8 character: drop the incomplete tail rather than emit U+FFFD.
        return encoding().decode_bytes(self._encode(text)[:room]).decode("utf-8", "ignore")

    def _release_held(self, out: list[Payload]) -> None:
        """The text was interrupted (a tool call or a thinking block starts, or the stream ends): what
        the tag splitter and the stop-sequence scanner held back can no longer change meaning."""
        if self._splitter is not None:
            for is_thinking, piece in self._splitter.flush():
                if is_thinking:
                    self._emit_thinking(piece, out)
                else:
                    self._emit_text(piece, out)
                if self._done:
                    return
        if self._stops is not None:
            held = self._stops.flush()
            if held:
                self._text_delta(held, out)

    def _open_block(self, block: Payload, kind: int, out: list[Payload]) -> None:
        self._close_block(out)
        self._index += 1
        out.append({"type": "content_block_start", "index": self._index, "content_block": block})
        if not self._pinged:  # the real API pings once, right after the first block starts (§1.3)
            self._pinged = True
            out.append({"type": "ping"})
        self._open = kind

    def _close_block(self, out: list[Payload]) -> None:
        kind = self._open
        if kind == _NONE:
            return
        if kind == _THINKING:
            signature = self._native_signature or self._signer.signature()  # type: ignore[union-attr]
            out.append(
                {
                    "type": "content_block_delta",
                    "index": self._index,
                    "delta": {"type": "signature_delta", "signature": signature},
                }
            )
        out.append({"type": "content_block_stop", "index": self._index})
        self._open = _NONE

    def _complete_tool(self, out: list[Payload]) -> None:
        tool_id = self._tool_id
        raw = "".join(self._tool_parts)
        if raw.strip():
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                value = None
            if not isinstance(value, dict):
                self.failure = QFailure(
                    INVALID_TOOL_INPUT,
                    f"The upstream model sent input for tool {tool_id!r} that is not a JSON object.",
                )
                self._done = True
                return
        self._close_block(out)
        self._tool_id = None
        self._tool_parts = []
        self._tools_done.add(tool_id)  # type: ignore[arg-type]
        self._tool_completed = True
        if self._counted > self._max_tokens:
            # The limit was passed inside this call's input: keep the call whole, end the answer here.
            self.stop_reason = "max_tokens"
            self._done = True
            return
        if self._deferred:
            deferred, self._deferred = self._deferred, []
            for event in deferred:
                _HANDLERS[type(event)](self, event, out)
                if self._done:
                    return


_Handler = Callable[[QToAnthropic, Any, list[Payload]], None]

_HANDLERS: dict[type, _Handler] = {
    AssistantResponseEvent: QToAnthropic._on_text,
    ReasoningContentEvent: QToAnthropic._on_reasoning,
    ToolUseEvent: QToAnthropic._on_tool_use,
    QException: QToAnthropic._on_exception,
    QErrorMessage: QToAnthropic._on_error_message,
    MetadataEvent: QToAnthropic._on_metadata,
    MeteringEvent: QToAnthropic._on_metering,
    ContextUsageEvent: QToAnthropic._on_context_usage,
    InitialResponse: QToAnthropic._on_conversation,
    MessageMetadataEvent: QToAnthropic._on_conversation,
}
