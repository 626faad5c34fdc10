"""Amazon Q refusals → verdicts edge can act on (amazonq.md §4).

Status codes alone mislead (a monthly quota is a 400 or a 402, an invalid token a 401 or a 403), so
this classifies by status + `reason` + message, in the order the Q CLI does: "Input is too long."
first, then model capacity, then 429, then the monthly quota.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.internal import Verdict
from shared.schemas.amazonq import decode_aws_error

BEARER_INVALID = "bearer token included in the request is invalid"
DEFAULT_QUOTA_COOLDOWN = 3600.0  # the quota resets monthly; look again in an hour
CAPACITY_COOLDOWN = 5.0


def retry_after_of(headers: Mapping[str, str]) -> float:
    raw = headers.get("Retry-After") or headers.get("retry-after") or ""
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 0.0


def classify_q_refusal(status: int, body: bytes, headers: Mapping[str, str]) -> Verdict:
    """The verdict for a non-200 answer from GenerateAssistantResponse."""
    error = decode_aws_error(body, headers.get("x-amzn-ErrorType"))
    name = (error.name if error else None) or ""
    message = (error.message if error else "") or body[:300].decode("utf-8", "replace")
    reason = (error.reason if error else None) or ""
    text = f"{name} {message} {reason}"
    retry_after = retry_after_of(headers)
    label = f"{name} ({reason})" if reason else name
    described = f"Amazon Q answered {status} {label}: {message}".strip().rstrip(":")

    if "Input is too long." in message or reason == "CONTENT_LENGTH_EXCEEDS_THRESHOLD":
        return Verdict("bad_request", "prompt is too long for the model's context window (Amazon Q: Input is too long.); "
                       "shorten or compact the conversation", upstream_status=status, client_status=400)
    if reason == "INSUFFICIENT_MODEL_CAPACITY":
        return Verdict("throttled", described, retry_after=retry_after or CAPACITY_COOLDOWN, upstream_status=status)
    if reason in ("MONTHLY_REQUEST_COUNT", "OVERAGE_REQUEST_LIMIT_EXCEEDED") or status == 402:
        return Verdict("quota_exhausted", described, retry_after=retry_after or DEFAULT_QUOTA_COOLDOWN,
                       upstream_status=status)
    if status == 429 or reason == "DAILY_REQUEST_COUNT":
        return Verdict("throttled", described, retry_after=retry_after, upstream_status=status)
    if "TEMPORARILY_SUSPENDED" in text:
        return Verdict("suspended", described, upstream_status=status)
    if status in (401, 403) and BEARER_INVALID in message.lower():
        return Verdict("token_expired", described, upstream_status=status)
    if status == 401:
        return Verdict("token_expired", described, upstream_status=status)
    if reason == "INVALID_MODEL_ID":
        return Verdict("bad_request", f"the model is not available on this Amazon Q account ({message})",
                       upstream_status=status, client_status=400)
    if status == 400 and "Improperly formed request" in message:
        return Verdict("bad_request", "Amazon Q rejected the request as improperly formed. q2api should have caught "
                       "this before sending; please report it with the request id", upstream_status=status,
                       client_status=400)
    if 400 <= status < 500 and status != 403:
        return Verdict("bad_request", described, upstream_status=status, client_status=400)
    # 403 for other reasons (feature not supported, …) and every 5xx: try another account.
    return Verdict("upstream_error", described, retry_after=retry_after, upstream_status=status)


def outcome_of_failure(failure) -> str:
    """A failure after the answer started (services.translator.q_failures.QFailure) → release outcome.

    Throttling and capacity cool the account down; anything else counts as an upstream error."""
    return "throttled" if failure.error_type in ("overloaded_error", "rate_limit_error") else "upstream_error"
