"""Why an Amazon Q answer failed after HTTP 200, and what the Anthropic client is told.

After the 200 is sent, Q reports failures as `exception` frames (amazonq.md §4.3); q2api adds its own
for an answer it cannot deliver intact (a tool call cut before `stop`, tool input that is not a JSON
object). The client learns of it through one in-stream `error` event (client-apis.md §1.3), which makes
the Anthropic SDK raise `APIStatusError` (§3) and Claude Code stop with "API Error" instead of
accepting a silently short answer (§0 item 6, §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass

#: q2api's own failure kinds (not Q wire names).
TRUNCATED_TOOL_USE = "TruncatedToolUse"
INVALID_TOOL_INPUT = "InvalidToolInput"

# Reasons that mean "no capacity right now" whatever the exception type (amazonq.md §4.1-§4.2).
_CAPACITY_REASONS = frozenset({"INSUFFICIENT_MODEL_CAPACITY", "MODEL_TEMPORARILY_UNAVAILABLE"})
_QUOTA_REASONS = frozenset({"MONTHLY_REQUEST_COUNT", "DAILY_REQUEST_COUNT", "OVERAGE_REQUEST_LIMIT_EXCEEDED"})


def exception_name(exception_type: str) -> str:
    """`com.amazon.aws.codewhisperer#ThrottlingException` → `ThrottlingException` (amazonq.md §4.1)."""
    return exception_type.rpartition("#")[2]


@dataclass(frozen=True, slots=True)
class QFailure:
    """A failure of the answer: the Q exception type (or a q2api kind above), its message and reason."""

    exception_type: str
    message: str
    reason: str | None = None

    @property
    def error_type(self) -> str:
        """The Anthropic `error.type` of the in-stream error event.

        Throttling and capacity problems become `overloaded_error`: that is what Anthropic itself sends
        mid-stream, and Claude Code reports it as "API Error: Overloaded" without retrying the half-sent
        answer (client-apis.md §4.3, measured). Quota reasons become `rate_limit_error` (the account is out
        of requests, not the service out of capacity). Everything else is `api_error`."""
        name = exception_name(self.exception_type)
        if self.reason in _QUOTA_REASONS or name == "ServiceQuotaExceededException":
            return "rate_limit_error"
        if (
            name in ("ThrottlingException", "ServiceUnavailableException")
            or self.reason in _CAPACITY_REASONS
        ):
            return "overloaded_error"
        return "api_error"

    @property
    def client_message(self) -> str:
        """What happened, and that the answer the client received so far is incomplete."""
        name = exception_name(self.exception_type)
        if name in (TRUNCATED_TOOL_USE, INVALID_TOOL_INPUT):
            return f"{self.message} The answer is incomplete; retry the request."
        detail = f"{name} ({self.reason})" if self.reason else name
        message = self.message.strip().rstrip(".")
        return f"The upstream model failed mid-answer with {detail}: {message}. The answer is incomplete; retry the request."

    def anthropic_error(self) -> tuple[str, str]:
        """`(error_type, message)`, the arguments of `QToAnthropic.fail`."""
        return self.error_type, self.client_message
