"""Google API error bodies, as values (gemini-code-assist.md §6, examples Appendix B).

Every body is ``{"error": {"code", "message", "status", "details"?, "errors"?}}``. Google front ends
pretty-print error JSON with two-space indentation; the streaming method of Code Assist wraps the object
in a one-element **array** (§6.1, §11.7) while unary methods send the bare object. A handler raises
`GoogleError` and the route turns it into bytes with `GoogleError.body(as_array=…)`, so the choice of
shape lives in one place per route.

Builders are named after what the upstream means (`quota_exhausted`, `capacity_exhausted`), not after a
status code, because one status has several distinct bodies that clients must tell apart (§11.8).
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

CODE_ASSIST_SERVICE = "cloudcode-pa.googleapis.com"
GEMINI_API_SERVICE = "generativelanguage.googleapis.com"
CONTENT_TYPE = "application/json; charset=UTF-8"

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
HELP = "type.googleapis.com/google.rpc.Help"
QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"
LOCALIZED_MESSAGE = "type.googleapis.com/google.rpc.LocalizedMessage"

# HTTP status -> canonical gRPC code name (google.rpc.Code mapping used by the JSON front end).
GRPC_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class GoogleError(Exception):
    """An error answer: HTTP status, the inner ``error`` object, extra response headers."""

    def __init__(self, status: int, error: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error
        self.headers = headers or {}

    def payload(self, *, as_array: bool) -> Any:
        body = {"error": self.error}
        return [body] if as_array else body

    def body(self, *, as_array: bool) -> bytes:
        return json.dumps(self.payload(as_array=as_array), indent=2, ensure_ascii=False).encode() + b"\n"


def error_object(code: int, message: str, status: str | None = None, details: list[dict[str, Any]] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The inner object with Google's member order: code, message, (errors), status, (details)."""
    obj: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        obj["errors"] = errors
    obj["status"] = status or GRPC_STATUS.get(code, "UNKNOWN")
    if details:
        obj["details"] = details
    return obj


