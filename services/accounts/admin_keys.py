"""Client API keys under `/admin/api/keys`: the plaintext is shown once, in the create answer's `key`.

Every change rewrites edge's key cache in Redis at once (a disabled or deleted key stops working on
the next request).
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from services.accounts.api_errors import ApiError, json_reply
from services.accounts.bodies import ApiKeyIn, ApiKeyPatch, given, read_body
from services.accounts.context import MIRROR, STORE


async def list_keys(request: web.Request) -> web.Response:
    keys = await request.app[STORE].list_api_keys()
    return json_reply({"keys": keys, "count": len(keys)})


async def create_key(request: web.Request) -> web.Response:
    """POST /admin/api/keys (ApiKeyIn) → 201 the key record plus `key`, the plaintext, this once."""
    body = await read_body(request, ApiKeyIn, "admin")
    fields = given(body)
    plaintext = fields.pop("key")
    record, plaintext = await request.app[STORE].create_api_key(fields.pop("name"), plaintext=plaintext, **fields)
    await request.app[MIRROR].push_keys()
    answer = {"key": plaintext, **msgspec.structs.asdict(record),
              "notice": "store this key now: it is shown only once"}
    return json_reply(answer, 201)


async def get_key(request: web.Request) -> web.Response:
    record = await request.app[STORE].get_api_key(request.match_info["id"])
    if record is None:
        raise ApiError(404, "not_found", "no API key with this id")
    return json_reply(record)


async def patch_key(request: web.Request) -> web.Response:
    body = await read_body(request, ApiKeyPatch, "admin")
    record = await request.app[STORE].update_api_key(request.match_info["id"], **given(body))
    await request.app[MIRROR].push_keys()
    return json_reply(record)


async def delete_key(request: web.Request) -> web.Response:
    key_id = request.match_info["id"]
    if not await request.app[STORE].delete_api_key(key_id):
        raise ApiError(404, "not_found", "no API key with this id")
    await request.app[MIRROR].push_keys()
    return json_reply({"deleted": key_id})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/api/keys", list_keys)
    app.router.add_post("/admin/api/keys", create_key)
    app.router.add_get("/admin/api/keys/{id}", get_key)
    app.router.add_patch("/admin/api/keys/{id}", patch_key)
    app.router.add_delete("/admin/api/keys/{id}", delete_key)
