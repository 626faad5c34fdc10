"""The seeds' account routes under `/v2/accounts`, accepting their bodies as they are (seeds §1.2, §1.5).

Answers use the seeds' field names (views.seed_view) with secrets masked; errors are FastAPI-shaped
(`{"detail": ...}`), e.g. 404 `"Account not found"`.

`POST /v2/accounts/feed` inserts every row disabled with `other.source = "feed"` (seed q2api), answers
at once, and verifies the rows in the background by asking the refresher for a token: an account
whose refresh succeeds is enabled; one refused with AccessDenied/403 gets `other.failedReason =
"AccessDenied"`; others stay disabled (the refresher records why on the account).
(Seed q2api also sent a test chat request; a successful refresh is our proof of life — the first real
request fails over if the account cannot chat.)
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from services.accounts.account_admin import AccountAdmin
from services.accounts.admin_accounts import query_bool
from services.accounts.api_errors import ApiError, json_reply
from services.accounts.bodies import read_body
from services.accounts.context import ACCOUNTS, JOBS, REFRESHER
from services.accounts.login_flows import refresh_now
from services.accounts.refresher_client import RefresherClient
from services.accounts.seed_format import (
    SeedAccountIn,
    SeedAccountPatch,
    SeedFeedIn,
    seed_create_fields,
    seed_patch_fields,
)
from services.accounts.views import seed_view
from shared.store import Account, StoreError

log = logging.getLogger("q2api.accounts.seed")

FEED_LABEL = "批量账号 {n}"  # seed q2api's default label for fed rows (1-based)


async def _answer(request: web.Request, account: Account) -> web.Response:
    secrets = await request.app[ACCOUNTS].secrets_of([account])
    return json_reply(seed_view(account, secrets.get(account.id)))


async def _existing(request: web.Request) -> Account:
    account = await request.app[ACCOUNTS].store.get_account(request.match_info["id"])
    if account is None:
        raise ApiError(404, "not_found", "Account not found")
    return account


async def list_accounts(request: web.Request) -> web.Response:
    """GET /v2/accounts?enabled=&sort_by=created_at|success_count&sort_order=desc|asc"""
    sort = request.query.get("sort_by", "created_at")
    order = "desc" if request.query.get("sort_order", "desc") == "desc" else "asc"
    admin = request.app[ACCOUNTS]
    accounts = await admin.store.list_accounts(
        enabled=query_bool(request, "enabled"),
        sort="success_count" if sort == "success_count" else "created_at",
        order=order,
    )
    secrets = await admin.secrets_of(accounts)
    return json_reply({"accounts": [seed_view(a, secrets.get(a.id)) for a in accounts], "count": len(accounts)})


async def create_account(request: web.Request) -> web.Response:
    """POST /v2/accounts {label?, clientId, clientSecret, refreshToken?, accessToken?, other?, enabled?, type?}"""
    body = await read_body(request, SeedAccountIn, "seed")
    provider, fields = seed_create_fields(body)
    account = await request.app[ACCOUNTS].create(provider, fields)
    return await _answer(request, account)


async def get_account(request: web.Request) -> web.Response:
    return await _answer(request, await _existing(request))


async def patch_account(request: web.Request) -> web.Response:
    body = await read_body(request, SeedAccountPatch, "seed")
    account = await _existing(request)
    changes = seed_patch_fields(body)
    if changes:
        account = await request.app[ACCOUNTS].update(account.id, changes)
    return await _answer(request, account)


async def delete_account(request: web.Request) -> web.Response:
    account = await _existing(request)
    await request.app[ACCOUNTS].delete(account.id)
    return json_reply({"deleted": account.id})


async def refresh_account(request: web.Request) -> web.Response:
    """POST /v2/accounts/{id}/refresh → the refreshed row, or 502 "Token refresh failed: …"."""
    account = await _existing(request)
    _status, answer, account = await refresh_now(request, account.id)
    if not answer.get("ok"):
        raise ApiError(502, "refresh_failed", f"Token refresh failed: {answer.get('error') or 'unknown error'}")
    return await _answer(request, account)


async def feed_accounts(request: web.Request) -> web.Response:
    """POST /v2/accounts/feed {accounts: [...]} → {"status": "processing", "message", "account_ids"}"""
    body = await read_body(request, SeedFeedIn, "seed")
    admin = request.app[ACCOUNTS]
    prepared = []
    for n, row in enumerate(body.accounts, start=1):
        provider, fields = seed_create_fields(row)
        fields.update(enabled=False, label=fields.get("label") or FEED_LABEL.format(n=n))
        fields["other"] = {**fields.get("other", {}), "source": "feed"}
        prepared.append((provider, fields))
    ids = [(await admin.create(provider, fields)).id for provider, fields in prepared]
    task = asyncio.create_task(verify_fed_accounts(admin, request.app[REFRESHER], ids))
    jobs = request.app[JOBS]
    jobs.add(task)
    task.add_done_callback(jobs.discard)
    return json_reply({"status": "processing",
                       "message": f"{len(ids)} accounts received and are being verified in the background.",
                       "account_ids": ids})


async def verify_fed_accounts(admin: AccountAdmin, refresher: RefresherClient, ids: list[str]) -> None:
    """One at a time (as the seed did): refresh, enable on success, note AccessDenied on refusal."""
    for account_id in ids:
        try:
            _status, answer = await refresher.refresh(account_id)
            if answer.get("ok"):
                await admin.enable(account_id)
                continue
            error = str(answer.get("error") or "refresh failed")
            account = await admin.get(account_id)
            if "AccessDenied" in error or "403" in error:
                await admin.update(account_id, {"other": {**account.other, "failedReason": "AccessDenied"}})
            log.info("fed account %s stays disabled: %s", account_id, error[:200], extra={"account": account_id})
        except ApiError as exc:  # refresher unreachable: leave the rest disabled, say so once
            log.warning("feed verification stopped: %s", exc.message)
            return
        except StoreError as exc:
            log.warning("feed verification of %s failed: %s", account_id, exc, extra={"account": account_id})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v2/accounts/feed", feed_accounts)
    app.router.add_get("/v2/accounts", list_accounts)
    app.router.add_post("/v2/accounts", create_account)
    app.router.add_get("/v2/accounts/{id}", get_account)
    app.router.add_patch("/v2/accounts/{id}", patch_account)
    app.router.add_delete("/v2/accounts/{id}", delete_account)
    app.router.add_post("/v2/accounts/{id}/refresh", refresh_account)
