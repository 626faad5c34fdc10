"""Several refresher replicas: one refresh at a time per account, no rotated token lost, a dead replica's
work taken over after its lock expires, and a pool that stays serviceable across many token lifetimes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from aiohttp import web
from conftest import FAST
from refresher_support import seed_amazonq_account, wait_until

from services.refresher.routes import KEEPER
from services.refresher.tokens import jwt_expiry
from shared.redis import keys
from shared.redis import keys as shared_keys
from shared.redis.pool import Lease


async def test_two_refreshers_with_rotation_persist_every_rotation_exactly_once(
        simulator, store, pool, start_refresher):
    await simulator.aws_settings(rotate_refresh_tokens=True)
    users = [await simulator.aws_user(access_token_lifetime=2) for _ in range(3)]
    seeded = [await seed_amazonq_account(store, pool, user) for user in users]
    replicas = [await start_refresher(), await start_refresher()]
    await asyncio.sleep(6.5)  # three or more token lifetimes
    for replica in replicas:
        await replica.close()

    done = [replica.app[KEEPER].succeeded for replica in replicas]
    assert all(count >= 1 for count in done), f"both replicas refreshed: {done}"
    grants = 0
    for account, user in zip(seeded, users, strict=True):
        secrets = await store.get_account_secrets(account.id)
        assert await simulator.refresh_token_ok(user["userId"], secrets.refresh_token), "no rotation lost"
        assert (await store.get_account(account.id)).status == "active"
        grants += (await simulator.user_counters(user["userId"]))["refresh_grants"]
    assert grants == sum(done), "every refresh the simulator granted was completed by exactly one replica"
    assert grants >= 3 * 3


async def _black_hole(aiohttp_server) -> tuple[object, asyncio.Event]:
    """A token endpoint that accepts the request and never answers (the refresher hangs mid-refresh)."""
    reached = asyncio.Event()

    async def token(request: web.Request) -> web.Response:
        reached.set()
        await asyncio.sleep(3600)
        return web.Response()

    app = web.Application()
    app.router.add_post("/oidc/token", token)
    return await aiohttp_server(app), reached


async def test_refresher_killed_mid_refresh_loses_nothing_and_another_takes_over_after_its_lock_expires(
        simulator, store, pool, redis, start_refresher, settings_for, aiohttp_server):
    user = await simulator.aws_user(access_token_lifetime=60)
    account = await seed_amazonq_account(store, pool, user)
    hole, reached = await _black_hole(aiohttp_server)
    policy = replace(FAST, lock_ttl=2.0, token_http_timeout=30.0)
    doomed = await start_refresher(policy, settings=settings_for(AMAZONQ_OIDC_ENDPOINT=str(hole.make_url("/oidc"))))
    await redis.zadd(shared_keys.REFRESH_DUE, {account.id: 0})
    await asyncio.wait_for(reached.wait(), 3)
    assert await redis.exists(keys.refresh_lock(account.id))

    await doomed.close()  # cancelled while it holds the lock, its request unanswered
    lock_expires = time.time() + await redis.pttl(keys.refresh_lock(account.id)) / 1000
    assert lock_expires > time.time() + 0.5, "a cancelled refresh leaves its lock to expire"
    assert await redis.zscore(keys.REFRESH_DUE, account.id) == 0, "still due"
    assert (await store.get_account_secrets(account.id)).access_token == user["accessToken"]

    await start_refresher(policy)

    async def refreshed():
        current = await store.get_account(account.id)
        return current if current.last_refresh_at else None

    current = await wait_until(refreshed, within=5)
    assert current.last_refresh_at >= lock_expires - 0.05, "waited for the dead holder's lock"
    secrets = await store.get_account_secrets(account.id)
    assert await simulator.access_token_ok(user["userId"], secrets.access_token)
    assert current.status == "active"


async def test_pool_stays_serviceable_across_many_token_lifetimes(simulator, store, pool, start_refresher,
                                                                  settings_for):
    users = [await simulator.aws_user(access_token_lifetime=4) for _ in range(5)]
    owners = {}
    for user in users:
        account = await seed_amazonq_account(store, pool, user)
        owners[account.id] = user["userId"]
    # The simulator's JWT `exp` is truncated to whole seconds: a lead of 1.5 s keeps it in the future too.
    refresher = await start_refresher(settings=settings_for(REFRESH_LEAD_TIME="1.5"))

    leases = 0
    until = time.monotonic() + 10
    while time.monotonic() < until:
        lease = await pool.lease("amazonq")
        assert isinstance(lease, Lease), f"the pool ran dry: {lease}"
        assert jwt_expiry(lease.access_token) > time.time(), "a leased token is never expired"
        assert await simulator.access_token_ok(owners[lease.account_id], lease.access_token)
        await pool.release(lease.lease_id, "success")
        leases += 1
        await asyncio.sleep(0.02)
    assert leases > 100
    assert refresher.app[KEEPER].succeeded >= 5 * 3, "every account went through several lifetimes"
