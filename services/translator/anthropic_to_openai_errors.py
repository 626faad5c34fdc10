"""Anthropic errors → OpenAI errors: the error half of ``anthropic_to_openai``.

Facts: client-apis.md §1.4 (Anthropic ``{"type":"error","error":{type,message}}``, its types and statuses)
and §2.4 (OpenAI ``{"error":{message,type,param,code}}``; the OpenAI SDK picks its exception class by HTTP
status alone and exposes ``type``/``code``/``param``). A bad key is 401 ``invalid_request_error`` with code
``invalid_api_key`` on OpenAI, an unknown model 404 with code ``model_not_found``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["openai_error_from_anthropic", "openai_status_from_anthropic", "status_for_anthropic_type"]

#: Anthropic ``error.type`` → (OpenAI ``type``, ``code``).
_BY_TYPE: dict[str, tuple[str, str | None]] = {
    "invalid_request_error": ("invalid_request_error", None),
    "authentication_error": ("invalid_request_error", "invalid_api_key"),
    "permission_error": ("permission_error", None),
    "not_found_error": ("invalid_request_error", None),
    "request_too_large": ("invalid_request_error", "request_too_large"),
    "billing_error": ("insufficient_quota", "insufficient_quota"),
    "rate_limit_error": ("rate_limit_error", "rate_limit_exceeded"),
    "timeout_error": ("server_error", None),
    "api_error": ("server_error", None),
    "overloaded_error": ("server_error", None),
}

#: Anthropic ``error.type`` → the HTTP status Anthropic uses for it (§1.4), for errors that arrive inside a
#: stream (status 200) and must become a status again on the non-streaming path.
_STATUS_BY_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def openai_error_from_anthropic(status: int, anthropic_error: dict[str, Any]) -> dict[str, Any]:
    """``{"error": {message, type, param, code}}`` for an Anthropic error body (or its inner ``error``).

    ``status`` decides when the Anthropic type is unknown: 5xx, and anything below 400 (an error inside a
    stream that already answered 200), is a ``server_error``.
    """
    inner = anthropic_error.get("error")
    detail = inner if isinstance(inner, dict) else anthropic_error
    anthropic_type = detail.get("type")
    message = detail.get("message")
    if not isinstance(message, str) or not message:
        message = f"Upstream error (HTTP {status})"
    known = _BY_TYPE.get(anthropic_type) if isinstance(anthropic_type, str) else None
    if known is not None:
        error_type, code = known
    elif 400 <= status < 500:
        error_type, code = "invalid_request_error", None
    else:
        error_type, code = "server_error", None
    param = None
    if anthropic_type == "not_found_error" and "model" in message.lower():
        param, code = "model", "model_not_found"
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def openai_status_from_anthropic(status: int) -> int:
    """The status to show an OpenAI client: Anthropic's 529 (overloaded) is a 503 in OpenAI's world."""
    return 503 if status == 529 else status


def status_for_anthropic_type(anthropic_type: str | None) -> int:
    """The HTTP status Anthropic gives ``anthropic_type``; 500 for a type it does not list."""
    return _STATUS_BY_TYPE.get(anthropic_type or "", 500)
