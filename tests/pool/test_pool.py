"""The Redis account pool: leases never exceed caps, outcomes move accounts, every lease ends once."""

from __future__ import annotations

import asyncio
import random

import pytest

from shared.redis import keys
from shared.redis.client import connect_redis
from shared.redis.lean import LeanRedis
from shared.redis.pool import AccountPool as _AccountPool
from shared.redis.pool import KeyLimits, Lease, PoolPolicy, Refusal

NOW = 1_800_000_000.0
_LEAN: dict[int, LeanRedis] = {}  # id(redis-py client) -> the lean client its test runs the scripts on


def AccountPool(redis, policy=None):  # stands in for the class in every test below
    """The pool under test: scripts over redis-py, or over the lean client (edge's and translator's way)."""
    return _AccountPool(redis, policy, lean=_LEAN.get(id(redis)))


@pytest.fixture(params=["redis-py", "lean"])
async def redis(redis_url, request):
    client = connect_redis(redis_url)
    if request.param == "lean":
        _LEAN[id(client)] = LeanRedis.from_url(redis_url)
    yield client
    lean = _LEAN.pop(id(client), None)
    if lean is not None:
        await lean.aclose()
    await client.aclose()


async def add_account(pool: AccountPool, account_id: str, *, provider="amazonq", cap=4, score=0.0,
                      enabled=True, status="active", token="tok", token_exp=0, version=1):
    await pool.sync_account(
        account_id, version=version, score=score, in_pool=enabled and status in ("active", "cooling"),
        fields={"provider": provider, "enabled": "1" if enabled else "0", "status": status, "token": token,
                "token_exp": token_exp, "max_conc": cap, "region": "us-east-1", "profile_arn": "", "project": "",
                "proxy_url": ""},
    )


async def test_lease_returns_what_the_translator_needs(redis):
    pool = AccountPool(redis)
    await add_account(pool, "a1", token="secret-token")
    lease = await pool.lease("amazonq", model="claude-sonnet-4.5", request_id="req_1", now=NOW)
    assert isinstance(lease, Lease)
    assert (lease.account_id, lease.access_token, lease.region) == ("a1", "secret-token", "us-east-1")
    assert (await pool.account_state("a1"))["inflight"] == "1"
    released = await pool.release(lease.lease_id, "success", input_tokens=10, output_tokens=5, now=NOW + 1)
    assert released.inflight == 0 and released.status == "active"
    assert await pool.release(lease.lease_id, "success", now=NOW + 2) is None, "a lease ends exactly once"
    events = await redis.xrange(keys.EVENTS)
    assert len(events) == 1 and events[0][1]["outcome"] == "success" and events[0][1]["in"] == "10"


async def test_no_accounts_busy_cooling_and_no_token_are_told_apart(redis):
    pool = AccountPool(redis)
    refusal = await pool.lease("amazonq", now=NOW)
    assert refusal == Refusal("none", "no_accounts", 0.0)

    await add_account(pool, "busy", cap=1)
    held = await pool.lease("amazonq", now=NOW)
    assert isinstance(held, Lease)
    assert (await pool.lease("amazonq", now=NOW)).reason == "busy"

    await pool.release(held.lease_id, "throttled", retry_after=30, reason="Rate limit exceeded", now=NOW)
    cooling = await pool.lease("amazonq", now=NOW + 10)
    assert cooling.reason == "cooling" and cooling.retry_after == 20
    assert isinstance(await pool.lease("amazonq", now=NOW + 31), Lease), "cooldown ends at Retry-After"

    await redis.flushall()
    await add_account(pool, "expired", token_exp=NOW - 1)
    assert (await pool.lease("amazonq", now=NOW)).reason == "no_token"


async def test_throttled_without_retry_after_backs_off_exponentially(redis):
    pool = AccountPool(redis, PoolPolicy(backoff_base=2, backoff_max=60))
    await add_account(pool, "a1")
    waits = []
    now = NOW
    for _ in range(4):
        lease = await pool.lease("amazonq", now=now)
        assert isinstance(lease, Lease)
        await pool.release(lease.lease_id, "throttled", now=now, rand=0.5)
        until = float((await pool.account_state("a1"))["cool_until"])
        waits.append(round(until - now, 3))
        now = until + 0.001
    assert waits == [2, 4, 8, 16]


