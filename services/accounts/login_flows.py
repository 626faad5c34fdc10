"""Token refresh on demand and the login flows, both run by the refresher on our behalf.

`POST /admin/api/accounts/{id}/refresh` (and the seed route) ask the refresher to refresh now.
`/admin/api/auth/{tail}` and `/v2/auth/{tail}` are forwarded (after the session check) to the
refresher's `/internal/v1/auth/{tail}` — device-code start / status / claim, Google OAuth start /
callback. A JSON answer is read whole and cleaned: an `account` object is replaced by our own view of
that account from the store, any other secret-named field is masked, and every account it names is
synced to Redis at once. Anything else (an HTML page, an event stream) streams through unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from services.accounts.api_errors import ApiError, json_reply
from services.accounts.context import ACCOUNTS, MIRROR, REFRESHER
from services.accounts.refresher_client import AUTH_TIMEOUT, MAX_JSON_ANSWER, RefresherUnavailable
from services.accounts.views import account_view, mask, seed_view
from shared.service import REQUEST_ID_KEY
from shared.store import Account, AccountSecrets

log = logging.getLogger("q2api.accounts.login_flows")

View = Callable[[Account, AccountSecrets | None], dict[str, Any]]

SECRET_FIELDS = frozenset({"clientSecret", "refreshToken", "accessToken", "client_secret", "refresh_token",
                           "access_token", "api_key", "apiKey", "id_token", "idToken", "code_verifier"})
_PASSED_REQUEST_HEADERS = ("content-type", "accept")
_PASSED_ANSWER_HEADERS = ("content-type", "retry-after", "location")


def _token_refused(status: int) -> ApiError:
    return ApiError(502, "refresher_refused",
                    f"the refresher refused our internal token (HTTP {status}); INTERNAL_TOKEN must be the "
                    "same for accounts and refresher")


async def refresh_now(request: web.Request, account_id: str) -> tuple[int, dict[str, Any], Account]:
    """Ask the refresher to refresh one account now; (its status, its answer, the account after)."""
    admin = request.app[ACCOUNTS]
    await admin.get(account_id)  # an unknown id is our 404, not the refresher's
    status, answer = await request.app[REFRESHER].refresh(account_id, request_id=request.get(REQUEST_ID_KEY))
    if status in (401, 403):
        raise _token_refused(status)
    await request.app[MIRROR].push(account_id)  # the refresher syncs too; versions make this idempotent
    return status, answer, await admin.get(account_id)


async def refresh_account(request: web.Request) -> web.Response:
    """POST /admin/api/accounts/{id}/refresh → the refresher's {"ok", "error"?} with our account view."""
    account_id = request.match_info["id"]
    status, answer, account = await refresh_now(request, account_id)
    secrets = await request.app[ACCOUNTS].secrets_of([account])
    answer = {k: v for k, v in answer.items() if k not in SECRET_FIELDS}
    answer["account"] = account_view(account, secrets.get(account.id))
    return json_reply(answer, status)


async def _clean(request: web.Request, data: Any, view: View, seen: set[str]) -> Any:
    if isinstance(data, list):
        return [await _clean(request, item, view, seen) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name == "account" and isinstance(value, dict) and isinstance(value.get("id"), str):
            out[name] = await _account_view(request, value, view, seen)
        elif name in SECRET_FIELDS and isinstance(value, str):
            out[name] = mask(value)
        else:
            if name in ("accountId", "account_id") and isinstance(value, str):
                seen.add(value)
            out[name] = await _clean(request, value, view, seen)
    return out


async def _account_view(request: web.Request, given: dict[str, Any], view: View, seen: set[str]) -> Any:
    admin = request.app[ACCOUNTS]
    account = await admin.store.get_account(given["id"])
    if account is None:  # not (or no longer) in the store: keep it, masked
        return await _clean(request, {k: v for k, v in given.items() if k != "account"}, view, seen)
    seen.add(account.id)
    return view(account, (await admin.secrets_of([account])).get(account.id))


async def _forward_auth(request: web.Request, view: View) -> web.StreamResponse:
    refresher = request.app[REFRESHER]
    url = refresher.auth_url(request.match_info["tail"], request.query_string)
    headers = refresher.headers(request.get(REQUEST_ID_KEY))
    for name in _PASSED_REQUEST_HEADERS:
        if name in request.headers:
            headers[name] = request.headers[name]
    body = await request.read() if request.body_exists else None
    try:
        upstream = await refresher.session.request(request.method, url, headers=headers, data=body,
                                                   allow_redirects=False, timeout=AUTH_TIMEOUT)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise RefresherUnavailable(refresher.base_url, type(exc).__name__) from None
    async with upstream:
        if upstream.status in (401, 403):
            raise _token_refused(upstream.status)
        passed = {n: upstream.headers[n] for n in _PASSED_ANSWER_HEADERS if n in upstream.headers}
        if upstream.content_type == "application/json":
            raw = bytearray()
            async for chunk in upstream.content.iter_any():
                raw += chunk
                if len(raw) > MAX_JSON_ANSWER:
                    raise RefresherUnavailable(refresher.base_url, "sent an oversized answer")
            try:
                data = orjson.loads(raw) if raw else {}
            except orjson.JSONDecodeError:
                raise RefresherUnavailable(refresher.base_url, "sent malformed JSON") from None
            seen: set[str] = set()
            cleaned = await _clean(request, data, view, seen)
            for account_id in sorted(seen):
                await request.app[MIRROR].push(account_id)
            passed.pop("content-type", None)
            return json_reply(cleaned, upstream.status, passed)
        response = web.StreamResponse(status=upstream.status, headers={**passed, "cache-control": "no-store"})
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response


async def forward_admin_auth(request: web.Request) -> web.StreamResponse:
    return await _forward_auth(request, account_view)


async def forward_seed_auth(request: web.Request) -> web.StreamResponse:
    return await _forward_auth(request, seed_view)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/admin/api/accounts/{id}/refresh", refresh_account)
    app.router.add_route("*", "/admin/api/auth/{tail:.+}", forward_admin_auth)
    app.router.add_route("*", "/v2/auth/{tail:.+}", forward_seed_auth)
