"""The account pool in Redis: named operations over the Lua scripts in `scripts/`.

`lease` (edge) admits a request for a client key and leases one account in one round trip;
`release` (translator) ends a lease exactly once with its outcome and usage; `extend` keeps a long
stream's lease alive; `sync_account` (accounts) writes the store's view of an account; `expired_leases`
lets the reaper find leases whose holder died.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis

from shared.ids import random_hex
from shared.redis import keys
from shared.redis.lean import LeanRedis, LuaScript
from shared.redis.scripts import script_source

Strategy = Literal["random", "round_robin", "least_inflight", "lazy"]
STRATEGIES: tuple[str, ...] = ("random", "round_robin", "least_inflight", "lazy")

Outcome = Literal[
    "success", "cancelled", "bad_request", "throttled", "quota_exhausted", "suspended",
    "token_expired", "upstream_error", "timeout", "reaped",
]
OUTCOMES: tuple[str, ...] = (
    "success", "cancelled", "bad_request", "throttled", "quota_exhausted", "suspended",
    "token_expired", "upstream_error", "timeout", "reaped",
)


@dataclass(frozen=True)
class KeyLimits:
    """A client key's limits; 0 means unlimited."""

    key_id: str = ""
    requests_per_minute: int = 0
    tokens_per_minute: int = 0
    max_concurrent: int = 0


@dataclass(frozen=True)
class Lease:
    lease_id: str
    account_id: str
    provider: str
    access_token: str
    region: str
    profile_arn: str
    project: str
    proxy_url: str
    deadline: float


@dataclass(frozen=True)
class Refusal:
    """No lease: `reason` says why, `retry_after` (seconds) says when trying again makes sense."""

    kind: Literal["key_limited", "none"]
    reason: str
    retry_after: float


@dataclass(frozen=True)
class Released:
    status: str
    inflight: int


@dataclass(frozen=True)
class PoolPolicy:
    """How leases are handed out and how outcomes move accounts (from settings)."""

    strategy: Strategy = "random"
    lease_ttl: float = 120.0
    lazy_size: int = 20
    token_margin: float = 5.0
    session_ttl: float = 3600.0
    max_error_count: int = 100
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    events_maxlen: int = 200_000


class AccountPool:
    """`lean`, when given, runs the per-request scripts (lease, release, extend) over the pipelined
    client (`shared.redis.lean`); everything else goes through redis-py."""

    def __init__(self, redis: aioredis.Redis, policy: PoolPolicy | None = None, *,
                 lean: LeanRedis | None = None) -> None:
        self.redis = redis
        self.lean = lean
        self.policy = policy or PoolPolicy()
        self._lease = LuaScript(script_source("lease"))
        self._release = LuaScript(script_source("release"))
        self._extend = LuaScript(script_source("extend_lease"))
        self._sync = redis.register_script(script_source("sync_account"))
        self._registered = {
            script.sha: redis.register_script(script.source) for script in (self._lease, self._release, self._extend)
        }

    async def _run(self, script: LuaScript, args: list) -> Any:
        if self.lean is not None:
            return await self.lean.run_script(script, (keys.PREFIX,), args)
        return await self._registered[script.sha](keys=[keys.PREFIX], args=args)

    async def lease(
        self,
        provider: str,
        *,
        key: KeyLimits = KeyLimits(),
        estimated_tokens: int = 0,
        model: str = "",
        request_id: str = "",
        pin: str = "",
        session: str = "",
        now: float | None = None,
        rand: float | None = None,
    ) -> Lease | Refusal:
        policy = self.policy
        lease_id = random_hex()
        reply = await self._run(
            self._lease,
            [
                time.time() if now is None else now, provider, policy.strategy, lease_id, policy.lease_ttl,
                random.random() if rand is None else rand, pin, session, int(policy.session_ttl),
                policy.lazy_size, policy.token_margin, key.key_id, key.requests_per_minute,
                key.tokens_per_minute, key.max_concurrent, estimated_tokens, model, request_id,
            ],
        )
        if reply[0] == "ok":
            _, account_id, token, region, profile_arn, project, proxy_url, deadline = reply
            return Lease(lease_id, account_id, provider, token, region, profile_arn, project, proxy_url, float(deadline))
        return Refusal(reply[0], reply[1], float(reply[2]))

    async def release(
        self,
        lease_id: str,
        outcome: Outcome,
        *,
        retry_after: float = 0.0,
        reason: str = "",
        input_tokens: int = 0,
        output_tokens: int = 0,
        now: float | None = None,
        rand: float | None = None,
    ) -> Released | None:
        """End the lease; None when it had already been released (or reaped)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        policy = self.policy
        reply = await self._run(
            self._release,
            [
                time.time() if now is None else now, lease_id, outcome, retry_after, reason[:500],
                input_tokens, output_tokens, policy.max_error_count, policy.backoff_base, policy.backoff_max,
                random.random() if rand is None else rand, policy.events_maxlen,
            ],
        )
        if not reply:
            return None
        return Released(reply[0], int(reply[1]))

    async def extend(self, lease_id: str, ttl: float | None = None, *, now: float | None = None) -> bool:
        ttl = self.policy.lease_ttl if ttl is None else ttl
        return bool(await self._run(self._extend, [time.time() if now is None else now, lease_id, ttl]))

    async def expired_leases(self, *, now: float | None = None, limit: int = 500) -> list[str]:
        return await self.redis.zrangebyscore(keys.LEASES, "-inf", time.time() if now is None else now, 0, limit)

    async def sync_account(
        self, account_id: str, *, version: int, score: float, in_pool: bool, fields: Mapping[str, str | int | float]
    ) -> bool:
        args: list[str | int | float] = [account_id, version, score, "1" if in_pool else "0"]
        for name, value in fields.items():
            args.extend((name, value))
        return bool(await self._sync(keys=[keys.PREFIX], args=args))

    async def remove_account(self, account_id: str) -> None:
        provider = await self.redis.hget(keys.account(account_id), "pool_provider")
        async with self.redis.pipeline(transaction=True) as pipe:
            if provider:
                pipe.zrem(keys.pool(provider), account_id)
            pipe.delete(keys.account(account_id))
            await pipe.execute()

    async def account_state(self, account_id: str) -> dict[str, str]:
        return await self.redis.hgetall(keys.account(account_id))


def policy_from_settings(settings) -> PoolPolicy:
    """The pool policy the operator configured (shared.settings.Settings)."""
    strategy = "lazy" if settings.lazy_account_pool_enabled else settings.pool_strategy
    return PoolPolicy(
        strategy=strategy,
        lease_ttl=settings.lease_ttl,
        lazy_size=settings.lazy_account_pool_size,
        session_ttl=settings.session_affinity_ttl,
        max_error_count=settings.max_error_count,
        backoff_base=settings.cooldown_base,
        backoff_max=settings.cooldown_max,
    )
