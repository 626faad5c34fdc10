"""The token keeper: refreshes every kept-warm account ahead of expiry, and on demand.

One refresh of one account, wherever it was asked for (due set, `refresh:now`, admin API):

1. take the account's lock (`SET NX PX`; another replica holding it means it is being done);
2. read the account and its secrets from the store *under the lock* (a rotation by the previous holder
   is visible);
3. call the token endpoint;
4. success: `store.update_tokens` (new access token, expiry and rotated refresh token in one write),
   then `sync_account` with the row it returned, then reschedule. A crash between 4a and 4b leaves
   Redis with the old token and the due entry in the past: the next refresher refreshes again with
   the refresh token the store now holds — nothing lost;
5. a transient failure reschedules with backoff; a rejected credential marks the account `invalid`
   (store, then Redis) and removes it from the schedule — nothing retries it.

A cancelled refresh does not release its lock: its request may still reach the upstream, so the next
refresher waits out the lock's TTL (longer than the HTTP timeout) before it tries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Literal

from redis.exceptions import RedisError

from services.refresher import metrics
from services.refresher.background import stop_tasks
from services.refresher.context import RefresherContext
from services.refresher.errors import TokenError
from services.refresher.lock import redis_lock, release_quietly, try_acquire
from services.refresher.schedule import RefreshSchedule, missing_credentials, serving
from services.refresher.tokens import TokenGrant
from shared.redis import keys
from shared.store import Account, AccountSecrets, NotFoundError

log = logging.getLogger("q2api.refresher")

Outcome = Literal["ok", "retry", "invalid", "error", "skipped", "busy", "gone", "not_refreshable"]
_STORE_WRITE_ATTEMPTS = 3  # a rotated refresh token exists nowhere else: try hard to persist it


@dataclass(frozen=True)
class RefreshResult:
    outcome: Outcome
    account: Account | None = None
    message: str = ""


class TokenKeeper:
    def __init__(self, ctx: RefresherContext) -> None:
        self.ctx = ctx
        self.schedule = RefreshSchedule(ctx.redis, ctx.settings, ctx.policy)
        self.wake = asyncio.Event()
        self.inflight: dict[str, asyncio.Task] = {}
        self.expiries: dict[str, float] = {}  # account id -> token expiry, for the soonest-expiry gauge
        self.succeeded = 0  # refreshes this instance completed (tests tell replicas apart by it)
        self._slots = asyncio.Semaphore(ctx.policy.max_concurrent_refreshes)

    # ------------------------------------------------------------------ one refresh

    async def refresh_due(self, account_id: str) -> RefreshResult:
        """The scheduled path: refresh when the entry is (still) due and nobody else is at it."""
        lock = redis_lock(self.ctx.redis, keys.refresh_lock(account_id), self.ctx.policy.lock_ttl)
        if not await try_acquire(lock):
            return RefreshResult("busy")
        try:
            due = await self.schedule.score(account_id)
            if due is None or due > time.time():
                return RefreshResult("skipped")  # another replica refreshed it while we looked
            return await self._refresh_locked(account_id, on_demand=False)
        except asyncio.CancelledError:
            lock = None  # see the module docstring: the TTL covers a request that may still land
            raise
        finally:
            if lock is not None:
                await release_quietly(lock)

    async def refresh_now(self, account_id: str) -> RefreshResult:
        """The admin path: refresh now, waiting for another refresher's lock if needed."""
        started = time.time()
        lock = redis_lock(self.ctx.redis, keys.refresh_lock(account_id), self.ctx.policy.lock_ttl)
        waited = False
        if not await try_acquire(lock):
            waited = True
            if not await try_acquire(lock, wait=self.ctx.policy.lock_wait):
                return RefreshResult("busy", message="another refresher is still refreshing this account; "
                                                     "try again shortly")
        try:
            if waited:
                account = await self.ctx.store.get_account(account_id)
                if account is not None and (account.last_refresh_at or 0) >= started:
                    return RefreshResult("ok", account)  # the holder we waited for just refreshed it
            return await self._refresh_locked(account_id, on_demand=True)
        except asyncio.CancelledError:
            lock = None
            raise
        finally:
            if lock is not None:
                await release_quietly(lock)

    async def _refresh_locked(self, account_id: str, *, on_demand: bool) -> RefreshResult:
        store = self.ctx.store
        account = await store.get_account(account_id)
        secrets = await store.get_account_secrets(account_id) if account is not None else None
        if account is None or secrets is None:
            await self.schedule.remove(account_id)
            self.expiries.pop(account_id, None)
            return RefreshResult("gone", message="no such account")
        problem = missing_credentials(account, secrets)
        if account.provider == "gemini_api" or (problem and on_demand):
            if not on_demand:
                await self.schedule.remove(account_id)
            return RefreshResult("not_refreshable", account, problem or "")
        if not on_demand and not serving(account):
            await self.schedule.remove(account_id)  # disabled, suspended or invalid meanwhile
            self.expiries.pop(account_id, None)
            return RefreshResult("skipped", account)
        if problem:
            # Only reachable when the token was rejected (on-demand entry) and cannot be renewed.
            return await self._invalidate(account, secrets, problem)

        now = time.time()
        try:
            grant = await self._grant(account, secrets, now)
        except TokenError as error:
            return await self._failed(account, secrets, error, on_demand=on_demand)
        return await self._store_and_publish(account, grant, now)

    async def _grant(self, account: Account, secrets: AccountSecrets, now: float) -> TokenGrant:
        ctx = self.ctx
        if account.provider == "amazonq":
            region = account.other.get("oidc_region") if isinstance(account.other.get("oidc_region"), str) else None
            return await ctx.oidc(region or account.region, account.proxy_url).refresh(
                secrets.client_id or "", secrets.client_secret or "", secrets.refresh_token or "", now=now)
        own_client = bool(secrets.client_id)
        client_id = secrets.client_id or ctx.settings.google_oauth_client_id
        client_secret = secrets.client_secret if own_client else ctx.settings.google_oauth_client_secret
        if not client_id:
            raise TokenError("config", "GOOGLE_OAUTH_CLIENT_ID is not set and the account stores no OAuth client; "
                                       "q2api ships no third-party client secret")
        try:
            return await ctx.google(account.proxy_url).refresh(client_id, client_secret or "",
                                                               secrets.refresh_token or "", now=now)
        except TokenError as error:
            if error.code == "invalid_client" and not own_client:
                # The operator's GOOGLE_OAUTH_CLIENT_* pair is wrong: a setting to fix, not every
                # gemini account to throw away.
                raise TokenError("config", f"{error.message} (check GOOGLE_OAUTH_CLIENT_ID / _SECRET)",
                                 code=error.code, status=error.status) from None
            raise

    async def _store_and_publish(self, account: Account, grant: TokenGrant, now: float) -> RefreshResult:
        store = self.ctx.store
        for attempt in range(1, _STORE_WRITE_ATTEMPTS + 1):
            try:
                fresh = await store.update_tokens(account.id, grant.access_token, grant.expires_at,
                                                  refresh_token=grant.refresh_token)
                break
            except NotFoundError:
                await self.schedule.remove(account.id)  # deleted while we refreshed it
                self.expiries.pop(account.id, None)
                return RefreshResult("gone", message="the account was deleted during the refresh")
            except Exception:
                if attempt == _STORE_WRITE_ATTEMPTS:
                    raise
                log.warning("store write of refreshed tokens failed; retrying", exc_info=True,
                            extra={"account": account.id})
                await asyncio.sleep(0.5 * attempt)
        if fresh.status == "invalid":
            # Only an on-demand refresh gets here: the credential works again.
            fresh = await store.set_account_status(account.id, "active", None)
        await self.ctx.publish(fresh, grant.access_token)
        await self.schedule.after_refresh(fresh, grant.access_token, now)
        if grant.expires_at is not None:
            self.expiries[account.id] = grant.expires_at
        else:
            self.expiries.pop(account.id, None)
        self.succeeded += 1
        metrics.refreshes.inc(account.provider, "ok")
        log.info("refreshed %s account %s", account.provider, account.id,
                 extra={"account": account.id, "expires_at": grant.expires_at,
                        "rotated": grant.refresh_token is not None})
        return RefreshResult("ok", fresh)

    async def _failed(self, account: Account, secrets: AccountSecrets, error: TokenError, *,
                      on_demand: bool) -> RefreshResult:
        if error.permanent:
            latest = await self.ctx.store.get_account_secrets(account.id)
            if latest is not None and latest.refresh_token != secrets.refresh_token:
                # Rotated by someone else after we read it (a holder whose lock expired): not dead.
                if not on_demand:
                    await self.schedule.set(account.id, time.time())
                metrics.refreshes.inc(account.provider, "retry")
                return RefreshResult("retry", account, "the refresh token changed during the refresh; retrying")
            return await self._invalidate(account, secrets, f"token refresh rejected: {error.message}")
        result: Outcome = "error" if error.kind == "config" else "retry"
        metrics.refreshes.inc(account.provider, result)
        if not on_demand:
            delay = await self.schedule.back_off(account.id, time.time(), error.retry_after,
                                                 at_most=error.kind == "config")
            log.warning("refresh of %s failed (%s); next try in %.1f s", account.id, error.message, delay,
                        extra={"account": account.id})
        return RefreshResult(result, account, error.message)

    async def _invalidate(self, account: Account, secrets: AccountSecrets, reason: str) -> RefreshResult:
        updated = await self.ctx.store.set_account_status(account.id, "invalid", reason[:500])
        await self.ctx.publish(updated, secrets.access_token)
        await self.schedule.remove(account.id)
        self.expiries.pop(account.id, None)
        metrics.refreshes.inc(account.provider, "invalid")
        metrics.invalidated.inc()
        log.warning("account %s is invalid: %s", account.id, reason, extra={"account": account.id})
        return RefreshResult("invalid", updated, reason)

    # ------------------------------------------------------------------ loops

    def soonest_expiry(self) -> float:
        if not self.expiries:
            return math.inf
        return min(self.expiries.values()) - time.time()

    async def run_due_loop(self) -> None:
        """Refresh what is due; sleep until the next due time, a `refresh:now` message or POLL_INTERVAL."""
        policy = self.ctx.policy
        while True:
            self.wake.clear()
            wait = policy.poll_interval
            try:
                now = time.time()
                for account_id in await self.schedule.due(now):
                    if account_id not in self.inflight:
                        self._spawn(account_id)
                upcoming = await self.schedule.next_after(now)
                if upcoming is not None:
                    wait = min(wait, max(0.01, upcoming - time.time()))
            except (RedisError, OSError):
                log.warning("reading the refresh schedule failed", exc_info=True)
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that
            # arrives as the event is set, and the loop would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.wake.wait()

    def _spawn(self, account_id: str) -> None:
        task = asyncio.create_task(self._guarded(account_id), name=f"refresh:{account_id}")
        self.inflight[account_id] = task
        task.add_done_callback(lambda _t, a=account_id: self.inflight.pop(a, None))

    async def _guarded(self, account_id: str) -> None:
        async with self._slots:
            try:
                result = await self.refresh_due(account_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refresh of %s failed unexpectedly", account_id, extra={"account": account_id})
                with contextlib.suppress(Exception):
                    await self.schedule.back_off(account_id, time.time())
                return
        if result.outcome != "busy":
            self.wake.set()  # the entry moved (rescheduled, backed off, removed): look again

    async def run_subscriber(self) -> None:
        """`refresh:now` (the release script's PUBLISH) wakes the due loop at once."""
        while True:
            pubsub = self.ctx.redis.pubsub()
            try:
                await pubsub.subscribe(keys.REFRESH_NOW)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is not None:
                        self.wake.set()
            except (RedisError, OSError):
                log.warning("refresh:now subscription lost; resubscribing", exc_info=True)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def rebuild_once(self) -> bool:
        """Re-read the store; rewrite the schedule unless another replica did within this interval."""
        ctx = self.ctx
        took = await ctx.redis.set(keys.REFRESH_REBUILD, "1", nx=True,
                                   px=max(1, int(ctx.policy.rebuild_interval * 800)))
        self.expiries = await self.schedule.rebuild(ctx.store, time.time(), write=bool(took))
        if took:
            self.wake.set()
        return bool(took)

    async def run_rebuild_loop(self) -> None:
        while True:
            try:
                await self.rebuild_once()
            except Exception:  # store or Redis briefly away: the next round tries again
                log.warning("rebuilding the refresh schedule failed", exc_info=True)
            await asyncio.sleep(self.ctx.policy.rebuild_interval)

    async def drain(self, grace: float) -> None:
        """Let in-flight refreshes finish (up to `grace` s), then cancel the rest."""
        tasks = list(self.inflight.values())
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        await stop_tasks(tasks)
