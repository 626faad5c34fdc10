"""Keeping Redis in step with the store: one account at a time after each change, or everything.

Accounts reach Redis only through `account_sync.sync_account` (versioned: an older view never
overwrites a newer one). A full rebuild runs on start and whenever Redis's generation key is missing
or names another store (Redis was flushed, restarted without persistence, or pointed elsewhere).

When Redis cannot be reached during a change, the store still holds the change; the mirror then
asks for a full rebuild, which the generation watcher runs as soon as Redis answers again.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from shared.redis import account_sync, keys
from shared.redis.apikeys import key_fields, write_key_cache
from shared.redis.pool import AccountPool
from shared.settings import Settings
from shared.store import Account, Store
from shared.store.records import PROVIDERS

log = logging.getLogger("q2api.accounts.mirror")

# Counters Redis keeps per account, seeded from the store when Redis has none (after a flush), so
# the consecutive-error count that disables an account survives a Redis restart.
_COUNTER_SEEDS = (("ok_total", "success_count"), ("err_streak", "error_count"), ("err_total", "total_error_count"))


class PoolMirror:
    def __init__(self, store: Store, pool: AccountPool, settings: Settings) -> None:
        self.store = store
        self.pool = pool
        self.redis: aioredis.Redis = pool.redis
        self.settings = settings
        self.needs_rebuild = False
        self._keys_lock = asyncio.Lock()

    # -- one account ------------------------------------------------------------------------------

    async def push(self, account_id: str, *, reset_streaks: bool = False) -> None:
        """Write the store's current view of one account into Redis (or drop it when deleted).

        ``reset_streaks`` clears the serving error/throttle streaks, as the store cleared its
        consecutive-error count (an operator re-enabled the account). Never raises for Redis
        trouble: it logs and schedules a full rebuild instead.
        """
        try:
            account = await self.store.get_account(account_id)
            if account is None:
                await self.pool.remove_account(account_id)
                return
            await self._sync(account)
            if reset_streaks:
                await self.redis.hset(keys.account(account_id), mapping={"err_streak": 0, "throttle_streak": 0})
        except (RedisError, OSError) as exc:
            self.needs_rebuild = True
            log.warning("Redis did not take account %s (%s); a full rebuild is scheduled",
                        account_id, type(exc).__name__, extra={"account": account_id})

    async def remove(self, account_id: str) -> None:
        try:
            await self.pool.remove_account(account_id)
        except (RedisError, OSError) as exc:
            self.needs_rebuild = True
            log.warning("Redis did not drop account %s (%s); a full rebuild is scheduled",
                        account_id, type(exc).__name__, extra={"account": account_id})

    async def _sync(self, account: Account, access_token: str | None = None, *, token_known: bool = False) -> None:
        if not token_known:
            # read after the account: a token newer than the account's version is fine (a later
            # sync of that version writes it again), an older one is not possible this way
            secrets = await self.store.get_account_secrets(account.id)
            access_token = secrets.access_token if secrets else None
        await account_sync.sync_account(
            self.pool, account, access_token,
            order_by=self.settings.lazy_account_pool_order_by,
            descending=self.settings.lazy_account_pool_order_desc,
            default_max_concurrency=self.settings.account_max_concurrency,
        )

    # -- API keys -------------------------------------------------------------------------------

    async def push_keys(self) -> None:
        """Rewrite edge's key cache from the store (serialised: each write is a full snapshot)."""
        try:
            async with self._keys_lock:
                hashes = await self.store.api_key_hashes()
                records = await self.store.list_api_keys()
                await write_key_cache(self.redis, {hashes[k.id]: key_fields(k) for k in records if k.id in hashes})
        except (RedisError, OSError) as exc:
            self.needs_rebuild = True
            log.warning("Redis did not take the API keys (%s); a full rebuild is scheduled", type(exc).__name__)

    # -- everything -----------------------------------------------------------------------------

    async def rebuild(self, generation: str) -> int:
        """Write every account and key from the store, drop what the store no longer has, then
        record the generation. Returns the number of accounts written. Raises on Redis trouble."""
        self.needs_rebuild = False
        accounts = await self.store.list_accounts()
        tokens = {s.account_id: s.access_token for s in await self.store.list_account_secrets()}
        for account in accounts:
            await self._sync(account, tokens.get(account.id), token_known=True)
            async with self.redis.pipeline(transaction=False) as pipe:
                for field, attribute in _COUNTER_SEEDS:
                    pipe.hsetnx(keys.account(account.id), field, getattr(account, attribute))
                await pipe.execute()
        await self._drop_unknown({a.id for a in accounts})
        async with self._keys_lock:
            hashes = await self.store.api_key_hashes()
            records = await self.store.list_api_keys()
            await write_key_cache(self.redis, {hashes[k.id]: key_fields(k) for k in records if k.id in hashes})
        await self.redis.set(keys.GENERATION, generation)
        return len(accounts)

    async def _drop_unknown(self, known: set[str]) -> None:
        prefix = keys.account("")
        stale: set[str] = set()
        async for key in self.redis.scan_iter(match=keys.account("*"), count=500):
            account_id = key[len(prefix):]
            if account_id not in known:
                stale.add(account_id)
        for provider in PROVIDERS:
            stale.update(m for m in await self.redis.zrange(keys.pool(provider), 0, -1) if m not in known)
        for account_id in stale:
            # created while we were listing? then it is not stale
            if await self.store.get_account(account_id) is not None:
                continue
            await self.pool.remove_account(account_id)
            for provider in PROVIDERS:
                await self.redis.zrem(keys.pool(provider), account_id)
