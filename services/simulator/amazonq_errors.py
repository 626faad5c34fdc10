"""Amazon Q's HTTP errors as values, with the bodies of amazonq.md §4.1-§4.2.

Bodies are those of the §4.2 catalogue, byte for byte: compact JSON, keys in the order shown, the
`com.amazon.aws.codewhisperer#` prefix where the catalogue has it and a `reason` key only where the
catalogue has one. The AWS-JSON flavour puts the error name in `__type`; the REST (Kiro) flavour sends
`{"message", "reason"}` with the name in `x-amzn-ErrorType` (§4.1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Literal

import orjson

Flavour = Literal["aws-json", "rest"]

AWS_JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
CODEWHISPERER_NS = "com.amazon.aws.codewhisperer#"
CORAL_NS = "com.amazon.coral.service#"
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.aws.codewhisperer/"

BEARER_INVALID = "The bearer token included in the request is invalid."
IMPROPERLY_FORMED = "Improperly formed request."
INPUT_TOO_LONG = "Input is too long."
INVALID_MODEL = "Invalid model. Please select a different model to continue."


@dataclass(frozen=True)
class QError:
    status: int
    error_type: str  # the wire name, e.g. "ValidationException"
    message: str | None
    reason: str | None = None
    type_prefix: str = ""  # "", CODEWHISPERER_NS or CORAL_NS, as the catalogue shows the name
    has_reason: bool = True  # the catalogue shows `"reason": …` (possibly null)
    message_key: str = "message"  # coral's protocol errors say "Message"
    retry_after: str | None = None  # a Retry-After header, when the fault asks for one
    detail: str = ""  # which rule or fault produced it: for the request log only, never sent

    def with_detail(self, detail: str) -> QError:
        return replace(self, detail=detail)

    def body(self, flavour: Flavour) -> bytes:
        fields: dict[str, object] = {}
        if flavour == "aws-json":
            fields["__type"] = self.type_prefix + self.error_type
        if self.message is not None or flavour == "rest":
            fields[self.message_key] = self.message
        if self.has_reason:
            fields["reason"] = self.reason
        return orjson.dumps(fields)

    def headers(self, flavour: Flavour) -> dict[str, str]:
        headers = {
            "content-type": AWS_JSON_CONTENT_TYPE if flavour == "aws-json" else "application/json",
            "x-amzn-RequestId": str(uuid.uuid4()),
        }
        if flavour == "rest":
            headers["x-amzn-ErrorType"] = self.error_type + _ERROR_TYPE_SUFFIX
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        return headers


# ---------------------------------------------------------------- the §4.2 catalogue


def malformed(detail: str = "") -> QError:
    return QError(400, "ValidationException", IMPROPERLY_FORMED, None, detail=detail)


def input_too_long(detail: str = "") -> QError:
    return QError(400, "ValidationException", INPUT_TOO_LONG, "CONTENT_LENGTH_EXCEEDS_THRESHOLD", detail=detail)


def invalid_model(detail: str = "") -> QError:
    return QError(400, "ValidationException", INVALID_MODEL, "INVALID_MODEL_ID", detail=detail)


def bearer_invalid(status: int = 403, detail: str = "") -> QError:
    return QError(status, "AccessDeniedException", BEARER_INVALID, None, CODEWHISPERER_NS, detail=detail)


def throttled(retry_after: str | None = None) -> QError:
    return QError(429, "ThrottlingException", "Rate limit exceeded", None, CODEWHISPERER_NS, retry_after=retry_after)


def model_capacity() -> QError:
    return QError(429, "ThrottlingException", "I am experiencing high traffic, please try again shortly.",
                  "INSUFFICIENT_MODEL_CAPACITY")


def high_load() -> QError:
    return QError(500, "InternalServerException",
                  "Encountered unexpectedly high load when processing the request, please try again.",
                  "MODEL_TEMPORARILY_UNAVAILABLE")


def service_unavailable(status: int = 503) -> QError:
    # §4.2 lists this body with status 500 (QCLI test); a 503 is what a load balancer in front would send.
    return QError(status, "ServiceUnavailableException",
                  "The service is temporarily unavailable. Please try again later.", has_reason=False)


def internal_error(status: int = 500) -> QError:
    return QError(status, "InternalServerException",
                  "Encountered an unexpected error when processing the request, please try again.",
                  has_reason=False)


def monthly_quota() -> QError:
    """Amazon Q's form: 400 ThrottlingException (QCLI retry_classifier test)."""
    return QError(400, "ThrottlingException", "Maximum Request reached for this month.", "MONTHLY_REQUEST_COUNT")


def monthly_quota_kiro(reason: str = "MONTHLY_REQUEST_COUNT") -> QError:
    """Kiro's form: 402 ServiceQuotaExceededException (KRS/ZKR); reason OVERAGE_REQUEST_LIMIT_EXCEEDED for overage."""
    return QError(402, "ServiceQuotaExceededException", "You have reached the limit.", reason)


def suspended(account_id: str) -> QError:
    return QError(
        403,
        "AccessDeniedException",
        f"Your User ID ({account_id}) temporarily is suspended. We've locked your account as a security "
        "precaution. To restore access, please contact AWS Support.",
        "TEMPORARILY_SUSPENDED",
    )


def feature_not_supported() -> QError:
    return QError(403, "AccessDeniedException", "This feature is not supported for your account.",
                  "FEATURE_NOT_SUPPORTED")


def suspicious_activity(account_id: str) -> QError:
    return QError(
        429,
        "ThrottlingException",
        "Due to suspicious activity, we are imposing temporary limits on how frequently your account "
        f"(d-{account_id[:10]}) can send a request to Kiro while we investigate.",
        None,
    )


def daily_quota() -> QError:
    return QError(429, "ThrottlingException", "Daily request limit reached.", "DAILY_REQUEST_COUNT")


def conversation_limit() -> QError:
    return QError(400, "ServiceQuotaExceededException", "Conversation limit exceeded.", "CONVERSATION_LIMIT_EXCEEDED")


def resource_not_found() -> QError:
    return QError(404, "ResourceNotFoundException", "Resource not found.", None)


# ---------------------------------------------------------------- protocol-level (coral) errors


def unknown_operation(detail: str = "") -> QError:
    """An x-amz-target the service does not have, or an AWS-JSON call without the AWS-JSON content type
    (amazonq.md §1.1: application/json is rejected in this flavour). Coral's protocol-level form."""
    return QError(400, "UnknownOperationException", None, type_prefix=CORAL_NS, has_reason=False, detail=detail)


def serialization_error(detail: str = "") -> QError:
    """A body that is not JSON. Coral's protocol-level form."""
    return QError(400, "SerializationException", "Unable to parse request body as JSON.", type_prefix=CORAL_NS,
                  has_reason=False, message_key="Message", detail=detail)


def for_status(status: int) -> QError:
    """The canonical error for an upstream status (the `[[status:NNN]]` directive)."""
    if status == 400:
        return malformed("[[status:400]]")
    if status in (401, 403):
        return bearer_invalid(status, f"[[status:{status}]]")
    if status == 402:
        return monthly_quota_kiro()
    if status == 404:
        return resource_not_found()
    if status == 429:
        return throttled()
    if status == 503:
        return service_unavailable(503)
    if status >= 500:
        return internal_error(status)
    return replace(malformed(f"[[status:{status}]]"), status=status)
