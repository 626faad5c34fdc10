"""The Google OAuth token endpoint and its companions (gemini-code-assist.md §1.4–§1.6, Appendix C3).

``POST /oauth2/token`` takes form fields like Google's (``grant_type`` refresh_token / authorization_code,
client credentials in the form or HTTP Basic). Facts reproduced because clients depend on them:

* refresh responses carry **no** ``refresh_token`` — Google does not rotate them (§1.5, §11.10);
* ``expires_in`` is 3599 unless a test shortened it for the user;
* errors are ``{"error": "<code>", "error_description": "<text>"}``: ``invalid_grant`` (400) for revoked
  tokens and bad/reused codes — permanent, ``invalid_client`` (401) for a wrong client pair (§1.6);
* the code exchange checks ``redirect_uri`` and the PKCE ``code_verifier`` (§1.3 user-code variant).

Also here: ``/oauth2/revoke``, ``/oauth2/tokeninfo`` (the CLI validates cached credentials with it) and
``/oauth2/v{1,2,3}/userinfo`` (how clients learn the account's email).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from aiohttp import web

from services.simulator.google.identity import bearer_user, issue_tokens, token_owner
from services.simulator.google.request_log import logged, note
from services.simulator.google.state import GOOGLE_SIM, GoogleSim

_NO_STORE = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"}


def oauth_json(payload: dict[str, Any], status: int = 200) -> web.Response:
    """Google pretty-prints token-endpoint JSON."""
    return web.Response(status=status, text=json.dumps(payload, indent=2) + "\n",
                        content_type="application/json", charset="utf-8", headers=_NO_STORE)


def oauth_error(status: int, code: str, description: str) -> web.Response:
    return oauth_json({"error": code, "error_description": description}, status)


async def _fields(request: web.Request) -> dict[str, str]:
    """Form fields (what Google documents), JSON accepted too, query string as a fallback."""
    fields: dict[str, str] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if isinstance(body, dict):
            fields.update({k: str(v) for k, v in body.items()})
    elif request.body_exists:
        fields.update({k: str(v) for k, v in (await request.post()).items()})
    return fields


def _client_credentials(request: web.Request, fields: dict[str, str]) -> tuple[str, str | None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client_id, secret
        except (binascii.Error, UnicodeDecodeError):
            pass
    return fields.get("client_id", ""), fields.get("client_secret")


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """RFC 7636: S256 is base64url(sha256(verifier)) without padding; plain compares as is."""
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return hmac.compare_digest(computed, challenge)
    return hmac.compare_digest(verifier, challenge)


@logged("oauth")
async def token_endpoint(request: web.Request) -> web.Response:
    """``POST /oauth2/token``."""
    sim = request.app[GOOGLE_SIM]
    fields = await _fields(request)
    client_id, client_secret = _client_credentials(request, fields)
    if not client_id:
        return oauth_error(400, "invalid_request", "Could not determine client ID from request.")
    problem = sim.client_ok(client_id, client_secret)
    if problem:
        return oauth_error(401, "invalid_client", problem)
    grant_type = fields.get("grant_type")
    if grant_type == "refresh_token":
        return _refresh(sim, request, client_id, fields)
    if grant_type == "authorization_code":
        return _exchange_code(sim, request, client_id, fields)
    if not grant_type:
        return oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
    return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _refresh(sim: GoogleSim, request: web.Request, client_id: str, fields: dict[str, str]) -> web.Response:
    refresh_token = fields.get("refresh_token")
    if not refresh_token:
        return oauth_error(400, "invalid_request", "Missing required parameter: refresh_token")
    grant = sim.grants.get(refresh_token)
    user = sim.users.get(grant.user_id) if grant else None
    if grant is None or grant.revoked or user is None:
        return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    note(request, principal=user.user_id)
    # §1.1: refresh tokens are bound to the client that minted them.
    if grant.client_id != client_id and not sim.config.accept_any_client:
        return oauth_error(400, "unauthorized_client", "Unauthorized")
    issued = issue_tokens(sim, user, grant, client_id, grant.scope)
    # No refresh_token member: Google keeps the old one valid (§1.5, Appendix C3).
    return oauth_json({"access_token": issued.access_token, "expires_in": issued.expires_in, "scope": grant.scope,
                       "token_type": "Bearer", "id_token": issued.id_token})


def _exchange_code(sim: GoogleSim, request: web.Request, client_id: str, fields: dict[str, str]) -> web.Response:
    code = fields.get("code")
    if not code:
        return oauth_error(400, "invalid_request", "Missing required parameter: code")
    record = sim.codes.get(code)
    if record is None:
        return oauth_error(400, "invalid_grant", "Malformed auth code.")
    if record.used or record.expires_at < sim.now() or record.client_id != client_id:
        return oauth_error(400, "invalid_grant", "Bad Request")
    if fields.get("redirect_uri") != record.redirect_uri:
        return oauth_error(400, "redirect_uri_mismatch", "Bad Request")
    verifier = fields.get("code_verifier")
    if record.code_challenge is None:
        if verifier:
            return oauth_error(400, "invalid_request", "code_verifier or verifier is not needed.")
    elif not verifier:
        return oauth_error(400, "invalid_grant", "Missing code verifier.")
    elif not pkce_matches(verifier, record.code_challenge, record.code_challenge_method):
        return oauth_error(400, "invalid_grant", "Invalid code verifier.")
    user = sim.users.get(record.user_id)
    if user is None:
        return oauth_error(400, "invalid_grant", "Bad Request")
    record.used = True
    note(request, principal=user.user_id)
    grant = sim.grant_refresh_token(user, client_id, record.scope) if record.issue_refresh_token else None
    issued = issue_tokens(sim, user, grant, client_id, record.scope)
    payload: dict[str, Any] = {"access_token": issued.access_token, "expires_in": issued.expires_in}
    if grant is not None:
        payload["refresh_token"] = grant.token
    payload.update({"scope": record.scope, "token_type": "Bearer", "id_token": issued.id_token})
    return oauth_json(payload)


@logged("oauth")
async def revoke_endpoint(request: web.Request) -> web.Response:
    """``POST /oauth2/revoke?token=…``: a refresh token, or an access token (which revokes its grant)."""
    sim = request.app[GOOGLE_SIM]
    token = (await _fields(request)).get("token", "")
    grant = sim.grants.get(token)
    if grant is not None and not grant.revoked:
        grant.revoked = True
        return oauth_json({})
    owner, _ = token_owner(sim, token)
    if owner is not None:
        sim.expired_access_tokens.add(token)
        claims = sim.access_minter.read(token)
        found = sim.grant_by_id(str(claims.extra.get("grant"))) if claims else None
        if found is not None:
            found.revoked = True
        return oauth_json({})
    return oauth_error(400, "invalid_token", "Token expired or revoked")


@logged("oauth")
async def tokeninfo_endpoint(request: web.Request) -> web.Response:
    """``GET /oauth2/tokeninfo?access_token=…`` — numbers as strings, like Google's."""
    sim = request.app[GOOGLE_SIM]
    token = (await _fields(request)).get("access_token", "")
    owner, _ = token_owner(sim, token)
    if owner is None:
        return oauth_error(400, "invalid_token", "Invalid Value")
    return oauth_json({"azp": owner.client_id, "aud": owner.client_id, "sub": owner.user.user_id,
                       "scope": owner.scope, "exp": str(int(owner.expires_at)),
                       "expires_in": str(max(0, int(owner.expires_at - sim.now()))), "email": owner.user.email,
                       "email_verified": "true", "access_type": "offline"})


