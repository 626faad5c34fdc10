"""When a token expires and when to refresh it: pure functions, no I/O.

Expiry comes from the token endpoint's `expiresIn`/`expires_in` (amazonq.md §5: "use expiresIn"); when
it is missing, from the access token's own JWT `exp`; when neither exists the expiry is unknown and the
token is used until the upstream rejects it (then refreshed on demand).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class TokenGrant:
    """What a token endpoint handed out. `refresh_token` is set only when the response carried one."""

    access_token: str
    expires_at: float | None
    refresh_token: str | None = None


def jwt_claims(token: str) -> dict | None:
    """The payload of a JWT-shaped token (signature not checked: we only read our own token's times)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def jwt_expiry(token: str) -> float | None:
    claims = jwt_claims(token)
    return _number(claims.get("exp")) if claims else None


def jwt_issued_at(token: str) -> float | None:
    claims = jwt_claims(token)
    return _number(claims.get("iat")) if claims else None


def expiry_of(access_token: str, expires_in: float | None, now: float) -> float | None:
    """Absolute expiry: `now + expires_in`, else the JWT `exp`, else None (unknown)."""
    if expires_in is not None and expires_in > 0:
        return now + expires_in
    return jwt_expiry(access_token)


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`: every replica and every rebuild computes the same jitter."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def refresh_due(
    account_id: str,
    expires_at: float,
    *,
    lead: float,
    jitter_fraction: float,
    issued_at: float | None = None,
    max_lead_share: float = 0.5,
) -> float:
    """`expires_at − lead − jitter`, where jitter ∈ [0, lead × jitter_fraction) is fixed per token.

    When the token's lifetime is known (`issued_at`), the lead never exceeds `max_lead_share` of it,
    so a lead time longer than the token lives does not turn into a refresh loop.
    """
    jitter = lead * jitter_fraction * stable_fraction(account_id, round(expires_at, 3))
    total = lead + jitter
    if issued_at is not None and expires_at > issued_at:
        total = min(total, (expires_at - issued_at) * max_lead_share)
    return expires_at - total
