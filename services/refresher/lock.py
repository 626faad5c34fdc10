"""Distributed locks in Redis: `SET key <random token> NX PX ttl`, released or extended only by the
holder (redis-py's `Lock`, which compares the token in a Lua script before it deletes or extends).

A holder that dies simply stops renewing: the key expires after its TTL and the next refresher takes
over. Nothing is lost by that, because the work a lock guards is only marked done (the due entry
rescheduled, the login marked finished) after it succeeded.
"""

from __future__ import annotations

import asyncio
import contextlib

import redis.asyncio as aioredis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError


def redis_lock(redis: aioredis.Redis, key: str, ttl: float) -> Lock:
    return Lock(redis, key, timeout=ttl, blocking=False, thread_local=False, raise_on_release_error=True)


async def try_acquire(lock: Lock, wait: float = 0.0) -> bool:
    """True when this caller now holds `lock`; waits up to `wait` seconds for the holder to let go."""
    if wait <= 0:
        return await lock.acquire(blocking=False)
    return await lock.acquire(blocking=True, blocking_timeout=wait)


async def release_quietly(lock: Lock) -> None:
    """Release if still ours; a lock that already expired (or was taken over) is left alone.

    Shielded: it runs from `finally:` blocks of tasks being stopped, and a cancellation landing in the
    middle must not leave the lock held until its TTL.
    """
    with contextlib.suppress(LockError):
        await asyncio.shield(lock.release())


async def still_held(lock: Lock, ttl: float) -> bool:
    """Renew `lock` to `ttl` seconds from now; False when it was lost (expired, someone else holds it)."""
    try:
        await lock.extend(ttl, replace_ttl=True)
    except LockError:
        return False
    return True
