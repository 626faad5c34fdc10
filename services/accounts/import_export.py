"""Bulk import and export of accounts.

Import (`POST /admin/api/accounts/import`) takes a JSON list — or `{"accounts": [...]}`, e.g. our
own export — whose rows may be in our format (snake_case, `provider`) or in a seed's (camelCase
`clientId`…, seed A's `type`); each row is judged on its own and the answer reports every row.

Export (`POST /admin/api/accounts/export`) writes rows in our import format. Secrets are left out
unless the body says `{"include_secrets": true, "password": <admin password>}`; the password is
checked again (a stolen session alone does not yield the credentials) and failures count towards
the login slow-down.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec
from aiohttp import web

from services.accounts.api_errors import ApiError, json_reply
from services.accounts.bodies import AccountRow, ExportRequest, read_body
from services.accounts.context import ACCOUNTS, LOGIN_GUARD, STORE
from services.accounts.login_guard import client_address
from services.accounts.seed_format import SeedAccountIn, seed_create_fields
from shared.admin_password import check_admin_password
from shared.service import SETTINGS
from shared.store import Account, AccountSecrets, StoreError

log = logging.getLogger("q2api.accounts.admin")

EXPORT_FORMAT = "q2api-accounts/1"
_SEED_MARKERS = ("clientId", "clientSecret", "refreshToken", "accessToken", "type")
_row_decoder = msgspec.json.Decoder(Any)


def _rows_of(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and isinstance(payload.get("accounts"), list):
        return payload["accounts"]
    if isinstance(payload, list):
        return payload
    raise ApiError(400, "invalid_body", "expected a JSON list of accounts, or {\"accounts\": [...]}")


def _is_seed_row(row: dict[str, Any]) -> bool:
    return "provider" not in row and any(marker in row for marker in _SEED_MARKERS)


def _fields_of(row: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(row, dict):
        raise ValueError("a row must be a JSON object")
    if _is_seed_row(row):
        try:
            seed = msgspec.convert(row, SeedAccountIn)
        except msgspec.ValidationError as exc:
            raise ValueError(str(exc)) from None
        try:
            return seed_create_fields(seed)
        except ApiError as exc:
            raise ValueError(exc.message) from None
    try:
        ours = msgspec.convert(row, AccountRow)
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None
    fields = msgspec.structs.asdict(ours)
    provider = fields.pop("provider")
    fields["account_id"] = fields.pop("id")
    if provider == "gemini_api" and not fields.get("api_key"):
        raise ValueError("a gemini_api account needs api_key")
    return provider, fields


async def import_accounts(request: web.Request) -> web.Response:
    """POST /admin/api/accounts/import → {"imported", "skipped", "failed", "results": [...]}"""
    raw = await request.read()
    try:
        payload = _row_decoder.decode(raw)
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_body", "the body is not valid JSON") from None
    rows = _rows_of(payload)
    admin = request.app[ACCOUNTS]
    results: list[dict[str, Any]] = []
    counts = {"imported": 0, "skipped": 0, "failed": 0}
    for index, row in enumerate(rows):
        try:
            provider, fields = _fields_of(row)
            account_id = fields.get("account_id")
            if account_id and await admin.store.get_account(account_id) is not None:
                results.append({"index": index, "result": "skipped", "id": account_id,
                                "reason": "an account with this id exists"})
                counts["skipped"] += 1
                continue
            account = await admin.create(provider, fields)
        except (ValueError, StoreError) as exc:
            results.append({"index": index, "result": "failed", "error": str(exc)})
            counts["failed"] += 1
            continue
        results.append({"index": index, "result": "imported", "id": account.id})
        counts["imported"] += 1
    log.info("imported %d accounts (%d skipped, %d failed)", counts["imported"], counts["skipped"],
             counts["failed"], extra=counts)
    return json_reply({**counts, "results": results})


def export_row(account: Account, secrets: AccountSecrets | None, *, include_secrets: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": account.id,
        "provider": account.provider,
        "label": account.label,
        "client_id": secrets.client_id if secrets else None,
        "region": account.region,
        "profile_arn": account.profile_arn,
        "project": account.project,
        "proxy_url": account.proxy_url,
        "enabled": account.enabled,
        "max_concurrency": account.max_concurrency,
        "weight": account.weight,
        "other": account.other,
        "created_at": account.created_at,
    }
    if include_secrets and secrets is not None:
        row.update(client_secret=secrets.client_secret, refresh_token=secrets.refresh_token,
                   access_token=secrets.access_token,
                   access_token_expires_at=secrets.access_token_expires_at, api_key=secrets.api_key)
    return row


async def export_accounts(request: web.Request) -> web.Response:
    """POST /admin/api/accounts/export {include_secrets?, password?, ids?}"""
    body = await read_body(request, ExportRequest, "admin", empty=ExportRequest())
    if body.include_secrets:
        guard = request.app[LOGIN_GUARD]
        address = client_address(request)
        verdict = await guard.check(address)
        if not verdict.allowed:
            raise ApiError(429, "too_many_attempts", f"too many failed password checks; wait "
                           f"{verdict.retry_after:.0f} s", headers={"retry-after": f"{verdict.retry_after:.0f}"})
        if not await check_admin_password(request.app[STORE], request.app[SETTINGS], body.password or ""):
            await guard.failed(address)
            raise ApiError(403, "password_required",
                           "exporting secrets needs the admin password in the body's `password`")
        log.warning("accounts exported WITH secrets from %s", address, extra={"client": address})
    admin = request.app[ACCOUNTS]
    accounts = await admin.store.list_accounts()
    if body.ids is not None:
        wanted = set(body.ids)
        accounts = [a for a in accounts if a.id in wanted]
    secrets = await admin.secrets_of(accounts)
    rows = [export_row(a, secrets.get(a.id), include_secrets=body.include_secrets) for a in accounts]
    return json_reply({"format": EXPORT_FORMAT, "exported_at": time.time(),
                       "include_secrets": body.include_secrets, "count": len(rows), "accounts": rows})


def add_routes(app: web.Application) -> None:
    # registered before /admin/api/accounts/{id} so the fixed paths win
    app.router.add_post("/admin/api/accounts/import", import_accounts)
    app.router.add_post("/admin/api/accounts/export", export_accounts)
