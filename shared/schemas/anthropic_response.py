"""What the gateway sends to Anthropic clients: the ``Message`` body, SSE event payloads, errors.

Facts from /work/shared/protocols/client-apis.md §1.2–§1.5. Response Structs do **not** omit defaults:
members the clients expect as explicit ``null`` (``stop_reason``/``stop_sequence`` in ``message_start``)
default to ``None`` and are written; members that must be *absent* unless known default to ``UNSET``,
which msgspec never writes.

Each stream event Struct is tagged with its SSE event name on ``type``; the SSE writer must use the same
string for the ``event:`` line (§0.5) — ``event_name(event)`` returns it.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from .anthropic_blocks import ContentBlock

__all__ = [
    "CitationsDelta",
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "CountTokensResponse",
    "Delta",
    "ErrorDetail",
    "ErrorResponse",
    "InputJsonDelta",
    "Message",
    "MessageDelta",
    "MessageDeltaEvent",
    "MessageDeltaUsage",
    "MessageStartEvent",
    "MessageStopEvent",
    "ModelInfo",
    "ModelList",
    "PingEvent",
    "SignatureDelta",
    "StopReason",
    "StreamEvent",
    "TextDelta",
    "ThinkingDelta",
    "Usage",
    "error_for_status",
    "error_type_for_status",
    "event_name",
]

StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]


class Usage(msgspec.Struct, kw_only=True):
    """``input_tokens`` excludes cache reads (Anthropic bills those separately)."""

    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET
    cache_creation: dict[str, Any] | UnsetType | None = UNSET
    server_tool_use: dict[str, Any] | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET


class Message(msgspec.Struct, tag_field="type", tag="message", kw_only=True):
    """The non-streaming body, and the ``message`` of ``message_start`` (with ``content=[]``).

    ``stop_reason`` is never null in a final body (§1.2) but is null in ``message_start`` (§1.3).
    """

    id: str
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[ContentBlock]
    stop_reason: StopReason | None = None
    stop_sequence: str | None = None
    usage: Usage


class CountTokensResponse(msgspec.Struct):
    input_tokens: int


# -- deltas ----------------------------------------------------------------------------------------------


class _Delta(msgspec.Struct, tag_field="type"):
    pass


class TextDelta(_Delta, tag="text_delta"):
    text: str


class InputJsonDelta(_Delta, tag="input_json_delta"):
    """A fragment of a tool's input JSON; fragments concatenate to the object (the first is often ``""``)."""

    partial_json: str


class ThinkingDelta(_Delta, tag="thinking_delta"):
    thinking: str


class SignatureDelta(_Delta, tag="signature_delta"):
    """Sent once, just before the thinking block's ``content_block_stop`` (§1.3)."""

    signature: str


class CitationsDelta(_Delta, tag="citations_delta"):
    citation: dict[str, Any]


Delta = TextDelta | InputJsonDelta | ThinkingDelta | SignatureDelta | CitationsDelta


# -- stream events ---------------------------------------------------------------------------------------


class _Event(msgspec.Struct, tag_field="type"):
    pass


class MessageStartEvent(_Event, tag="message_start"):
    message: Message


class ContentBlockStartEvent(_Event, tag="content_block_start"):
    """The block is empty: ``text:""``, ``tool_use`` with ``input:{}``, ``thinking``/``signature`` ``""``."""

    index: int
    content_block: ContentBlock


class ContentBlockDeltaEvent(_Event, tag="content_block_delta"):
    index: int
    delta: Delta


class ContentBlockStopEvent(_Event, tag="content_block_stop"):
    index: int


class MessageDelta(msgspec.Struct, kw_only=True):
    stop_reason: StopReason | None = None
    stop_sequence: str | None = None
    stop_details: dict[str, Any] | UnsetType | None = UNSET
    container: dict[str, Any] | UnsetType | None = UNSET


class MessageDeltaUsage(msgspec.Struct, kw_only=True):
    """Cumulative totals that overwrite, not add (§1.3). Required in every ``message_delta`` (§0.6)."""

    output_tokens: int
    input_tokens: int | UnsetType | None = UNSET
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET
    server_tool_use: dict[str, Any] | UnsetType | None = UNSET


class MessageDeltaEvent(_Event, tag="message_delta"):
    delta: MessageDelta
    usage: MessageDeltaUsage


class MessageStopEvent(_Event, tag="message_stop"):
    pass


class PingEvent(_Event, tag="ping"):
    pass


class ErrorDetail(msgspec.Struct, kw_only=True):
    type: str
    message: str
    details: dict[str, Any] | UnsetType | None = UNSET


class ErrorResponse(_Event, tag="error", kw_only=True):
    """``{"type":"error","error":{type,message},"request_id"?}`` — the HTTP error body (§1.4) and, unchanged,
    the payload of a mid-stream ``event: error`` frame (§1.3)."""

    error: ErrorDetail
    request_id: str | UnsetType | None = UNSET


StreamEvent = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | ErrorResponse
)


def event_name(event: StreamEvent) -> str:
    """The SSE ``event:`` name for ``event``: its ``type`` tag (the SDK drops frames without it, §0.5)."""
    return type(event).__struct_config__.tag  # type: ignore[return-value]


# -- errors --------------------------------------------------------------------------------------------

#: HTTP status → ``error.type`` (client-apis.md §1.4).
_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type_for_status(status: int) -> str:
    """``error.type`` for an HTTP status; unlisted 4xx are ``invalid_request_error``, 5xx ``api_error``."""
    known = _ERROR_TYPES.get(status)
    if known is not None:
        return known
    return "api_error" if status >= 500 else "invalid_request_error"


def error_for_status(
    status: int, message: str, *, request_id: str | None = None, error_type: str | None = None
) -> ErrorResponse:
    """Build the error body for ``status``; ``error_type`` overrides the table (e.g. ``overloaded_error``
    for a mid-stream failure sent after the 200)."""
    return ErrorResponse(
        error=ErrorDetail(type=error_type or error_type_for_status(status), message=message),
        request_id=request_id if request_id is not None else UNSET,
    )


# -- models list -------------------------------------------------------------------------------------------


class ModelInfo(msgspec.Struct, tag_field="type", tag="model", kw_only=True):
    """An entry of ``GET /v1/models`` (Claude Code does not call it, §4.2; SDK users do)."""

    id: str
    display_name: str
    created_at: str


class ModelList(msgspec.Struct, kw_only=True):
    data: list[ModelInfo]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
