"""The refresh schedule: the REFRESH_DUE sorted set (account id → when to refresh), rebuilt from the store.

Who writes it: the refresher (after every refresh, on rebuild, on backoff) and the release script
(`ZADD refresh:due 0 <id>` when a translator saw the token rejected). An entry is removed or moved
only after the refresh it stands for succeeded, so a refresher that dies mid-refresh loses nothing.

Which accounts are kept warm: enabled, serving (active or cooling) `amazonq` and `gemini` accounts
with a refresh token; with LAZY_ACCOUNT_POOL_ENABLED only the first SIZE + REFRESH_OFFSET of each
provider in the pool's order (seed semantics: the lazy pool plus a warm reserve).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import redis.asyncio as aioredis

from services.refresher.policy import RefresherPolicy
from services.refresher.tokens import jwt_expiry, jwt_issued_at, refresh_due
from shared.redis import keys
from shared.redis.account_sync import pool_score
from shared.settings import Settings
from shared.store import Account, AccountSecrets, Store

REFRESHABLE_PROVIDERS = ("amazonq", "gemini")
SERVING_STATUSES = ("active", "cooling")


def missing_credentials(account: Account, secrets: AccountSecrets) -> str | None:
    """Why the account can never be refreshed (None when it can)."""
    if account.provider not in REFRESHABLE_PROVIDERS:
        return f"{account.provider} accounts use an API key; they have no token to refresh"
    missing = ["refresh token"] if not secrets.refresh_token else []
    if account.provider == "amazonq":
        missing += [name for name, value in (("clientId", secrets.client_id), ("clientSecret", secrets.client_secret))
                    if not value]
    if missing:
        return "cannot refresh: the account has no " + " / ".join(missing)
    return None


def serving(account: Account) -> bool:
    return account.enabled and account.status in SERVING_STATUSES


def kept_warm(accounts: Iterable[Account], settings: Settings) -> list[Account]:
    candidates = [a for a in accounts if a.provider in REFRESHABLE_PROVIDERS and serving(a) and a.has_refresh_token]
    if not settings.lazy_account_pool_enabled:
        return candidates
    window = settings.lazy_account_pool_size + settings.lazy_account_pool_refresh_offset
    warm: list[Account] = []
    for provider in REFRESHABLE_PROVIDERS:
        mine = [a for a in candidates if a.provider == provider]
        mine.sort(key=lambda a: (pool_score(a, order_by=settings.lazy_account_pool_order_by,
                                            descending=settings.lazy_account_pool_order_desc), a.id))
        warm.extend(mine[:window])
    return warm


def token_expiry(account: Account, access_token: str | None) -> float | None:
    return account.access_token_expires_at or (jwt_expiry(access_token) if access_token else None)


def desired_due(account: Account, access_token: str | None, *, now: float, lead: float,
                policy: RefresherPolicy) -> float | None:
    """When the account's token should be refreshed; None: only on demand (expiry unknown)."""
    if not account.has_access_token:
        return now  # added with only a refresh token: refresh at once
    expires_at = token_expiry(account, access_token)
    if expires_at is None:
        return None
    issued = account.last_refresh_at or (jwt_issued_at(access_token) if access_token else None)
    return refresh_due(account.id, expires_at, lead=lead, jitter_fraction=policy.jitter_fraction,
                       issued_at=issued, max_lead_share=policy.max_lead_share)


