"""Anthropic stream event payloads → one non-streaming Message (client-apis.md §1.2).

The non-streaming path is "run the same machine and collect" (STYLE.md): the translator runs
`QToAnthropic` exactly as for a streaming client and folds the events here, so both paths give the same
content, stop reason and usage. Folding follows the SDK's own accumulator: deltas append, a tool's
`partial_json` fragments are parsed once at its `content_block_stop`, `message_delta` usage overwrites
(cumulative totals).

A stream that failed (`error` event) or did not end (`message_stop` missing, a block left open) raises
`StreamFailed`: a non-streaming client must get an error status, never a silently short message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

Payload = dict[str, Any]

# delta type -> the delta member whose string appends to the block
_DELTA_FIELD = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}


class StreamFailed(Exception):
    """The stream carried an `error` event or ended early; `error_type`/`message` are for the client."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


def collect_message(events: Iterable[Payload]) -> Payload:
    """The Message JSON the stream `events` describe: id, type, role, model, content (in stream order),
    stop_reason (never null), stop_sequence, usage."""
    message: Payload | None = None
    blocks: list[Payload] = []
    pieces: list[list[str] | None] = []  # per block: appended delta strings, None once stopped
    stopped = False
    for event in events:
        kind = event["type"]
        if kind == "content_block_delta":
            delta = event["delta"]
            delta_type = delta["type"]
            index = event["index"]
            if delta_type == "signature_delta":
                blocks[index]["signature"] = delta["signature"]
                continue
            parts = pieces[index]
            if parts is None:
                raise StreamFailed("api_error", f"delta for content block {index} after its stop")
            parts.append(delta[_DELTA_FIELD[delta_type]])
        elif kind == "content_block_start":
            if event["index"] != len(blocks):
                raise StreamFailed("api_error", f"content block {event['index']} started out of order")
            blocks.append(dict(event["content_block"]))
            pieces.append([])
        elif kind == "content_block_stop":
            index = event["index"]
            _complete_block(blocks[index], pieces[index] or [])
            pieces[index] = None
        elif kind == "message_start":
            message = dict(event["message"])
            message["usage"] = dict(message["usage"])
        elif kind == "message_delta":
            if message is None:
                raise StreamFailed("api_error", "message_delta before message_start")
            delta = event["delta"]
            message["stop_reason"] = delta.get("stop_reason")
            message["stop_sequence"] = delta.get("stop_sequence")
            message["usage"].update(event["usage"])
        elif kind == "message_stop":
            stopped = True
        elif kind == "error":
            error = event["error"]
            raise StreamFailed(error["type"], error["message"])
        # ping and anything unknown: nothing to collect
    if message is None or not stopped or message.get("stop_reason") is None:
        raise StreamFailed("api_error", "The upstream answer ended before it was complete.")
    if any(parts is not None for parts in pieces):
        raise StreamFailed("api_error", "The upstream answer ended inside a content block.")
    message["content"] = blocks
    return message


def _complete_block(block: Payload, parts: list[str]) -> None:
    block_type = block.get("type")
    if block_type == "tool_use":
        raw = "".join(parts)
        if raw.strip():
            try:
                block["input"] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise StreamFailed(
                    "api_error", f"Tool {block.get('id')!r} input is not valid JSON."
                ) from None
    elif block_type == "text":
        block["text"] = block.get("text", "") + "".join(parts)
    elif block_type == "thinking":
        block["thinking"] = block.get("thinking", "") + "".join(parts)
