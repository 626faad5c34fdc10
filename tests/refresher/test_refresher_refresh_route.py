"""`POST /internal/v1/refresh/{id}`: the admin API's "refresh now"."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from conftest import FAST
from refresher_support import AUTH, seed_amazonq_account

from shared.redis import keys


async def _refresh(http, server, account_id: str, headers=AUTH):
    async with http.post(server.make_url(f"/internal/v1/refresh/{account_id}"), headers=headers) as response:
        return response.status, await response.json()


async def test_refresh_now_answers_the_refreshed_account_without_secrets(simulator, store, pool, http,
                                                                         start_refresher):
    user = await simulator.aws_user(access_token_lifetime=600)
    account = await seed_amazonq_account(store, pool, user)
    server = await start_refresher()
    status, body = await _refresh(http, server, account.id)
    assert status == 200 and body["ok"] is True
    secrets = await store.get_account_secrets(account.id)
    assert secrets.access_token != user["accessToken"]
    assert await simulator.access_token_ok(user["userId"], secrets.access_token)
    assert body["account"]["id"] == account.id and body["account"]["last_refresh_at"]
    text = str(body)
    assert secrets.access_token not in text and secrets.refresh_token not in text and user["clientSecret"] not in text
    assert (await pool.account_state(account.id))["token"] == secrets.access_token


async def test_refresh_now_of_a_revoked_account_reports_it_invalid(simulator, store, pool, http, start_refresher):
    user = await simulator.aws_user(access_token_lifetime=600)
    account = await seed_amazonq_account(store, pool, user)
    await simulator.revoke_refresh_token(user["userId"])
    server = await start_refresher()
    status, body = await _refresh(http, server, account.id)
    assert (status, body["ok"]) == (400, False)
    assert "invalid_grant" in body["error"] and body["account"]["status"] == "invalid"


async def test_refresh_now_waits_for_a_refresh_in_progress_elsewhere(simulator, store, pool, redis, http,
                                                                     start_refresher):
    user = await simulator.aws_user(access_token_lifetime=600)
    account = await seed_amazonq_account(store, pool, user)
    server = await start_refresher(replace(FAST, lock_wait=0.3))
    await redis.set(keys.refresh_lock(account.id), "another-replica", px=5000)
    status, body = await _refresh(http, server, account.id)
    assert (status, body["ok"]) == (503, False) and "another refresher" in body["error"]

    await redis.set(keys.refresh_lock(account.id), "another-replica", px=200)
    status, body = await _refresh(http, server, account.id)
    assert status == 200 and body["ok"] is True, "taken once the other holder's lock expired"
    await asyncio.sleep(0)


async def test_refresh_now_of_what_cannot_be_refreshed(store, http, start_refresher):
    server = await start_refresher()
    assert (await _refresh(http, server, "no-such-account"))[0] == 404
    keyed = await store.create_account("gemini_api", api_key="AIza" + "k" * 35)
    status, body = await _refresh(http, server, keyed.id)
    assert status == 400 and "API key" in body["error"]
    bare = await store.create_account("amazonq", access_token="aoa-token")
    status, body = await _refresh(http, server, bare.id)
    assert status == 400 and "no refresh token" in body["error"]
    assert (await store.get_account(bare.id)).status == "active", "asking is not proof the token is dead"
    assert (await _refresh(http, server, keyed.id, headers={}))[0] == 401
