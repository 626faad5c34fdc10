"""The refresher's internal HTTP API. accounts forwards to it after checking the admin session:

    POST /internal/v1/auth/start                 {label?, enabled?=true, startUrl?, region?, profileArn?}
         -> {authId, verificationUriComplete, verificationUri, userCode, expiresIn, interval}
    GET  /internal/v1/auth/status/{authId}       -> {status: pending|completed|timeout|error|denied,
                                                     remaining, error, accountId}
    POST /internal/v1/auth/claim/{authId}        waits up to 5 minutes -> {status: "completed", account}
                                                 (408 still pending, 400 denied, 410 expired, 502 OIDC error;
                                                 body {error, status})
    POST /internal/v1/auth/google/start          {redirect_uri, label?, enabled?, project?, login_hint?}
         -> {authorizationUrl, state, expiresIn}
    POST /internal/v1/auth/google/callback       {code, state} (or {error, state}) -> {status: "completed", account}
    POST /internal/v1/refresh/{id}               -> {ok: true, account} | {ok: false, error[, account]}

Every route needs `authorization: Bearer <INTERNAL_TOKEN>`; 401 means the token was wrong, and no other
answer uses 401 or 403 (accounts reads those as "INTERNAL_TOKEN refused"). Errors are
`{"error": "<message>"}`; `account` is the store's public view (no secrets).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from services.refresher.device_login import DeviceLogins, DeviceLoginStart, LoginError
from services.refresher.google_login import GoogleLoginCallback, GoogleLogins, GoogleLoginStart
from services.refresher.keeper import TokenKeeper
from shared.service import SETTINGS

INTERNAL_PREFIX = "/internal/"
KEEPER = web.AppKey("refresher_keeper", TokenKeeper)
DEVICE_LOGINS = web.AppKey("refresher_device_logins", DeviceLogins)
GOOGLE_LOGINS = web.AppKey("refresher_google_logins", GoogleLogins)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def internal_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Internal routes trust only a caller that presents the shared INTERNAL_TOKEN."""
    if request.path.startswith(INTERNAL_PREFIX):
        presented = request.headers.get("authorization", "").encode()
        expected = f"Bearer {request.app[SETTINGS].internal_token}".encode()
        if not hmac.compare_digest(presented, expected):
            return web.json_response({"error": "internal endpoint: missing or wrong internal token"}, status=401)
    return await handler(request)


async def _body(request: web.Request, kind: type) -> Any:
    raw = await request.read()
    try:
        return msgspec.json.decode(raw if raw.strip() else b"{}", type=kind)
    except msgspec.ValidationError as exc:
        raise LoginError(400, f"invalid request body: {exc}") from None
    except msgspec.DecodeError:
        raise LoginError(400, "the request body is not JSON") from None


def _login_route(handler: Callable[[web.Request], Awaitable[dict[str, object]]]) -> Handler:
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return web.json_response(await handler(request))
        except LoginError as error:
            return web.json_response({"error": error.message, **error.extra}, status=error.http_status)

    return wrapped


@_login_route
async def device_start(request: web.Request) -> dict[str, object]:
    return await request.app[DEVICE_LOGINS].start(await _body(request, DeviceLoginStart))


@_login_route
async def device_status(request: web.Request) -> dict[str, object]:
    return await request.app[DEVICE_LOGINS].status(request.match_info["auth_id"])


@_login_route
async def device_claim(request: web.Request) -> dict[str, object]:
    return await request.app[DEVICE_LOGINS].claim(request.match_info["auth_id"])


@_login_route
async def google_start(request: web.Request) -> dict[str, object]:
    return await request.app[GOOGLE_LOGINS].start(await _body(request, GoogleLoginStart))


@_login_route
async def google_callback(request: web.Request) -> dict[str, object]:
    body = await _body(request, GoogleLoginCallback)
    # Shielded: once the single-use code is exchanged, the account must be created even if the
    # console went away meanwhile.
    return await asyncio.shield(request.app[GOOGLE_LOGINS].callback(body))


# outcome -> HTTP status of POST /internal/v1/refresh/{id} when it did not succeed
_REFRESH_STATUS = {
    "gone": 404,
    "not_refreshable": 400,
    "invalid": 400,  # the credential was rejected; the account is now invalid (log in again)
    "busy": 503,
    "retry": 502,  # the token endpoint failed transiently
    "error": 503,  # q2api is not configured for it (e.g. no Google OAuth client)
    "skipped": 409,
}


async def refresh_account(request: web.Request) -> web.Response:
    # Shielded: a refresh that started finishes (and stores a rotated token) even if the caller left.
    result = await asyncio.shield(request.app[KEEPER].refresh_now(request.match_info["account_id"]))
    if result.outcome == "ok" and result.account is not None:
        return web.json_response({"ok": True, "account": msgspec.to_builtins(result.account)})
    body: dict[str, object] = {"ok": False, "error": result.message or result.outcome}
    if result.account is not None:
        body["account"] = msgspec.to_builtins(result.account)
    return web.json_response(body, status=_REFRESH_STATUS.get(result.outcome, 500))


def add_routes(app: web.Application) -> None:
    app.middlewares.append(internal_auth)
    router = app.router
    router.add_post("/internal/v1/auth/start", device_start)
    router.add_get("/internal/v1/auth/status/{auth_id}", device_status)
    router.add_post("/internal/v1/auth/claim/{auth_id}", device_claim)
    router.add_post("/internal/v1/auth/google/start", google_start)
    router.add_post("/internal/v1/auth/google/callback", google_callback)
    router.add_post("/internal/v1/refresh/{account_id}", refresh_account)