class RefreshSchedule:
    def __init__(self, redis: aioredis.Redis, settings: Settings, policy: RefresherPolicy) -> None:
        self.redis = redis
        self.settings = settings
        self.policy = policy

    async def due(self, now: float, limit: int = 100) -> list[str]:
        return await self.redis.zrangebyscore(keys.REFRESH_DUE, "-inf", now, start=0, num=limit)

    async def next_after(self, now: float) -> float | None:
        """The soonest due time still in the future."""
        entries = await self.redis.zrangebyscore(keys.REFRESH_DUE, f"({now}", "+inf", start=0, num=1,
                                                 withscores=True)
        return float(entries[0][1]) if entries else None

    async def score(self, account_id: str) -> float | None:
        value = await self.redis.zscore(keys.REFRESH_DUE, account_id)
        return None if value is None else float(value)

    async def after_refresh(self, account: Account, access_token: str, now: float) -> float | None:
        """Schedule the next refresh of a freshly refreshed token (or none: expiry unknown)."""
        when = desired_due(account, access_token, now=now, lead=self.settings.refresh_lead_time, policy=self.policy)
        async with self.redis.pipeline(transaction=True) as pipe:
            if when is None:
                pipe.zrem(keys.REFRESH_DUE, account.id)
            else:
                pipe.zadd(keys.REFRESH_DUE, {account.id: when})
            pipe.hdel(keys.REFRESH_BACKOFF, account.id)
            await pipe.execute()
        return when

    async def set(self, account_id: str, when: float) -> None:
        await self.redis.zadd(keys.REFRESH_DUE, {account_id: when})

    async def remove(self, account_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.REFRESH_DUE, account_id)
            pipe.hdel(keys.REFRESH_BACKOFF, account_id)
            await pipe.execute()

    async def back_off(self, account_id: str, now: float, retry_after: float | None = None,
                       *, at_most: bool = False) -> float:
        """Reschedule after a transient failure: base × 2^(n−1) with jitter, capped (or Retry-After)."""
        failures = int(await self.redis.hincrby(keys.REFRESH_BACKOFF, account_id, 1))
        policy = self.policy
        if at_most:
            delay = policy.backoff_max
        elif retry_after is not None:
            delay = min(max(retry_after, policy.backoff_base), policy.backoff_max)
        else:
            delay = min(policy.backoff_max, policy.backoff_base * 2 ** min(failures - 1, 30))
            delay *= 0.5 + random.random() / 2
        # XX: an account removed meanwhile (deleted, invalidated) is not put back.
        await self.redis.zadd(keys.REFRESH_DUE, {account_id: now + delay}, xx=True)
        return delay

    async def rebuild(self, store: Store, now: float, *, write: bool = True) -> dict[str, float]:
        """Bring the due set in line with the store (when `write`); returns the warm accounts' known expiries.

        Adds missing entries and moves entries earlier when the store's token expires sooner than
        scheduled (ZADD LT: an earlier entry — an on-demand request, a pending retry — is kept).
        Accounts backing off keep their retry time. Accounts no longer kept warm leave the set.
        """
        accounts = await store.list_accounts()
        warm = kept_warm(accounts, self.settings)
        warm_ids = {a.id for a in warm}
        unknown = [a.id for a in warm if a.access_token_expires_at is None and a.has_access_token]
        tokens = {s.account_id: s.access_token for s in await store.list_account_secrets(unknown)} if unknown else {}
        expiries = {a.id: e for a in warm if (e := token_expiry(a, tokens.get(a.id))) is not None}
        if not write:
            return expiries
        scheduled = set(await self.redis.zrange(keys.REFRESH_DUE, 0, -1))
        backing_off = set(await self.redis.hkeys(keys.REFRESH_BACKOFF))
        lead = self.settings.refresh_lead_time
        async with self.redis.pipeline(transaction=False) as pipe:
            stale = [member for member in scheduled if member not in warm_ids]
            if stale:
                pipe.zrem(keys.REFRESH_DUE, *stale)
                pipe.hdel(keys.REFRESH_BACKOFF, *stale)
            for account in warm:
                token = tokens.get(account.id)
                when = desired_due(account, token, now=now, lead=lead, policy=self.policy)
                if when is None:
                    continue  # on demand only; an entry the release script added stays
                if account.id in backing_off:
                    if account.id not in scheduled:
                        pipe.zadd(keys.REFRESH_DUE, {account.id: when})
                    continue
                pipe.zadd(keys.REFRESH_DUE, {account.id: when}, lt=True)
            await pipe.execute()
        return expiries