async def test_suspended_leaves_the_pool_with_its_reason(redis):
    pool = AccountPool(redis)
    await add_account(pool, "a1")
    lease = await pool.lease("amazonq", now=NOW)
    await pool.release(lease.lease_id, "suspended", reason="TEMPORARILY_SUSPENDED", now=NOW)
    state = await pool.account_state("a1")
    assert state["status"] == "suspended" and state["status_reason"] == "TEMPORARILY_SUSPENDED"
    assert await redis.zcard(keys.pool("amazonq")) == 0


async def test_consecutive_errors_disable_at_max_error_count_and_success_resets(redis):
    pool = AccountPool(redis, PoolPolicy(max_error_count=3))
    await add_account(pool, "a1")
    for outcome in ("upstream_error", "upstream_error", "success", "upstream_error", "timeout"):
        lease = await pool.lease("amazonq", now=NOW)
        await pool.release(lease.lease_id, outcome, now=NOW)
    assert (await pool.account_state("a1"))["status"] == "active"
    lease = await pool.lease("amazonq", now=NOW)
    released = await pool.release(lease.lease_id, "upstream_error", reason="500", now=NOW)
    assert released.status == "disabled"
    state = await pool.account_state("a1")
    assert state["enabled"] == "0" and "3 consecutive upstream errors" in state["status_reason"]


async def test_cancelled_and_bad_request_are_not_account_errors(redis):
    pool = AccountPool(redis, PoolPolicy(max_error_count=1))
    await add_account(pool, "a1")
    for outcome in ("cancelled", "bad_request", "cancelled"):
        lease = await pool.lease("amazonq", now=NOW)
        assert (await pool.release(lease.lease_id, outcome, now=NOW)).status == "active"


async def test_token_expired_marks_the_token_and_asks_for_a_refresh(redis):
    pool = AccountPool(redis)
    await add_account(pool, "a1")
    await add_account(pool, "a2")
    lease = await pool.lease("amazonq", pin="a1", now=NOW)
    await pool.release(lease.lease_id, "token_expired", now=NOW)
    assert await redis.zscore(keys.REFRESH_DUE, "a1") == 0
    for _ in range(10):
        again = await pool.lease("amazonq", now=NOW)
        assert again.account_id == "a2", "an account with a rejected token is not leased"
        await pool.release(again.lease_id, "success", now=NOW)


async def test_round_robin_visits_every_account(redis):
    pool = AccountPool(redis, PoolPolicy(strategy="round_robin"))
    for index in range(3):
        await add_account(pool, f"a{index}", score=index)
    seen = []
    for _ in range(6):
        lease = await pool.lease("amazonq", now=NOW)
        seen.append(lease.account_id)
        await pool.release(lease.lease_id, "success", now=NOW)
    assert sorted(seen[:3]) == ["a0", "a1", "a2"] and seen[:3] == seen[3:]


async def test_least_inflight_prefers_the_idle_account(redis):
    pool = AccountPool(redis, PoolPolicy(strategy="least_inflight"))
    await add_account(pool, "a1", cap=10)
    await add_account(pool, "a2", cap=10)
    first = await pool.lease("amazonq", now=NOW, rand=0.0)
    second = await pool.lease("amazonq", now=NOW, rand=0.0)
    assert {first.account_id, second.account_id} == {"a1", "a2"}


async def test_lazy_pool_serves_only_the_first_accounts_in_order(redis):
    pool = AccountPool(redis, PoolPolicy(strategy="lazy", lazy_size=2))
    for index in range(5):
        await add_account(pool, f"a{index}", score=index, cap=100)
    used = set()
    for _ in range(40):
        lease = await pool.lease("amazonq", now=NOW)
        used.add(lease.account_id)
    assert used == {"a0", "a1"}
    await add_account(pool, "a0", score=0, enabled=False, status="disabled", version=2)
    lease = await pool.lease("amazonq", now=NOW, rand=0.99)
    assert lease.account_id == "a2", "the next account slides into the window"


async def test_pin_and_session_affinity(redis):
    pool = AccountPool(redis)
    for index in range(4):
        await add_account(pool, f"a{index}", cap=100)
    assert (await pool.lease("amazonq", pin="a3", now=NOW)).account_id == "a3"
    assert (await pool.lease("amazonq", pin="nope", now=NOW)).reason == "pinned_missing"
    first = await pool.lease("amazonq", session="s1", now=NOW)
    for _ in range(10):
        assert (await pool.lease("amazonq", session="s1", now=NOW)).account_id == first.account_id
    await add_account(pool, first.account_id, enabled=False, status="disabled", version=2)
    moved = await pool.lease("amazonq", session="s1", now=NOW)
    assert moved.account_id != first.account_id, "affinity yields when its account is unhealthy"


