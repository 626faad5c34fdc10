"""The fault catalogue: named upstream misbehaviours a test switches on per principal (or for all, "*").

Two families (gemini-code-assist.md §10 "Fault injection hooks", §6):

* **before the stream** — the call fails with an HTTP error body (`error_for`);
* **stream shaping** — the call succeeds but the bytes misbehave (`STREAM_FAULTS`): an in-band error
  event, EOF without finishReason, a dropped connection, multi-line ``data:`` events, LF framing, tiny
  TCP fragments, slow pacing.
"""

from __future__ import annotations

from typing import Any

from services.simulator.google import errors

ERROR_FAULTS: tuple[str, ...] = (
    "unauthenticated",  # 401 UNAUTHENTICATED ACCESS_TOKEN_EXPIRED (B5); public API: API_KEY_INVALID
    "permission_denied",  # 403 IAM permission on the project; public API: "The caller does not have permission"
    "validation_required",  # 403 VALIDATION_REQUIRED (B7)
    "service_disabled",  # 403 SERVICE_DISABLED (B6)
    "tos_violation",  # 403 TOS_VIOLATION
    "not_found",  # 404 (B8)
    "rate_limited",  # 429 RATE_LIMIT_EXCEEDED + short RetryInfo   params: retry_after_s (default 2)
    "quota_exhausted",  # 429 QUOTA_EXHAUSTED + long RetryInfo     params: reset_after_s (default 5h)
    "resource_exhausted",  # 429 bare "Resource has been exhausted (e.g. check quota)." (B9)
    "capacity",  # 503 MODEL_CAPACITY_EXHAUSTED (B10)          params: status (429|503), retry_after_s
    "server_error",  # 500 INTERNAL (B11)
    "unavailable",  # 503 UNAVAILABLE (B11)
    "status",  # the canonical body for params.status, like [[status:NNN]]
)

STREAM_FAULTS: tuple[str, ...] = (
    "midstream_error",  # some output, then an in-band {"error": …} event and EOF   params: status (default 500)
    "truncate",  # some output, then the connection drops (no finishReason, incomplete chunked body)
    "no_finish_reason",  # the whole answer, clean EOF, but no finishReason on the last chunk
    "multiline_data",  # every event's JSON pretty-printed over several data: lines (Appendix A3)
    "lf_framing",  # LF instead of CRLF line ends (Appendix A2)
    "fragments",  # each event written in tiny pieces                          params: bytes (3), delay_ms (0)
    "slow",  # pacing                                                       params: delay_first_ms, delay_ms
)

ALL_FAULTS = ERROR_FAULTS + STREAM_FAULTS


def error_for(name: str, params: dict[str, Any], *, model: str, project: str, public_api: bool) -> errors.GoogleError:
    """The HTTP error a before-the-stream fault answers with."""
    if name == "unauthenticated":
        return api_key_invalid() if public_api else errors.invalid_credentials(
            errors.CODE_ASSIST_SERVICE, errors.code_assist_rpc("streamGenerateContent"))
    if name == "permission_denied":
        return errors.caller_permission_denied() if public_api else errors.project_permission_denied(project)
    if name == "validation_required":
        return errors.validation_required()
    if name == "service_disabled":
        return errors.service_disabled(project or "my-project")
    if name == "tos_violation":
        return errors.tos_violation()
    if name == "not_found":
        return errors.gemini_api_model_not_found(model, "generateContent") if public_api \
            else errors.code_assist_model_not_found()
    if name == "rate_limited":
        delay = float(params.get("retry_after_s", 2.0))
        return errors.gemini_api_quota_exceeded(model, int(params.get("limit", 10)), delay, daily=False) if public_api \
            else errors.quota_exhausted(model, delay, "RATE_LIMIT_EXCEEDED")
    if name == "quota_exhausted":
        delay = float(params.get("reset_after_s", 5 * 3600.0))
        return errors.gemini_api_quota_exceeded(model, int(params.get("limit", 250)), delay, daily=True) if public_api \
            else errors.quota_exhausted(model, delay, "QUOTA_EXHAUSTED")
    if name == "resource_exhausted":
        return errors.resource_exhausted_bare()
    if name == "capacity":
        return errors.capacity_exhausted(model, int(params.get("status", 503)), float(params.get("retry_after_s", 9.0)))
    if name == "server_error":
        return errors.gemini_api_internal() if public_api else errors.internal()
    if name == "unavailable":
        return errors.gemini_api_overloaded() if public_api else errors.unavailable()
    return errors.canonical(int(params.get("status", 500)), model=model, public_api=public_api)


def api_key_invalid() -> errors.GoogleError:
    """The public API's answer to an unknown or deleted key: 400, not 401."""
    message = "API key not valid. Please pass a valid API key."
    details = [
        {"@type": errors.ERROR_INFO, "reason": "API_KEY_INVALID", "domain": "googleapis.com",
         "metadata": {"service": errors.GEMINI_API_SERVICE}},
        {"@type": errors.LOCALIZED_MESSAGE, "locale": "en-US", "message": message},
    ]
    return errors.make(400, message, "INVALID_ARGUMENT", details)


def api_key_missing() -> errors.GoogleError:
    return errors.make(403, "Method doesn't allow unregistered callers (callers without established identity). "
                       "Please use API Key or other form of API consumer identity to call this API.", "PERMISSION_DENIED")
