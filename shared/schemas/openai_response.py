"""What the gateway sends to OpenAI clients: ``ChatCompletion``, ``ChatCompletionChunk``, errors, models.

Facts from /work/shared/protocols/client-apis.md §2.2–§2.4 and §0.8. As for Anthropic responses, members
that clients expect as explicit ``null`` default to ``None`` (and are written); members that must be
absent unless set default to ``UNSET``. The streaming rules that live in the shapes:

* ``ChoiceDelta`` has every member ``UNSET``, so ``role`` / a tool call's ``id``, ``type`` and
  ``function.name`` appear only in the delta that sets them (the SDK concatenates repeats, §0.8);
* ``ChatCompletionChunk.usage`` is ``UNSET`` (absent) by default; set it to ``None`` on every chunk when the
  client asked for ``stream_options.include_usage`` and to a ``Usage`` on the final ``choices: []`` chunk.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from .openai_request import FunctionCall, ToolCall

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "CompletionTokensDetails",
    "ErrorDetail",
    "ErrorResponse",
    "FinishReason",
    "FunctionCallDelta",
    "Model",
    "ModelList",
    "PromptTokensDetails",
    "ResponseMessage",
    "ToolCallDelta",
    "Usage",
    "error_for_status",
    "error_type_for_status",
]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class PromptTokensDetails(msgspec.Struct, kw_only=True):
    cached_tokens: int = 0
    audio_tokens: int | UnsetType = UNSET


class CompletionTokensDetails(msgspec.Struct, kw_only=True):
    reasoning_tokens: int = 0
    audio_tokens: int | UnsetType = UNSET
    accepted_prediction_tokens: int | UnsetType = UNSET
    rejected_prediction_tokens: int | UnsetType = UNSET


class Usage(msgspec.Struct, kw_only=True):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | UnsetType = UNSET
    completion_tokens_details: CompletionTokensDetails | UnsetType = UNSET


class ResponseMessage(msgspec.Struct, kw_only=True):
    """``content`` and ``refusal`` are written even when null (§2.2).

    ``reasoning_content`` is the de-facto extension many OpenAI-compatible servers use to surface thinking;
    official clients ignore unknown members.
    """

    role: Literal["assistant"] = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | UnsetType = UNSET
    function_call: FunctionCall | UnsetType = UNSET
    annotations: list[dict[str, Any]] | UnsetType = UNSET
    reasoning_content: str | UnsetType = UNSET


class Choice(msgspec.Struct, kw_only=True):
    index: int = 0
    message: ResponseMessage
    finish_reason: FinishReason | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletion(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | UnsetType = UNSET
    system_fingerprint: str | None = None
    service_tier: str | UnsetType | None = UNSET


# -- streaming -------------------------------------------------------------------------------------------


class FunctionCallDelta(msgspec.Struct, kw_only=True):
    name: str | UnsetType = UNSET
    arguments: str | UnsetType = UNSET


class ToolCallDelta(msgspec.Struct, kw_only=True):
    """First fragment for an ``index``: ``id``, ``type``, ``function.name`` and ``arguments: ""``; later
    fragments: ``index`` and ``function.arguments`` only (§2.3)."""

    index: int
    id: str | UnsetType = UNSET
    type: Literal["function"] | UnsetType = UNSET
    function: FunctionCallDelta | UnsetType = UNSET


class ChoiceDelta(msgspec.Struct, kw_only=True):
    role: Literal["assistant"] | UnsetType = UNSET
    content: str | UnsetType | None = UNSET
    refusal: str | UnsetType | None = UNSET
    tool_calls: list[ToolCallDelta] | UnsetType = UNSET
    function_call: FunctionCallDelta | UnsetType = UNSET
    reasoning_content: str | UnsetType = UNSET


class ChunkChoice(msgspec.Struct, kw_only=True):
    """``finish_reason`` is null on every chunk but the last choice chunk (whose delta is ``{}``)."""

    index: int = 0
    delta: ChoiceDelta
    logprobs: dict[str, Any] | None = None
    finish_reason: FinishReason | None = None


class ChatCompletionChunk(msgspec.Struct, kw_only=True):
    """Every chunk of one stream repeats the same ``id`` and ``created`` (§2.3)."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    system_fingerprint: str | None = None
    choices: list[ChunkChoice]
    usage: Usage | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET


# -- errors ----------------------------------------------------------------------------------------------


class ErrorDetail(msgspec.Struct, kw_only=True):
    """``param`` and ``code`` are written as null when unknown; the SDK exposes them as ``e.param``/``e.code``."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(msgspec.Struct):
    """``{"error": {...}}`` — the HTTP error body, and the ``data:`` frame of a failed stream (§2.3.6)."""

    error: ErrorDetail


#: HTTP status → (``type``, default ``code``). OpenAI answers a bad key with 401 ``invalid_request_error``
#: / ``invalid_api_key`` (client-apis.md §2.4); the SDK picks its exception class by status alone.
_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", None),
    409: ("invalid_request_error", None),
    413: ("invalid_request_error", "request_too_large"),
    422: ("invalid_request_error", None),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


def error_type_for_status(status: int) -> str:
    """``error.type`` for an HTTP status: the table above, else ``server_error`` (5xx) /
    ``invalid_request_error``."""
    known = _ERRORS.get(status)
    if known is not None:
        return known[0]
    return "server_error" if status >= 500 else "invalid_request_error"


def error_for_status(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    error_type: str | None = None,
) -> ErrorResponse:
    """Build ``{"error": {message, type, param, code}}`` for ``status`` (e.g. 404 with
    ``code="model_not_found"``)."""
    default_code = _ERRORS.get(status, ("", None))[1]
    return ErrorResponse(
        ErrorDetail(
            message=message,
            type=error_type or error_type_for_status(status),
            param=param,
            code=code if code is not None else default_code,
        )
    )


# -- models list -------------------------------------------------------------------------------------------


class Model(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(msgspec.Struct, kw_only=True):
    object: Literal["list"] = "list"
    data: list[Model]