def make(code: int, message: str, status: str | None = None, details: list[dict[str, Any]] | None = None,
         errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> GoogleError:
    return GoogleError(code, error_object(code, message, status, details, errors), headers)


# ------------------------------------------------------------------ durations, as Google writes them


def retry_delay(seconds: float) -> str:
    """``RetryInfo.retryDelay``: seconds with up to nine fraction digits, e.g. ``"69287.312848392s"``."""
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return f"{text}s"


def go_duration(seconds: float) -> str:
    """``quotaResetDelay`` in Go ``time.Duration`` style: ``"19h14m47.31s"``, ``"539.477544ms"`` (§6.3)."""
    if seconds < 1:
        return f"{seconds * 1000:.6f}".rstrip("0").rstrip(".") + "ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:.9f}".rstrip("0").rstrip(".")
    if hours:
        return f"{int(hours)}h{int(minutes)}m{sec_text}s"
    if minutes:
        return f"{int(minutes)}m{sec_text}s"
    return f"{sec_text}s"


def human_duration(seconds: float) -> str:
    """The message's "Your quota will reset after 8h44m7s." — whole seconds, leading zero units dropped."""
    total = max(0, math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ authentication (Appendix B5)

_AUTH_HINT = ("Expected OAuth 2 access token, login cookie or other valid authentication credential. "
              "See https://developers.google.com/identity/sign-in/web/devconsole-project.")
_WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}


def code_assist_rpc(method: str) -> str:
    """The ``metadata.method`` Google reports, e.g. ``…CloudCode.StreamGenerateContent`` (B5)."""
    return f"google.internal.cloud.code.v1internal.CloudCode.{method[:1].upper()}{method[1:]}"


def credentials_missing(service: str, method: str) -> GoogleError:
    """No ``Authorization`` header at all (B5 variant, reason CREDENTIALS_MISSING)."""
    info = {"@type": ERROR_INFO, "reason": "CREDENTIALS_MISSING", "domain": "googleapis.com",
            "metadata": {"service": service, "method": method}}
    return make(401, "Request is missing required authentication credential. " + _AUTH_HINT, "UNAUTHENTICATED",
                [info], headers=_WWW_AUTHENTICATE)


def invalid_credentials(service: str, method: str, reason: str = "ACCESS_TOKEN_EXPIRED") -> GoogleError:
    """Expired, revoked or unknown access token (B5). Unknown tokens carry ACCESS_TOKEN_TYPE_UNSUPPORTED [inf]."""
    info = {"@type": ERROR_INFO, "reason": reason, "domain": "googleapis.com",
            "metadata": {"service": service, "method": method}}
    return make(401, "Request had invalid authentication credentials. " + _AUTH_HINT, "UNAUTHENTICATED", [info],
                headers=_WWW_AUTHENTICATE)


# ------------------------------------------------------------------ permission (§6.2, B6, B7)


def project_permission_denied(project: str) -> GoogleError:
    """Generate call with a project that is not the caller's onboarded one (§10). IAM wording [inf]."""
    resource = f"projects/{project}/locations/global"
    permission = "cloudaicompanion.companions.generateChat"
    info = {"@type": ERROR_INFO, "reason": "IAM_PERMISSION_DENIED", "domain": "cloudaicompanion.googleapis.com",
            "metadata": {"permission": permission, "resource": resource}}
    return make(403, f"Permission '{permission}' denied on resource '//cloudaicompanion.googleapis.com/{resource}' "
                "(or it may not exist).", "PERMISSION_DENIED", [info])


def service_disabled(project: str) -> GoogleError:
    """B6: the Gemini for Google Cloud API is off on a user-supplied project."""
    url = f"https://console.developers.google.com/apis/api/cloudaicompanion.googleapis.com/overview?project={project}"
    info = {"@type": ERROR_INFO, "reason": "SERVICE_DISABLED", "domain": "googleapis.com",
            "metadata": {"serviceTitle": "Gemini for Google Cloud API", "consumer": f"projects/{project}",
                         "containerInfo": project, "service": "cloudaicompanion.googleapis.com", "activationUrl": url}}
    help_ = {"@type": HELP, "links": [{"description": "Google developers console API activation", "url": url}]}
    return make(403, f"Gemini for Google Cloud API has not been used in project {project} before or it is disabled. "
                f"Enable it by visiting {url} then retry. If you enabled this API recently, wait a few minutes for "
                "the action to propagate to our systems and retry.", "PERMISSION_DENIED", [info, help_])


def validation_required() -> GoogleError:
    """B7: the account must be verified in a browser first."""
    link = "https://accounts.google.com/signin/continue?sarp=1&scc=1"
    info = {"@type": ERROR_INFO, "reason": "VALIDATION_REQUIRED", "domain": CODE_ASSIST_SERVICE,
            "metadata": {"validation_link": link}}
    help_ = {"@type": HELP, "links": [{"description": "Complete validation to continue", "url": link},
                                      {"description": "Learn more", "url": "https://support.google.com/accounts?p=al_alert"}]}
    return make(403, "Validation required to continue.", "PERMISSION_DENIED", [info, help_])


def tos_violation() -> GoogleError:
    """Account suspended (ErrorInfo TOS_VIOLATION, gemini-cli errors.ts); message wording [inf]."""
    info = {"@type": ERROR_INFO, "reason": "TOS_VIOLATION", "domain": CODE_ASSIST_SERVICE, "metadata": {}}
    return make(403, "This account has been suspended for violating the Terms of Service.", "PERMISSION_DENIED", [info])


def caller_permission_denied() -> GoogleError:
    return make(403, "The caller does not have permission", "PERMISSION_DENIED")


# ------------------------------------------------------------------ not found (B8)


def code_assist_model_not_found() -> GoogleError:
    return make(404, "Requested entity was not found.", "NOT_FOUND")


def gemini_api_model_not_found(model: str, method: str) -> GoogleError:
    """The public API names the model and method in the message."""
    return make(404, f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
                "Call ListModels to see the list of available models and their supported methods.", "NOT_FOUND")


def method_not_found() -> GoogleError:
    return make(404, "Method not found.", "NOT_FOUND")


# ------------------------------------------------------------------ quota and capacity (§6.2, §6.3, B9, B10)


def resource_exhausted_bare() -> GoogleError:
    """B9: no details at all — both real throttling and some content rejections look like this."""
    return make(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED")


def quota_exhausted(model: str, reset_after_s: float, reason: str = "QUOTA_EXHAUSTED") -> GoogleError:
    """Code Assist 429 with ErrorInfo (QUOTA_EXHAUSTED daily / RATE_LIMIT_EXCEEDED per minute) + RetryInfo.

    The message says "Your quota will reset after …", not "Please retry in …" (§11.7); the metadata keys
    are the ones seen on real bodies (§6.3 last line).
    """
    reset_at = time.time() + reset_after_s
    info = {"@type": ERROR_INFO, "reason": reason, "domain": CODE_ASSIST_SERVICE,
            "metadata": {"uiMessage": "true", "model": model, "quotaResetDelay": go_duration(reset_after_s),
                         "quotaResetTimeStamp": rfc3339(reset_at)}}
    retry = {"@type": RETRY_INFO, "retryDelay": retry_delay(reset_after_s)}
    return make(429, "You have exhausted your capacity on this model. Your quota will reset after "
                f"{human_duration(reset_after_s)}.", "RESOURCE_EXHAUSTED", [info, retry])


def capacity_exhausted(model: str, status: int = 503, retry_after_s: float = 9.0) -> GoogleError:
    """B10: the server has no capacity for the model — not the account's quota."""
    info = {"@type": ERROR_INFO, "reason": "MODEL_CAPACITY_EXHAUSTED", "domain": CODE_ASSIST_SERVICE,
            "metadata": {"model": model}}
    retry = {"@type": RETRY_INFO, "retryDelay": retry_delay(retry_after_s)}
    return make(status, f"No capacity available for model {model} on the server", None, [info, retry])


def gemini_api_quota_exceeded(model: str, limit: int, retry_after_s: float, daily: bool) -> GoogleError:
    """The public API's 429: QuotaFailure + Help + RetryInfo and "Please retry in Ns." in the message."""
    metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
    quota_id = ("GenerateRequestsPerDayPerProjectPerModel-FreeTier" if daily
                else "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
    violation = {"quotaMetric": metric, "quotaId": quota_id,
                 "quotaDimensions": {"location": "global", "model": model}, "quotaValue": str(limit)}
    details = [
        {"@type": QUOTA_FAILURE, "violations": [violation]},
        {"@type": HELP, "links": [{"description": "Learn more about Gemini API quotas",
                                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        {"@type": RETRY_INFO, "retryDelay": f"{math.ceil(retry_after_s)}s"},
    ]
    message = ("You exceeded your current quota, please check your plan and billing details. For more information "
               "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n"
               f"* Quota exceeded for metric: {metric}, limit: {limit}, model: {model}\n"
               f"Please retry in {retry_after_s:.2f}s.")
    return make(429, message, "RESOURCE_EXHAUSTED", details)


# ------------------------------------------------------------------ server side (B11)


def internal() -> GoogleError:
    return make(500, "Internal error encountered.", "INTERNAL")


def unavailable() -> GoogleError:
    return make(503, "The service is currently unavailable.", "UNAVAILABLE")


def gemini_api_internal() -> GoogleError:
    return make(500, "An internal error has occurred. Please retry or report in "
                "https://developers.generativeai.google/guide/troubleshooting", "INTERNAL")


def gemini_api_overloaded() -> GoogleError:
    return make(503, "The model is overloaded. Please try again later.", "UNAVAILABLE")


# ------------------------------------------------------------------ bad requests (B1–B4)


def invalid_argument(message: str, violations: list[dict[str, str]] | None = None) -> GoogleError:
    details = [{"@type": BAD_REQUEST, "fieldViolations": violations}] if violations else None
    return make(400, message, "INVALID_ARGUMENT", details)


def invalid_json(violations: list[dict[str, str]]) -> GoogleError:
    """B1 shape: every protobuf-JSON parse problem in one body, messages joined by newlines."""
    return invalid_argument("\n".join(v["description"] for v in violations), violations)


def function_count_mismatch() -> GoogleError:
    """B3, verbatim, with the legacy ``errors[]`` member."""
    message = ("Please ensure that the number of function response parts is equal to the number of function call "
               "parts of the function call turn.")
    return make(400, message, "INVALID_ARGUMENT", errors=[{"message": message, "domain": "global", "reason": "badRequest"}])


def missing_thought_signature(name: str, content_number: int, *, public_api: bool) -> GoogleError:
    """B2: Code Assist / Vertex wording, or the AI Studio wording for the public API.

    Both name the call as ``default_api:<name>`` and count contents from 1 (gemini-cli #14437,
    dify-plugin #143: the first model turn after one user turn is "the 2. content block").
    """
    if public_api:
        message = ("Function call is missing a thought_signature in functionCall parts. This is required for tools "
                   "to work correctly, and missing thought_signature may lead to degraded model performance. "
                   f"Additional data, function call `default_api:{name}` , position {content_number}. Please refer "
                   "to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.")
    else:
        message = (f"Unable to submit request because function call `default_api:{name}` in the {content_number}. "
                   "content block is missing a `thought_signature`. Learn more: "
                   "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures")
    return make(400, message, "INVALID_ARGUMENT")


def corrupted_thought_signature() -> GoogleError:
    """A well-formed base64 signature the server never issued [inf: wording seen on Vertex]."""
    return make(400, "Corrupted thought signature.", "INVALID_ARGUMENT")


# ------------------------------------------------------------------ the canonical body per status


def canonical(status: int, *, model: str, public_api: bool) -> GoogleError:
    """What ``[[status:NNN]]`` answers: the Appendix B body for that status (or the public API's)."""
    if status == 429:
        return resource_exhausted_bare()
    if status == 404:
        return gemini_api_model_not_found(model, "generateContent") if public_api else code_assist_model_not_found()
    if status == 401:
        if public_api:
            return invalid_credentials(GEMINI_API_SERVICE,
                                       "google.ai.generativelanguage.v1beta.GenerativeService.StreamGenerateContent")
        return invalid_credentials(CODE_ASSIST_SERVICE, code_assist_rpc("streamGenerateContent"))
    if status == 403:
        return caller_permission_denied()
    if status == 500:
        return gemini_api_internal() if public_api else internal()
    if status == 503:
        return gemini_api_overloaded() if public_api else unavailable()
    if status == 400:
        return invalid_argument("Request contains an invalid argument.")
    return make(status, _GENERIC_MESSAGES.get(status, "Unknown error."))


_GENERIC_MESSAGES = {
    409: "The operation was aborted.",
    412: "Precondition check failed.",
    499: "The operation was cancelled.",
    501: "Operation is not implemented, or supported, or enabled.",
    502: "Bad Gateway",
    504: "The request timed out. Please try again.",
}
