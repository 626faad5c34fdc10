"""Google OAuth for Gemini Code Assist accounts (gemini-code-assist.md §1): the consent URL with PKCE,
the authorization-code exchange and the refresh grant. Form-encoded requests, JSON answers; Google
does not rotate refresh tokens (§1.5) but a returned one is kept, defensively.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import aiohttp
import msgspec

from services.refresher.errors import TokenError
from services.refresher.http import call, raise_for_error
from services.refresher.tokens import TokenGrant, expiry_of, jwt_claims

UPSTREAM = "Google OAuth"
# §1.2: what the Gemini CLI asks for.
SCOPES = (
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
)


class GoogleTokenResponse(msgspec.Struct):
    access_token: str
    expires_in: float | None = None
    refresh_token: str | None = None
    scope: str | None = None
    token_type: str | None = None
    id_token: str | None = None


def new_state() -> str:
    """64 hex characters (32 random bytes), like the Gemini CLI's (§1.3)."""
    return secrets.token_hex(32)


def new_code_verifier() -> str:
    """RFC 7636 §4.1: 43–128 characters of [A-Za-z0-9-._~]; 64 random bytes give 86."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_url(authorize_url: str, *, client_id: str, redirect_uri: str, state: str, verifier: str,
                      login_hint: str | None = None) -> str:
    """§1.3 with PKCE S256, `access_type=offline` (a refresh token) and `prompt=consent` (a fresh one
    even when the account consented to this client before — Google omits it otherwise, §1.4)."""
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "state": state,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if login_hint:
        query["login_hint"] = login_hint
    separator = "&" if "?" in authorize_url else "?"
    return authorize_url + separator + urlencode(query)


def email_of(id_token: str | None) -> str | None:
    """The account's email from the id token the code exchange returns (openid/email scopes, §1.4)."""
    claims = jwt_claims(id_token) if id_token else None
    email = claims.get("email") if claims else None
    return email if isinstance(email, str) else None


class GoogleOAuthClient:
    def __init__(self, session: aiohttp.ClientSession, endpoint: str, *, timeout: float, proxy: str | None) -> None:
        self.session = session
        self.url = endpoint.rstrip("/") + "/token"
        self.timeout = timeout
        self.proxy = proxy

    async def _token(self, form: dict[str, str]) -> GoogleTokenResponse:
        answer = await call(self.session, "POST", self.url, upstream=UPSTREAM, timeout_s=self.timeout,
                            proxy=self.proxy, data=form)
        raise_for_error(answer, UPSTREAM)
        try:
            return msgspec.json.decode(answer.body, type=GoogleTokenResponse)
        except msgspec.DecodeError as exc:
            raise TokenError("transient", f"{UPSTREAM}: unexpected token answer ({exc})") from None

    async def refresh(self, client_id: str, client_secret: str, refresh_token: str, *, now: float) -> TokenGrant:
        """§1.5: no refresh_token comes back; keep the old one (a returned one replaces it)."""
        parsed = await self._token({"grant_type": "refresh_token", "client_id": client_id,
                                    "client_secret": client_secret, "refresh_token": refresh_token})
        return TokenGrant(parsed.access_token, expiry_of(parsed.access_token, parsed.expires_in, now),
                          parsed.refresh_token or None)

    async def exchange_code(self, *, client_id: str, client_secret: str, code: str, redirect_uri: str,
                            verifier: str) -> GoogleTokenResponse:
        """§1.4 with PKCE: the same redirect_uri as the consent URL, and the code_verifier."""
        return await self._token({"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                  "client_secret": client_secret, "redirect_uri": redirect_uri,
                                  "code_verifier": verifier})
