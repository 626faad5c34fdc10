"""Typed Amazon Q response events (the ChatResponseStream union, amazonq.md §3.3).

Payload keys on the wire are camelCase; fields here are snake_case and msgspec's `rename="camel"` maps
them (`tool_use_id` <-> `toolUseId`). Every field has a default and unknown keys are ignored: the
service adds fields over time and a missing optional key must never fail a user's stream. Where the
model marks a string required (`content`, `toolUseId`, `name`, …) the default is `""` so consumers get a
plain `str`.

`QException`, `QErrorMessage` and `UnknownEvent` are not JSON payloads; `shared.wire.qevents` builds
them from the frame headers.
"""

from __future__ import annotations

import msgspec


class _Payload(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """Base of every JSON payload shape: camelCase on the wire, keyword-only, immutable."""


# ---- nested shapes ---------------------------------------------------------------------------------


class TokenUsage(_Payload):
    """`metadataEvent.tokenUsage`: a final snapshot, not an increment (amazonq.md §3.3)."""

    uncached_input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    context_usage_percentage: float | None = None  # seen in Kiro's TokenUsage [U]


class Span(_Payload):
    """`recommendationContentSpan` of a code reference."""

    start: int | None = None
    end: int | None = None


class CodeReference(_Payload):
    """One licensed-code attribution in a `codeReferenceEvent`."""

    license_name: str | None = None
    repository: str | None = None
    url: str | None = None
    recommendation_content_span: Span | None = None


class FollowupPrompt(_Payload):
    content: str = ""
    user_intent: str | None = None


class SupplementaryWebLink(_Payload):
    url: str = ""
    title: str = ""
    snippet: str | None = None


# ---- events (one per `:event-type`) ----------------------------------------------------------------


class InitialResponse(_Payload):
    """`initial-response`: first frame of the AWS-JSON flavour; carries the conversation id (§3.5).

    Optional: accept it if present, never require it."""

    conversation_id: str | None = None


class AssistantResponseEvent(_Payload):
    """`assistantResponseEvent`: a markdown text delta."""

    content: str = ""
    model_id: str | None = None


class ToolUseEvent(_Payload):
    """`toolUseEvent`: one step of a tool call (amazonq.md §3.6).

    Start = name + id only; then fragments whose `input` strings concatenate to the arguments JSON;
    then `stop: true` (an `input` on the stop frame must still be appended). Key state by id."""

    tool_use_id: str = ""
    name: str = ""
    input: str | None = None
    stop: bool | None = None


class CodeReferenceEvent(_Payload):
    """`codeReferenceEvent`: licence attribution for the preceding text (QCLI drops that text, §3.8)."""

    references: list[CodeReference] = msgspec.field(default_factory=list)


class MessageMetadataEvent(_Payload):
    """`messageMetadataEvent`."""

    conversation_id: str | None = None
    utterance_id: str | None = None


class MetadataEvent(_Payload):
    """`metadataEvent`: token-usage snapshot in newer Kiro streams."""

    token_usage: TokenUsage | None = None
    stop_reason: str | None = None  # ZKR reports it in captures [P]


class MeteringEvent(_Payload):
    """`meteringEvent`: credits used, e.g. `{"unit":"credit","unitPlural":"credits","usage":0.0169}`.

    No tokens here. Key order varies, so never sniff a payload prefix (amazonq.md §3.3)."""

    usage: float | None = None
    unit: str | None = None
    unit_plural: str | None = None


class ContextUsageEvent(_Payload):
    """`contextUsageEvent`: % of the context window used; usually the last frame, not a terminator."""

    context_usage_percentage: float | None = None


class ReasoningContentEvent(_Payload):
    """`reasoningContentEvent`: native thinking (text + signature, or base64 redacted content)."""

    text: str | None = None
    redacted_content: str | None = None
    signature: str | None = None


class FollowupPromptEvent(_Payload):
    """`followupPromptEvent` (in the model; not seen in traffic)."""

    followup_prompt: FollowupPrompt | None = None


class SupplementaryWebLinksEvent(_Payload):
    """`supplementaryWebLinksEvent` (in the model; carries no token counts despite CPA+)."""

    supplementary_web_links: list[SupplementaryWebLink] = msgspec.field(default_factory=list)


class InvalidStateEvent(_Payload):
    """`invalidStateEvent`: QCLI logs it and continues."""

    reason: str = ""
    message: str = ""


# ---- non-event frames -----------------------------------------------------------------------------


class QException(msgspec.Struct, frozen=True):
    """A `:message-type: exception` frame: a failure after HTTP 200 (amazonq.md §4.3).

    `exception_type` is the `:exception-type` header (`error`, `ThrottlingException`,
    `ContentLengthExceededException`, …); `message`/`reason` come from the JSON payload when it parses,
    and `payload` keeps the raw bytes for logging."""

    exception_type: str
    message: str
    reason: str | None = None
    payload: bytes = b""


class QErrorMessage(msgspec.Struct, frozen=True):
    """A generic `:message-type: error` frame (`:error-code`, `:error-message`); not seen from Q."""

    error_code: str
    error_message: str
    payload: bytes = b""


class UnknownEvent(msgspec.Struct, frozen=True):
    """Any frame this module has no type for; both AWS SDKs ignore these and continue (§3.3)."""

    event_type: str | None
    payload: bytes
    message_type: str | None = "event"


QEvent = (
    InitialResponse
    | AssistantResponseEvent
    | ToolUseEvent
    | CodeReferenceEvent
    | MessageMetadataEvent
    | MetadataEvent
    | MeteringEvent
    | ContextUsageEvent
    | ReasoningContentEvent
    | FollowupPromptEvent
    | SupplementaryWebLinksEvent
    | InvalidStateEvent
    | QException
    | QErrorMessage
    | UnknownEvent
)
"""Everything `shared.wire.qevents.decode_q_event` can return."""

EVENT_TYPES: dict[str, type[_Payload]] = {
    "initial-response": InitialResponse,
    "assistantResponseEvent": AssistantResponseEvent,
    "toolUseEvent": ToolUseEvent,
    "codeReferenceEvent": CodeReferenceEvent,
    "messageMetadataEvent": MessageMetadataEvent,
    "metadataEvent": MetadataEvent,
    "meteringEvent": MeteringEvent,
    "contextUsageEvent": ContextUsageEvent,
    "reasoningContentEvent": ReasoningContentEvent,
    "followupPromptEvent": FollowupPromptEvent,
    "supplementaryWebLinksEvent": SupplementaryWebLinksEvent,
    "invalidStateEvent": InvalidStateEvent,
}
"""`:event-type` header value -> payload Struct."""