@logged("oauth")
async def userinfo_endpoint(request: web.Request) -> web.Response:
    """``GET /oauth2/v{1,2}/userinfo`` (``id``, ``verified_email``) or ``/v3/userinfo`` (OIDC ``sub``)."""
    sim = request.app[GOOGLE_SIM]
    user = bearer_user(sim, request.headers.get("Authorization"), "oauth2.googleapis.com", "userinfo")
    note(request, principal=user.user_id)
    local = user.email.split("@")[0]
    given = local.split(".")[0].capitalize()
    common = {"name": given + " Sim", "given_name": given, "family_name": "Sim",
              "picture": "https://lh3.googleusercontent.com/a/simulated"}
    if request.match_info.get("version") == "v3":
        return oauth_json({"sub": user.user_id, **common, "email": user.email, "email_verified": True})
    return oauth_json({"id": user.user_id, "email": user.email, "verified_email": True, **common})


def add_oauth_routes(app: web.Application) -> None:
    app.router.add_post("/oauth2/token", token_endpoint)
    app.router.add_post("/oauth2/v4/token", token_endpoint)  # the older google-auth path
    app.router.add_route("*", "/oauth2/revoke", revoke_endpoint)
    app.router.add_route("*", "/oauth2/tokeninfo", tokeninfo_endpoint)
    app.router.add_get("/oauth2/{version:v1|v2|v3}/userinfo", userinfo_endpoint)
