"""Why a token call failed, in terms the refresher acts on.

`permanent`: the credential itself is dead (revoked or expired refresh token, unknown client) — the
account becomes `invalid` and nothing retries it. `transient`: the network, a 5xx, 429 or `slow_down`
— retried later with backoff. `config`: q2api is missing something the operator must set (no OAuth
client id) — retried slowly, the account is not blamed.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Kind = Literal["permanent", "transient", "config"]

# OAuth error codes that mean "this credential will never work again" (amazonq.md §5, gemini §1.6).
PERMANENT_ERRORS = frozenset({
    "invalid_grant",  # refresh token revoked / expired / rotated away
    "invalid_client",  # client id/secret wrong, or the client registration expired
    "unauthorized_client",  # refresh token minted by another client
    "expired_token",  # ExpiredTokenException: the refresh token's session ended
    "access_denied",
    "unsupported_grant_type",
    "invalid_scope",
})
TRANSIENT_ERRORS = frozenset({"slow_down", "server_error", "temporarily_unavailable", "internal_failure"})


class OAuthErrorBody(msgspec.Struct):
    """`{"error": "<code>", "error_description": "..."}` — both AWS SSO-OIDC and Google use it."""

    error: str = ""
    error_description: str | None = None
    reason: str | None = None


_error_decoder = msgspec.json.Decoder(OAuthErrorBody)


class TokenError(Exception):
    """A failed token-endpoint call; `message` is fit for an operator (never contains a secret)."""

    def __init__(self, kind: Kind, message: str, *, code: str = "", status: int = 0,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.kind == "permanent"


def classify(status: int, body: bytes, *, upstream: str, retry_after: str | None = None) -> TokenError:
    """A TokenError for an HTTP error answer of a token endpoint."""
    try:
        parsed = _error_decoder.decode(body) if body.strip() else OAuthErrorBody()
    except msgspec.DecodeError:
        parsed = OAuthErrorBody()
    code = parsed.error
    detail = parsed.error_description or parsed.reason or ""
    text = f"{upstream} answered {status}" + (f" {code}" if code else "") + (f": {detail}" if detail else "")
    wait = _seconds(retry_after)
    if code in PERMANENT_ERRORS:
        return TokenError("permanent", text, code=code, status=status)
    if code in TRANSIENT_ERRORS or status >= 500 or status in (408, 429):
        return TokenError("transient", text, code=code, status=status, retry_after=wait)
    # Anything else (invalid_request, an HTML error page of a proxy, …) is not proof that the
    # credential is dead: retry with backoff rather than throwing the account away.
    return TokenError("transient", text, code=code, status=status, retry_after=wait)


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
