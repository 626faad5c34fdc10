"""AWS SSO-OIDC (amazonq.md §5–§6): CreateToken (refresh and device-code grants), RegisterClient,
StartDeviceAuthorization. rest-json, unsigned, camelCase members; errors are OAuth-style
`{"error", "error_description"}` with 400 (401 for `invalid_client`, 500 for `server_error`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import msgspec

from services.refresher.errors import TokenError
from services.refresher.http import call, raise_for_error
from services.refresher.tokens import TokenGrant, expiry_of

UPSTREAM = "AWS SSO-OIDC"
DEFAULT_REGION = "us-east-1"  # Builder ID always issues tokens in us-east-1 (§1.2)
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# §6: what the Q CLI asks for; `sso:account:access` is deliberately not requested.
SCOPES = ("codewhisperer:completions", "codewhisperer:analysis", "codewhisperer:conversations")
CLIENT_NAME = "q2api"
_AWS_OIDC_HOST = re.compile(r"^oidc\.[a-z0-9-]+\.amazonaws\.com$")


class _Aws(msgspec.Struct, rename="camel"):
    pass


class CreateTokenResponse(_Aws):
    access_token: str
    expires_in: float | None = None
    refresh_token: str | None = None
    token_type: str | None = None


class RegisterClientResponse(_Aws):
    client_id: str
    client_secret: str
    client_secret_expires_at: float | None = None


class DeviceAuthorizationResponse(_Aws):
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None = None
    # §6: Q2A defaults expiresIn 600 s and interval 1 s when absent.
    expires_in: float = 600
    interval: float = 1


def oidc_base(template: str, region: str | None) -> str:
    """The OIDC base URL for a region: `{region}` replaced; the default AWS host (which names
    us-east-1) follows an Identity Center region too, since IdC tokens are issued in its own region."""
    region = region or DEFAULT_REGION
    if "{region}" in template:
        return template.replace("{region}", region).rstrip("/")
    parts = urlsplit(template)
    if _AWS_OIDC_HOST.match(parts.hostname or ""):
        parts = parts._replace(netloc=f"oidc.{region}.amazonaws.com")
    return urlunsplit(parts).rstrip("/")


def _decode(answer_body: bytes, kind: type[msgspec.Struct], what: str):
    try:
        return msgspec.json.decode(answer_body, type=kind)
    except msgspec.DecodeError as exc:
        raise TokenError("transient", f"{UPSTREAM} {what}: unexpected answer ({exc})") from None


class OidcClient:
    def __init__(self, session: aiohttp.ClientSession, base: str, *, timeout: float, proxy: str | None) -> None:
        self.session = session
        self.base = base
        self.timeout = timeout
        self.proxy = proxy

    async def _post(self, path: str, payload: dict) -> bytes:
        answer = await call(self.session, "POST", self.base + path, upstream=UPSTREAM, timeout_s=self.timeout,
                            proxy=self.proxy, json=payload)
        raise_for_error(answer, UPSTREAM)
        return answer.body

    async def refresh(self, client_id: str, client_secret: str, refresh_token: str, *, now: float) -> TokenGrant:
        """§5: the refresh_token grant. A returned refreshToken is the new one (always persist it)."""
        body = await self._post("/token", {"clientId": client_id, "clientSecret": client_secret,
                                           "grantType": "refresh_token", "refreshToken": refresh_token})
        return self._grant(body, now)

    async def register_client(self) -> RegisterClientResponse:
        body = await self._post("/client/register", {"clientName": CLIENT_NAME, "clientType": "public",
                                                     "scopes": list(SCOPES)})
        return _decode(body, RegisterClientResponse, "RegisterClient")

    async def start_device_authorization(self, client_id: str, client_secret: str,
                                         start_url: str) -> DeviceAuthorizationResponse:
        body = await self._post("/device_authorization", {"clientId": client_id, "clientSecret": client_secret,
                                                          "startUrl": start_url})
        return _decode(body, DeviceAuthorizationResponse, "StartDeviceAuthorization")

    async def device_token(self, client_id: str, client_secret: str, device_code: str, *, now: float) -> TokenGrant:
        """§6 step 3: one poll. Pending / slow_down / expired / denied arrive as TokenError codes."""
        body = await self._post("/token", {"clientId": client_id, "clientSecret": client_secret,
                                           "grantType": DEVICE_CODE_GRANT, "deviceCode": device_code})
        return self._grant(body, now)

    @staticmethod
    def _grant(body: bytes, now: float) -> TokenGrant:
        parsed = _decode(body, CreateTokenResponse, "CreateToken")
        if not parsed.access_token:
            raise TokenError("transient", f"{UPSTREAM} returned no accessToken")
        return TokenGrant(parsed.access_token, expiry_of(parsed.access_token, parsed.expires_in, now),
                          parsed.refresh_token or None)
