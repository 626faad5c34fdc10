"""Access and id tokens of the simulated Google accounts, and checking a caller's bearer token.

Real Google access tokens are opaque ``ya29.…`` strings; ours are JWT-shaped with a real ``exp`` (from
`TokenMinter`) so a client that reads either ``expires_in`` or the token's own expiry is exercised. A
token is good while: we minted it, it has not expired, it was not expired by a control call, its refresh
grant was not revoked, and its user still exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.simulator.google import errors
from services.simulator.google.state import GoogleSim, GoogleUser, RefreshGrant


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    id_token: str


def issue_tokens(sim: GoogleSim, user: GoogleUser, grant: RefreshGrant | None, client_id: str, scope: str,
                 lifetime_s: float | None = None) -> IssuedTokens:
    """A fresh access token (+ id token, since the email/openid scopes are granted, §1.4)."""
    lifetime = user.access_token_lifetime_s if lifetime_s is None else lifetime_s
    offset = sim.now() - time.time()  # so `exp` is in the simulator's (possibly advanced) time
    access = sim.access_minter.mint(user.user_id, lifetime + offset, scope=scope, azp=client_id,
                                    grant=grant.grant_id if grant else None)
    user.issued_access_tokens.append(access)
    id_token = sim.id_minter.mint(user.user_id, 3600, aud=client_id, azp=client_id, email=user.email,
                                  email_verified=True)
    return IssuedTokens(access, round(lifetime), id_token)


@dataclass(frozen=True)
class TokenOwner:
    user: GoogleUser
    scope: str
    client_id: str
    expires_at: float


def token_owner(sim: GoogleSim, token: str) -> tuple[TokenOwner | None, str]:
    """(owner, "") for a good token, else (None, why): "unknown", "expired" or "revoked"."""
    claims = sim.access_minter.read(token)
    if claims is None:
        return None, "unknown"
    if claims.expires_at <= sim.now() or token in sim.expired_access_tokens:
        return None, "expired"
    grant_id = claims.extra.get("grant")
    if grant_id:
        grant = sim.grant_by_id(grant_id)
        if grant is None or grant.revoked:
            return None, "revoked"
    user = sim.users.get(claims.subject)
    if user is None:
        return None, "revoked"
    return TokenOwner(user, str(claims.extra.get("scope", "")), str(claims.extra.get("azp", "")),
                      claims.expires_at), ""


def bearer_user(sim: GoogleSim, authorization: str | None, service: str, rpc_method: str) -> GoogleUser:
    """The user behind ``Authorization: Bearer …``, or the 401 of Appendix B5 (§10 first bullet)."""
    if not authorization:
        raise errors.credentials_missing(service, rpc_method)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.credentials_missing(service, rpc_method)
    owner, why = token_owner(sim, token.strip())
    if owner is None:
        reason = "ACCESS_TOKEN_TYPE_UNSUPPORTED" if why == "unknown" else "ACCESS_TOKEN_EXPIRED"
        raise errors.invalid_credentials(service, rpc_method, reason)
    return owner.user
