"""JWT-shaped access tokens with a real `exp`, as the simulated identity providers issue them.

Real AWS OIDC access tokens are opaque to clients, but q2api must handle both `expiresIn` and a JWT
`exp`; issuing JWT-shaped tokens lets tests cover the second path. Signed with HMAC-SHA256 by a secret
of the simulator process, so a token the simulator did not issue is recognised as unknown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import orjson


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenClaims:
    subject: str  # the simulated user the token belongs to
    issued_at: float
    expires_at: float
    extra: dict[str, Any]


class TokenMinter:
    def __init__(self, issuer: str, secret: bytes | None = None) -> None:
        self.issuer = issuer
        self.secret = secret or secrets.token_bytes(32)

    def mint(self, subject: str, lifetime_s: float, **extra: Any) -> str:
        now = time.time()
        header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        claims = {"iss": self.issuer, "sub": subject, "iat": int(now), "exp": int(now + lifetime_s),
                  "jti": secrets.token_hex(8), **extra}
        body = _b64(orjson.dumps(claims))
        signature = _b64(hmac.new(self.secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{signature}"

    def read(self, token: str) -> TokenClaims | None:
        """The claims of a token this minter issued (expired or not), or None for anything else."""
        try:
            header, body, signature = token.split(".")
            expected = _b64(hmac.new(self.secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(expected, signature):
                return None
            claims = orjson.loads(_unb64(body))
        except (ValueError, orjson.JSONDecodeError):
            return None
        if claims.get("iss") != self.issuer:
            return None
        extra = {k: v for k, v in claims.items() if k not in ("iss", "sub", "iat", "exp", "jti")}
        return TokenClaims(claims["sub"], float(claims["iat"]), float(claims["exp"]), extra)
