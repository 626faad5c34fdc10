"""The token keeper against the simulator: ahead of expiry, at once, on demand, rotation order, failures."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from conftest import FAST
from refresher_support import seed_amazonq_account, wait_until

from services.refresher.metrics import invalidated
from shared.redis import keys
from shared.redis import keys as shared_keys
from shared.redis.pool import Lease


def _token_changed(store, account_id: str, old: str | None):
    async def check():
        secrets = await store.get_account_secrets(account_id)
        return secrets if secrets.access_token and secrets.access_token != old else None

    return check


async def test_tokens_are_refreshed_ahead_of_expiry_with_jitter(simulator, store, pool, redis, start_refresher):
    users = [await simulator.aws_user(access_token_lifetime=4) for _ in range(3)]
    seeded = [await seed_amazonq_account(store, pool, user) for user in users]
    await start_refresher()

    async def all_scheduled():
        scores = [await redis.zscore(keys.REFRESH_DUE, a.id) for a in seeded]
        return scores if all(s is not None for s in scores) else None

    scores = await wait_until(all_scheduled, message="the schedule")
    for account, score in zip(seeded, scores, strict=True):
        expires = account.access_token_expires_at
        assert expires - 1.5 <= score <= expires - 1.0, "lead 1 s plus up to 50 % jitter"
    assert len(set(scores)) == 3, "tokens expiring together are refreshed at different times"

    for account, user in zip(seeded, users, strict=True):
        fresh = await wait_until(_token_changed(store, account.id, user["accessToken"]), within=6)
        refreshed_at = (await store.get_account(account.id)).last_refresh_at
        assert refreshed_at < account.access_token_expires_at - 0.9, "refreshed before the old token expired"
        assert await simulator.access_token_ok(user["userId"], fresh.access_token)
        state = await pool.account_state(account.id)
        assert state["token"] == fresh.access_token


async def test_account_with_only_a_refresh_token_is_refreshed_at_once(simulator, store, pool, start_refresher):
    user = await simulator.aws_user()
    account = await seed_amazonq_account(store, pool, user, with_access_token=False)
    assert (await pool.lease("amazonq")).reason == "no_token"
    await start_refresher()

    fresh = await wait_until(_token_changed(store, account.id, None), within=2)
    assert await simulator.access_token_ok(user["userId"], fresh.access_token)
    lease = await pool.lease("amazonq")
    assert isinstance(lease, Lease) and lease.access_token == fresh.access_token


async def test_token_of_unknown_expiry_is_refreshed_only_when_the_upstream_rejects_it(
        simulator, store, pool, redis, start_refresher):
    user = await simulator.aws_user()
    account = await seed_amazonq_account(store, pool, user, access_token="aoa-opaque-token-of-unknown-expiry")
    # A poll interval longer than the test: only the release script's PUBLISH can wake the refresher.
    await start_refresher(replace(FAST, poll_interval=30.0))
    await asyncio.sleep(1.0)
    assert (await store.get_account_secrets(account.id)).access_token == "aoa-opaque-token-of-unknown-expiry"
    assert await redis.zscore(keys.REFRESH_DUE, account.id) is None
    assert (await simulator.user_counters(user["userId"])).get("refresh_grants", 0) == 0

    lease = await pool.lease("amazonq")
    assert lease.access_token == "aoa-opaque-token-of-unknown-expiry", "an unknown expiry is used as is"
    await pool.release(lease.lease_id, "token_expired", reason="The bearer token included in the request is invalid.")

    fresh = await wait_until(_token_changed(store, account.id, "aoa-opaque-token-of-unknown-expiry"), within=2)
    assert await simulator.access_token_ok(user["userId"], fresh.access_token)
    assert await redis.zscore(keys.REFRESH_DUE, account.id) is not None, "the new token's expiry is known"


async def test_due_set_is_polled_when_the_refresh_now_message_is_lost(simulator, store, pool, redis,
                                                                     start_refresher):
    user = await simulator.aws_user()
    account = await seed_amazonq_account(store, pool, user, access_token="aoa-opaque")
    await start_refresher(replace(FAST, poll_interval=0.5))
    await asyncio.sleep(0.3)
    await redis.zadd(shared_keys.REFRESH_DUE, {account.id: 0})  # no PUBLISH
    await wait_until(_token_changed(store, account.id, "aoa-opaque"), within=2)


class PausingStore:
    """The store, except that a refresher stops right after persisting refreshed tokens — the moment
    between the store write and the Redis sync — and the test looks at the world there."""

    def __init__(self, store, redis) -> None:
        self._store = store
        self._redis = redis
        self.persisted = asyncio.Event()
        self.redis_token_at_persist: str | None = None

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def update_tokens(self, account_id, access_token, expires_at, refresh_token=None):
        account = await self._store.update_tokens(account_id, access_token, expires_at, refresh_token)
        self.redis_token_at_persist = await self._redis.hget(shared_keys.account(account_id), "token")
        self.persisted.set()
        await asyncio.Event().wait()  # the "crash": this refresher never gets further
        return account


async def test_rotated_refresh_token_is_persisted_before_redis_sees_the_new_access_token(
        simulator, store, pool, redis, start_refresher):
    await simulator.aws_settings(rotate_refresh_tokens=True)
    user = await simulator.aws_user(access_token_lifetime=60)
    account = await seed_amazonq_account(store, pool, user)
    pausing = PausingStore(store, redis)
    crashing = await start_refresher(store=pausing)
    await redis.zadd(shared_keys.REFRESH_DUE, {account.id: 0})

    await asyncio.wait_for(pausing.persisted.wait(), 3)
    stored = await store.get_account_secrets(account.id)
    assert stored.refresh_token != user["refreshToken"], "the simulator rotated it"
    assert await simulator.refresh_token_ok(user["userId"], stored.refresh_token), "the store has the live one"
    assert pausing.redis_token_at_persist == user["accessToken"], "Redis still served the old token"

    await crashing.close()  # dies between the store write and the Redis sync
    assert await redis.hget(shared_keys.account(account.id), "token") == user["accessToken"]
    assert await redis.zscore(keys.REFRESH_DUE, account.id) == 0, "still due: nothing was marked done"

    await redis.delete(keys.refresh_lock(account.id))  # skip waiting out the dead holder's lock
    await start_refresher()
    fresh = await wait_until(_token_changed(store, account.id, stored.access_token), within=3)
    assert await simulator.access_token_ok(user["userId"], fresh.access_token)
    assert await redis.hget(shared_keys.account(account.id), "token") == fresh.access_token
    assert await simulator.refresh_token_ok(user["userId"], fresh.refresh_token)
    assert (await store.get_account(account.id)).status == "active"


async def test_rejected_refresh_token_makes_the_account_invalid_once_and_for_all(
        simulator, store, pool, redis, start_refresher):
    user = await simulator.aws_user(access_token_lifetime=60)
    account = await seed_amazonq_account(store, pool, user)
    await simulator.revoke_refresh_token(user["userId"])
    invalid_before = invalidated.get()
    await start_refresher()
    await redis.zadd(shared_keys.REFRESH_DUE, {account.id: 0})

    async def is_invalid():
        current = await store.get_account(account.id)
        return current if current.status == "invalid" else None

    current = await wait_until(is_invalid, within=3)
    assert "invalid_grant" in current.status_reason
    assert (await pool.account_state(account.id))["status"] == "invalid"
    assert await redis.zscore(shared_keys.pool("amazonq"), account.id) is None, "out of the pool"
    assert await redis.zscore(keys.REFRESH_DUE, account.id) is None, "out of the schedule"
    assert (await pool.lease("amazonq")).reason == "no_accounts"
    assert invalidated.get() == invalid_before + 1
    await asyncio.sleep(1.0)
    assert (await simulator.counters()).get("oidc_errors.invalid_grant") == 1, "never retried"


async def test_transient_server_errors_are_retried_with_backoff_until_they_pass(
        simulator, store, pool, redis, start_refresher):
    user = await simulator.aws_user()
    await simulator.aws_faults(user["userId"], "oidc_server_error")
    account = await seed_amazonq_account(store, pool, user, with_access_token=False)
    await start_refresher()

    async def failed_three_times():
        return (await simulator.counters()).get("oidc_errors.server_error", 0) >= 3

    await wait_until(failed_three_times, within=4)
    assert int(await redis.hget(keys.REFRESH_BACKOFF, account.id)) >= 2
    assert await redis.zscore(keys.REFRESH_DUE, account.id) is not None, "rescheduled, not dropped"
    assert (await store.get_account(account.id)).status == "active", "a 5xx is not the account's fault"

    await simulator.aws_faults(user["userId"])
    fresh = await wait_until(_token_changed(store, account.id, None), within=3)
    assert await simulator.access_token_ok(user["userId"], fresh.access_token)
    assert await redis.hget(keys.REFRESH_BACKOFF, account.id) is None


async def test_gemini_account_is_refreshed_by_google_and_keeps_its_refresh_token(
        simulator, store, pool, http, start_refresher):
    google_user = await simulator.google.create_user(onboarded=True)
    account = await store.create_account("gemini", refresh_token=google_user.refresh_token,
                                         project=google_user.project_id)
    await start_refresher()

    fresh = await wait_until(_token_changed(store, account.id, None), within=2)
    assert fresh.refresh_token == google_user.refresh_token, "Google does not rotate"
    refreshed = await store.get_account(account.id)
    assert refreshed.access_token_expires_at > time.time() + 3000, "expires_in 3599"
    async with http.get(simulator.url + "/oauth2/tokeninfo", params={"access_token": fresh.access_token}) as answer:
        assert answer.status == 200 and (await answer.json())["sub"] == google_user.user_id
    lease = await pool.lease("gemini")
    assert isinstance(lease, Lease) and lease.project == google_user.project_id
