"""Google API error bodies from Code Assist (gemini-code-assist.md §6, examples Appendix B).

Shape: ``{"error": {"code", "message", "status", "details": [{"@type": …}, …], "errors"?: [...]}}``.
Unary methods return that object; ``streamGenerateContent`` wraps it in a one-element JSON **array**
(§6.1). ``decode_gemini_error`` accepts both — CPA's retry parser only read objects and so missed every
streaming 429's retry delay, "a real bug to avoid".

``details`` stay raw dicts keyed by ``@type`` (ErrorInfo, RetryInfo, QuotaFailure, Help, BadRequest …);
``GeminiError.detail`` finds one, and ``reason`` / ``retry_delay`` cover the two the account pool needs.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["GeminiError", "GeminiErrorBody", "decode_gemini_error"]


class GeminiError(msgspec.Struct, omit_defaults=True, kw_only=True):
    """The inner ``error`` object. ``code`` is the HTTP status, ``status`` the gRPC code name."""

    code: int | None = None
    message: str = ""
    status: str | None = None
    details: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None

    def detail(self, type_suffix: str) -> dict[str, Any] | None:
        """First detail whose ``@type`` ends with ``type_suffix``, e.g. ``"google.rpc.RetryInfo"``."""
        for item in self.details or ():
            kind = item.get("@type")
            if isinstance(kind, str) and kind.endswith(type_suffix):
                return item
        return None

    @property
    def reason(self) -> str | None:
        """``ErrorInfo.reason``: ``RATE_LIMIT_EXCEEDED``, ``QUOTA_EXHAUSTED``, ``MODEL_CAPACITY_EXHAUSTED`` …"""
        info = self.detail("google.rpc.ErrorInfo")
        reason = info.get("reason") if info else None
        return reason if isinstance(reason, str) else None

    @property
    def retry_delay(self) -> str | None:
        """``RetryInfo.retryDelay`` as sent, e.g. ``"0.539477544s"`` (parsing it is the caller's policy)."""
        info = self.detail("google.rpc.RetryInfo")
        delay = info.get("retryDelay") if info else None
        return delay if isinstance(delay, str) else None


class GeminiErrorBody(msgspec.Struct):
    """``{"error": {...}}`` — what the simulator writes (wrap in a list for the streaming method)."""

    error: GeminiError


_error_decoder = msgspec.json.Decoder(GeminiErrorBody | list[GeminiErrorBody])


def decode_gemini_error(body: bytes) -> GeminiError | None:
    """The ``error`` object from an error body given as an object or as ``[{"error": …}]``.

    ``None`` when the body is not one of those shapes (HTML from a proxy, empty array, wrong types).
    """
    try:
        decoded = _error_decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if isinstance(decoded, list):
        return decoded[0].error if decoded else None
    return decoded.error
