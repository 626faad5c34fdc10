"""Redis is rebuilt from the store when it loses its state, and expired leases are reaped."""

from __future__ import annotations

import time

from accounts_support import eventually

from services.accounts.context import MIRROR, STORE
from shared.redis import apikeys, keys
from shared.redis.pool import AccountPool, Lease, PoolPolicy
from shared.service import REDIS
from shared.store.usage import usage_day

ACCOUNT = {"provider": "amazonq", "client_id": "c", "client_secret": "client-secret-0123456789",
           "refresh_token": "refresh-token-0123456789", "access_token": "access-token-0123456789"}


async def test_redis_is_rebuilt_after_flushall_and_serving_resumes(admin):
    redis = admin.app[REDIS]
    account = await admin.call("POST", "/admin/api/accounts", json=ACCOUNT, expect=201)
    key = await admin.call("POST", "/admin/api/keys", json={"name": "k"}, expect=201)
    pool = AccountPool(redis)
    lease = await pool.lease("amazonq")
    assert isinstance(lease, Lease)
    await pool.release(lease.lease_id, "success")
    store = admin.app[STORE]
    await eventually(lambda: _success_count(store, account["id"], 1), what="the success to reach the store")

    await redis.flushall()
    await eventually(lambda: redis.exists(keys.GENERATION), what="the rebuild after FLUSHALL")
    assert await redis.get(keys.GENERATION) == await store.generation()
    state = await pool.account_state(account["id"])
    assert state["token"] == "access-token-0123456789" and state["ok_total"] == "1", "counters seeded from the store"
    assert (await apikeys.lookup(redis, key["key"])).key_id == key["id"]
    again = await pool.lease("amazonq")
    assert isinstance(again, Lease) and again.account_id == account["id"]
    await pool.release(again.lease_id, "success")
    await eventually(lambda: _success_count(store, account["id"], 2), what="events after the flush to be consumed")


async def _success_count(store, account_id: str, expected: int) -> bool:
    return (await store.get_account(account_id)).success_count == expected


async def test_a_foreign_generation_is_rebuilt_and_unknown_accounts_are_dropped(admin):
    redis = admin.app[REDIS]
    pool = AccountPool(redis)
    await pool.sync_account("ghost", version=1, score=0, in_pool=True,
                            fields={"provider": "amazonq", "enabled": "1", "status": "active", "token": "t"})
    await redis.set(keys.GENERATION, "some-other-store")
    store_generation = await admin.app[STORE].generation()

    async def rebuilt() -> bool:
        return await redis.get(keys.GENERATION) == store_generation and not await redis.exists(keys.account("ghost"))

    await eventually(rebuilt, what="the rebuild to drop the ghost account")
    assert await redis.zscore(keys.pool("amazonq"), "ghost") is None


async def test_an_expired_lease_is_reaped_and_its_slot_freed(admin):
    redis = admin.app[REDIS]
    account = await admin.call("POST", "/admin/api/accounts", json={**ACCOUNT, "max_concurrency": 1}, expect=201)
    crashed_holder = AccountPool(redis, PoolPolicy(lease_ttl=5))
    lease = await crashed_holder.lease("amazonq", now=time.time() - 60, model="m")
    assert isinstance(lease, Lease)  # its holder "crashes": nobody releases it

    async def freed() -> bool:
        return (await crashed_holder.account_state(account["id"]))["inflight"] == "0"

    await eventually(freed, what="the reaper")
    assert not await redis.exists(keys.lease(lease.lease_id))
    events = await redis.xrange(keys.EVENTS)
    assert [(e["lease"], e["outcome"]) for _, e in events] == [(lease.lease_id, "reaped")]
    assert isinstance(await crashed_holder.lease("amazonq"), Lease)
    store = admin.app[STORE]
    today = usage_day(time.time())

    async def counted() -> bool:
        return (await store.usage_totals(since=today)).requests == 1

    await eventually(counted, what="the reaped lease in usage")
    after = await store.get_account(account["id"])
    assert (after.success_count, after.error_count, after.total_error_count) == (0, 0, 0), "the account is not blamed"
    assert (await store.usage_totals()).errors == 1, "its client saw a failure"


async def test_without_redis_the_admin_api_still_writes_the_store_and_says_what_is_down(start_accounts, unused_port):
    admin = await start_accounts(REDIS_URL=f"redis://127.0.0.1:{unused_port}/0")  # login works: fail-open slow-down
    account = await admin.call("POST", "/admin/api/accounts", json=ACCOUNT, expect=201)
    assert admin.app[MIRROR].needs_rebuild, "the change reaches Redis once it is back"
    state = await admin.call("GET", f"/admin/api/accounts/{account['id']}/state", expect=503)
    assert state["error"]["code"] == "redis_unavailable"
    stats = await admin.call("GET", "/admin/api/stats")
    assert stats["redis"] == {"reachable": False} and stats["accounts"]["total"] == 1
    ready = await admin.client.get("/readyz")
    assert ready.status == 503 and (await ready.json())["checks"]["store"] == "ok"
