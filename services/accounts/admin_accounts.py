"""Our account API under `/admin/api/accounts` (JSON, our field names, no secrets in answers)."""

from __future__ import annotations

from aiohttp import web

from services.accounts.api_errors import ApiError, json_reply
from services.accounts.bodies import AccountIn, AccountPatch, given, read_body
from services.accounts.context import ACCOUNTS, POOL
from services.accounts.views import account_view
from shared.store.records import ACCOUNT_STATUSES, PROVIDERS

_SORTS = ("created_at", "success_count", "id")


def _choice(request: web.Request, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.query.get(name, "").strip().lower()
    if not value:
        return default
    if value not in allowed:
        raise ApiError(400, "invalid_query", f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def query_bool(request: web.Request, name: str) -> bool | None:
    value = request.query.get(name, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ApiError(400, "invalid_query", f"{name} must be true or false; got {value!r}")


def query_int(request: web.Request, name: str, *, minimum: int = 0) -> int | None:
    value = request.query.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ApiError(400, "invalid_query", f"{name} must be an integer ≥ {minimum}; got {value!r}")
    return number


async def list_accounts(request: web.Request) -> web.Response:
    """GET /admin/api/accounts?provider=&enabled=&status=&sort=&order=&limit=&offset="""
    admin = request.app[ACCOUNTS]
    accounts = await admin.store.list_accounts(
        provider=_choice(request, "provider", PROVIDERS),  # type: ignore[arg-type]
        enabled=query_bool(request, "enabled"),
        status=_choice(request, "status", ACCOUNT_STATUSES),  # type: ignore[arg-type]
        sort=_choice(request, "sort", _SORTS, "created_at"),  # type: ignore[arg-type]
        order=_choice(request, "order", ("asc", "desc"), "asc"),  # type: ignore[arg-type]
        limit=query_int(request, "limit"),
        offset=query_int(request, "offset") or 0,
    )
    secrets = await admin.secrets_of(accounts)
    return json_reply({"accounts": [account_view(a, secrets.get(a.id)) for a in accounts],
                       "count": len(accounts)})


async def create_account(request: web.Request) -> web.Response:
    """POST /admin/api/accounts (AccountIn) → 201 the account."""
    body = await read_body(request, AccountIn, "admin")
    if body.provider == "gemini_api" and not body.api_key:
        raise ApiError(400, "invalid_body", "a gemini_api account needs api_key")
    fields = given(body)
    provider = fields.pop("provider")
    admin = request.app[ACCOUNTS]
    account = await admin.create(provider, fields)
    return json_reply(account_view(account, (await admin.secrets_of([account])).get(account.id)), 201)


async def _one(request: web.Request, account_id: str) -> web.Response:
    admin = request.app[ACCOUNTS]
    account = await admin.get(account_id)
    return json_reply(account_view(account, (await admin.secrets_of([account])).get(account.id)))


async def get_account(request: web.Request) -> web.Response:
    return await _one(request, request.match_info["id"])


async def patch_account(request: web.Request) -> web.Response:
    """PATCH /admin/api/accounts/{id} (AccountPatch): only given fields change; null clears."""
    body = await read_body(request, AccountPatch, "admin")
    account_id = request.match_info["id"]
    await request.app[ACCOUNTS].update(account_id, given(body))
    return await _one(request, account_id)


async def delete_account(request: web.Request) -> web.Response:
    account_id = request.match_info["id"]
    if not await request.app[ACCOUNTS].delete(account_id):
        raise ApiError(404, "not_found", "no account with this id")
    return json_reply({"deleted": account_id})


async def enable_account(request: web.Request) -> web.Response:
    account_id = request.match_info["id"]
    await request.app[ACCOUNTS].enable(account_id)
    return await _one(request, account_id)


async def disable_account(request: web.Request) -> web.Response:
    account_id = request.match_info["id"]
    await request.app[ACCOUNTS].disable(account_id)
    return await _one(request, account_id)


async def account_state(request: web.Request) -> web.Response:
    """GET /admin/api/accounts/{id}/state: what Redis serves from (never the token itself)."""
    account_id = request.match_info["id"]
    await request.app[ACCOUNTS].get(account_id)
    raw = await request.app[POOL].account_state(account_id)
    state: dict[str, object] = {"account_id": account_id, "in_redis": bool(raw)}
    for name, value in raw.items():
        if name == "token":
            state["token_present"] = bool(value)
        elif name in _NUMERIC_STATE:
            state[name] = _number(value)
        else:
            state[name] = value
    return json_reply(state)


_NUMERIC_STATE = frozenset({"inflight", "err_streak", "throttle_streak", "ok_total", "err_total", "version",
                            "max_conc", "weight", "token_exp", "cool_until", "last_used", "status_at"})


def _number(value: str) -> object:
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/api/accounts", list_accounts)
    app.router.add_post("/admin/api/accounts", create_account)
    app.router.add_get("/admin/api/accounts/{id}", get_account)
    app.router.add_patch("/admin/api/accounts/{id}", patch_account)
    app.router.add_delete("/admin/api/accounts/{id}", delete_account)
    app.router.add_post("/admin/api/accounts/{id}/enable", enable_account)
    app.router.add_post("/admin/api/accounts/{id}/disable", disable_account)
    app.router.add_get("/admin/api/accounts/{id}/state", account_state)
