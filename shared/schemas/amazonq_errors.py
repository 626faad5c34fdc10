"""Amazon Q HTTP error bodies (amazonq.md §4.1), before any event-stream byte.

AWS-JSON flavour: ``{"__type": "<Name>" | "com.amazon.aws.codewhisperer#<Name>", "message": …,
"reason": <ENUM> | null}``; the code may instead come in the ``x-amzn-ErrorType`` header (``Name:http://…``)
and the message may be spelled ``message``, ``Message`` or ``errorMessage`` (CWS ``json_errors.rs``).
REST (Kiro) bodies are ``{"message", "reason"}`` with the type only in the header, and Kiro may nest the
reason as ``error.reason`` (§4.2 "monthly quota (Kiro)").

Classify by status + ``reason`` + message substrings, as QCLI does (§4.1, §10.4); ``name`` here is already
stripped of the ``com.amazon.aws.codewhisperer#`` prefix and of any ``:…`` suffix.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["AwsError", "AwsErrorBody", "aws_error_name", "decode_aws_error"]


class AwsErrorBody(msgspec.Struct, kw_only=True):
    """The AWS-JSON error body as the service writes it (for the simulator). ``reason`` is written as
    ``null`` when absent, as in the bodies catalogued in §4.2."""

    type: str = msgspec.field(name="__type")
    message: str
    reason: str | None = None


class AwsError(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed upstream error, normalised: ``name`` like ``ThrottlingException`` (or None if neither body
    nor header said), ``message`` (``""`` if none), ``reason`` like ``MONTHLY_REQUEST_COUNT`` (or None)."""

    name: str | None
    message: str
    reason: str | None


class _WireError(msgspec.Struct):
    type: str | None = msgspec.field(default=None, name="__type")
    message: str | None = None
    Message: str | None = None
    errorMessage: str | None = None
    reason: str | None = None
    error: Any = None


_wire_decoder = msgspec.json.Decoder(_WireError)


def aws_error_name(raw: str) -> str:
    """``com.amazon.aws.codewhisperer#ThrottlingException`` or ``ThrottlingException:http://…`` →
    ``ThrottlingException`` (CWS ``sanitize_error_code``)."""
    return raw.split(":", 1)[0].rsplit("#", 1)[-1].strip()


def decode_aws_error(body: bytes, error_type_header: str | None = None) -> AwsError | None:
    """Parse an upstream error body; ``None`` when it is not a JSON object and no header names the error.

    The body's ``__type`` wins over the ``x-amzn-ErrorType`` header when both are present.
    """
    try:
        wire = _wire_decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        if error_type_header:
            return AwsError(name=aws_error_name(error_type_header), message="", reason=None)
        return None
    raw_name = wire.type or error_type_header
    reason = wire.reason
    if reason is None and isinstance(wire.error, dict) and isinstance(wire.error.get("reason"), str):
        reason = wire.error["reason"]
    return AwsError(
        name=aws_error_name(raw_name) if raw_name else None,
        message=wire.message or wire.Message or wire.errorMessage or "",
        reason=reason,
    )