async def test_key_limits_requests_tokens_and_concurrency(redis):
    pool = AccountPool(redis)
    await add_account(pool, "a1", cap=100)
    rpm = KeyLimits("k1", requests_per_minute=2)
    assert isinstance(await pool.lease("amazonq", key=rpm, now=NOW), Lease)
    assert isinstance(await pool.lease("amazonq", key=rpm, now=NOW), Lease)
    refusal = await pool.lease("amazonq", key=rpm, now=NOW)
    assert refusal.kind == "key_limited" and refusal.reason == "rpm" and 0 < refusal.retry_after <= 60

    conc = KeyLimits("k2", max_concurrent=1)
    held = await pool.lease("amazonq", key=conc, now=NOW)
    assert (await pool.lease("amazonq", key=conc, now=NOW)).reason == "concurrency"
    await pool.release(held.lease_id, "success", now=NOW)
    assert isinstance(await pool.lease("amazonq", key=conc, now=NOW), Lease)

    tpm = KeyLimits("k3", tokens_per_minute=100)
    lease = await pool.lease("amazonq", key=tpm, estimated_tokens=60, now=NOW)
    await pool.release(lease.lease_id, "success", input_tokens=60, output_tokens=30, now=NOW)
    assert (await pool.lease("amazonq", key=tpm, estimated_tokens=20, now=NOW)).reason == "tpm"
    assert isinstance(await pool.lease("amazonq", key=tpm, estimated_tokens=20, now=NOW + 60), Lease)


async def test_sync_never_overwrites_a_newer_version_or_serving_counters(redis):
    pool = AccountPool(redis)
    await add_account(pool, "a1", version=5, token="new")
    lease = await pool.lease("amazonq", now=NOW)
    await add_account(pool, "a1", version=4, token="old")
    state = await pool.account_state("a1")
    assert state["token"] == "new" and state["inflight"] == "1"
    await add_account(pool, "a1", version=6, token="newer")
    assert (await pool.account_state("a1"))["inflight"] == "1"
    await pool.release(lease.lease_id, "success", now=NOW)


async def test_hundreds_of_concurrent_leases_never_exceed_caps(redis):
    pool = AccountPool(redis, PoolPolicy(strategy="least_inflight", max_error_count=10_000))
    caps = {"a0": 1, "a1": 2, "a2": 3, "a3": 5}
    for account_id, cap in caps.items():
        await add_account(pool, account_id, cap=cap)
    observed_peak = {a: 0 for a in caps}
    outcomes = ["success", "success", "upstream_error", "cancelled", "throttled", "bad_request"]
    succeeded = 0

    async def one(i: int) -> None:
        nonlocal succeeded
        for _ in range(50):
            lease = await pool.lease("amazonq", now=NOW)
            if isinstance(lease, Lease):
                break
            await asyncio.sleep(0.001)
        else:
            return
        inflight = int((await pool.account_state(lease.account_id))["inflight"])
        observed_peak[lease.account_id] = max(observed_peak[lease.account_id], inflight)
        assert inflight <= caps[lease.account_id]
        await asyncio.sleep(random.random() * 0.003)
        outcome = outcomes[i % len(outcomes)]
        # throttled accounts must come back for this test: a zero-length cooldown
        await pool.release(lease.lease_id, outcome, retry_after=0.0001 if outcome == "throttled" else 0,
                           input_tokens=3, output_tokens=2, now=NOW)
        if outcome == "success":
            succeeded += 1

    await asyncio.gather(*(one(i) for i in range(400)))
    for account_id in caps:
        assert (await pool.account_state(account_id))["inflight"] == "0"
    assert await redis.zcard(keys.LEASES) == 0
    events = await redis.xrange(keys.EVENTS, count=10_000)
    assert sum(1 for _, e in events if e["outcome"] == "success") == succeeded
    assert max(observed_peak.values()) >= 2


async def test_expired_leases_are_found_and_reaped_once(redis):
    pool = AccountPool(redis, PoolPolicy(lease_ttl=10))
    await add_account(pool, "a1")
    lease = await pool.lease("amazonq", now=NOW)
    assert await pool.expired_leases(now=NOW + 5) == []
    assert await pool.extend(lease.lease_id, now=NOW + 5)
    assert await pool.expired_leases(now=NOW + 12) == []
    assert await pool.expired_leases(now=NOW + 16) == [lease.lease_id]
    assert (await pool.release(lease.lease_id, "reaped", now=NOW + 16)).inflight == 0
    assert await pool.release(lease.lease_id, "success", now=NOW + 17) is None
