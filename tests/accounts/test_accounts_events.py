"""The event consumer: the store's counters equal what happened, exactly once, across kills and crashes."""

from __future__ import annotations

import asyncio
import os
import random
import socket
from collections import Counter

from accounts_support import add_accounts, all_consumed, assert_store_matches, eventually, run_requests

from services.accounts.context import CONSUMER, STORE
from services.accounts.usage_events import GROUP, usage_event
from shared.redis import keys
from shared.redis.pool import AccountPool, Lease, policy_from_settings
from shared.service import REDIS, SETTINGS


async def test_hundreds_of_concurrent_requests_are_counted_exactly(admin):
    ids = await add_accounts(admin, 12)
    pool = AccountPool(admin.app[REDIS], policy_from_settings(admin.app[SETTINGS]))
    released = await run_requests(pool, 500, random.Random(7))
    assert len(released) >= 200, "hundreds of leases were released"
    await eventually(lambda: all_consumed(admin), what="every event consumed")
    await assert_store_matches(admin, ids, released)
    assert Counter(o for _, o, _, _ in released)["success"] > 50


async def test_killing_the_consumer_mid_run_loses_and_doubles_nothing(admin):
    ids = await add_accounts(admin, 3)
    pool = AccountPool(admin.app[REDIS], policy_from_settings(admin.app[SETTINGS]))
    consumer = admin.app[CONSUMER]
    requests = asyncio.create_task(run_requests(pool, 300, random.Random(11)))
    kills = 0
    while not requests.done():
        await asyncio.sleep(random.uniform(0.001, 0.02))
        consumer.task.cancel()
        await asyncio.gather(consumer.task, return_exceptions=True)
        kills += 1
        consumer.start()
    released = await requests
    assert kills >= 3
    await eventually(lambda: all_consumed(admin), what="every event consumed after the kills")
    await assert_store_matches(admin, ids, released)


async def test_a_batch_written_but_not_acknowledged_is_redelivered_and_not_counted_twice(admin):
    ids = await add_accounts(admin, 1)
    consumer = await stop_consumer(admin)
    redis, store = admin.app[REDIS], admin.app[STORE]
    released = await run_requests(AccountPool(redis), 20, random.Random(3))
    # a consumer crashes right after its store write, before XACK:
    entries = (await redis.xreadgroup(GROUP, consumer.name, {keys.EVENTS: ">"}, count=100))[0][1]
    await store.record_usage_events([usage_event(i, f) for i, f in entries],
                                    disable_after_errors=admin.app[SETTINGS].max_error_count)
    assert (await redis.xpending(keys.EVENTS, GROUP))["pending"] == len(entries) == len(released)
    consumer.start()  # the restarted consumer reads its own pending entries first
    await eventually(lambda: all_consumed(admin), what="the redelivery")
    assert consumer.duplicates >= len(entries)
    await assert_store_matches(admin, ids, released)


def dead_pid() -> int:
    for pid in range(4_000_000, 3_000_000, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise AssertionError("no free pid found")


async def stop_consumer(admin):
    consumer = admin.app[CONSUMER]
    consumer.task.cancel()
    await asyncio.gather(consumer.task, return_exceptions=True)
    await consumer.ensure_group()
    return consumer


async def test_entries_of_a_dead_process_on_this_host_are_taken_over_in_order(admin):
    ids = await add_accounts(admin, 2)
    redis = admin.app[REDIS]
    consumer = await stop_consumer(admin)
    released = await run_requests(AccountPool(redis), 30, random.Random(5))
    predecessor = f"{socket.gethostname()}:{dead_pid()}"
    taken = await redis.xreadgroup(GROUP, predecessor, {keys.EVENTS: ">"}, count=10)
    assert len(taken[0][1]) == 10  # …and that process dies without acknowledging
    consumer.start()
    await eventually(lambda: all_consumed(admin), what="the dead process's entries to be taken over")
    await assert_store_matches(admin, ids, released)


async def test_entries_of_a_silent_consumer_elsewhere_are_claimed_after_its_idle_time(admin):
    ids = await add_accounts(admin, 2)
    redis = admin.app[REDIS]
    consumer = await stop_consumer(admin)
    released = await run_requests(AccountPool(redis), 30, random.Random(5))
    taken = await redis.xreadgroup(GROUP, "another-host:4242", {keys.EVENTS: ">"}, count=10)
    assert len(taken[0][1]) == 10
    consumer.start()
    await eventually(lambda: all_consumed(admin), what="the silent consumer's entries to be claimed")
    # claimed after newer entries: totals are exact, the consecutive count may not follow stream order
    await assert_store_matches(admin, ids, released, consecutive=False)


async def test_auto_disable_and_suspension_made_in_redis_reach_the_store(start_accounts):
    admin = await start_accounts(MAX_ERROR_COUNT="3")
    await admin.wait_rebuilt()
    failing, suspended = await add_accounts(admin, 2)
    redis, store = admin.app[REDIS], admin.app[STORE]
    pool = AccountPool(redis, policy_from_settings(admin.app[SETTINGS]))
    for _ in range(3):
        lease = await pool.lease("amazonq", pin=failing)
        await pool.release(lease.lease_id, "upstream_error", reason="HTTP 500")
    lease = await pool.lease("amazonq", pin=suspended)
    await pool.release(lease.lease_id, "suspended", reason="TEMPORARILY_SUSPENDED")

    async def mirrored() -> bool:
        a, b = await store.get_account(failing), await store.get_account(suspended)
        return a.status == "disabled" and b.status == "suspended"

    await eventually(mirrored, what="statuses mirrored into the store")
    disabled = await store.get_account(failing)
    assert disabled.enabled is False and disabled.error_count == 3 and "consecutive" in disabled.status_reason
    assert (await store.get_account(suspended)).status_reason == "TEMPORARILY_SUSPENDED"
    assert await redis.zscore(keys.pool("amazonq"), failing) is None

    # the operator re-enables both; a late redelivery of the old events must not undo that
    await admin.call("POST", f"/admin/api/accounts/{failing}/enable")
    await admin.call("POST", f"/admin/api/accounts/{suspended}/enable")
    old = await redis.xrange(keys.EVENTS)
    await admin.app[CONSUMER].apply(old)
    for account_id in (failing, suspended):
        account = await store.get_account(account_id)
        assert (account.enabled, account.status, account.error_count) == (True, "active", 0)
    assert isinstance(await pool.lease("amazonq", pin=failing), Lease)
