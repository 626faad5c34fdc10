"""Slowing down password guessing: failed admin-password checks counted per client address in Redis.

After `FREE_FAILURES` failures within `WINDOW` seconds, the address must wait before its next try —
30 s after the 5th failure, doubling with each further one, at most `MAX_LOCK` — and is answered 429
with `retry-after` until then, even for the right password (else the lock would tell a guess apart).
The count lives at `q2a:{q2a}:loginfail:<address>` (a hash: `count`, `until`) and expires on its own
after a quiet window; a successful login clears it. Replicas share it through Redis.

Redis trouble does not lock the operator out: the check is skipped (and logged) while Redis is down.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from shared.redis import keys

log = logging.getLogger("q2api.accounts.login")

FREE_FAILURES = 5
WINDOW = 15 * 60.0
FIRST_LOCK = 30.0
MAX_LOCK = 15 * 60.0


def failures_key(address: str) -> str:
    # Belongs in shared/redis/keys.py with the other names; kept here until that file's owner adds it.
    return f"{keys.PREFIX}loginfail:{address}"


def lock_seconds(failures: int) -> float:
    """How long an address waits after its `failures`-th failure (0 while under the free allowance)."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_LOCK, FIRST_LOCK * 2 ** (failures - FREE_FAILURES))


def client_address(request: web.Request) -> str:
    """The caller's address. Behind edge (a loopback or private peer) it is the last X-Forwarded-For
    entry, which edge sets from its own peer; a direct public peer's header is not trusted."""
    peer = request.remote or ""
    try:
        proxied = ipaddress.ip_address(peer).is_private or ipaddress.ip_address(peer).is_loopback
    except ValueError:
        proxied = False
    if proxied:
        forwarded = request.headers.getall("x-forwarded-for", [])
        if forwarded:
            last = forwarded[-1].split(",")[-1].strip()
            if last:
                return last
    return peer or "unknown"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0


class LoginGuard:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def check(self, address: str, *, now: float | None = None) -> Verdict:
        now = time.time() if now is None else now
        try:
            until = await self.redis.hget(failures_key(address), "until")
        except (RedisError, OSError) as exc:
            log.warning("login slow-down unavailable (%s); allowing the attempt", type(exc).__name__)
            return Verdict(True)
        if until and float(until) > now:
            return Verdict(False, math.ceil(float(until) - now))
        return Verdict(True)

    async def failed(self, address: str, *, now: float | None = None) -> Verdict:
        """Count a failure; says how long the address must now wait (if at all)."""
        now = time.time() if now is None else now
        key = failures_key(address)
        try:
            count = int(await self.redis.hincrby(key, "count", 1))
            lock = lock_seconds(count)
            async with self.redis.pipeline(transaction=True) as pipe:
                if lock:
                    pipe.hset(key, "until", repr(now + lock))
                pipe.expire(key, int(max(WINDOW, lock)) + 1)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("login slow-down unavailable (%s)", type(exc).__name__)
            return Verdict(False)
        log.warning("failed admin login from %s (%d in a row)", address, count,
                    extra={"client": address, "failures": count})
        return Verdict(False, math.ceil(lock))

    async def succeeded(self, address: str) -> None:
        try:
            await self.redis.delete(failures_key(address))
        except (RedisError, OSError):
            pass
