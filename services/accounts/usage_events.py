"""The event consumer: every released lease (Redis stream) becomes usage and counters in the store.

Reads `keys.EVENTS` in the consumer group `accounts` (so several accounts replicas share the work),
writes each batch with `record_usage_events` (idempotent by stream id), mirrors account status changes
the release script made, and acknowledges only after the store write. A crash before the ack means
redelivery, which the store recognises and skips: nothing is lost, nothing is counted twice.

Our own pending entries (a restarted task) are read first, and so are those of a dead process on
this host (same host name, a pid that no longer runs: the usual restart), so the consecutive-error
count keeps following stream order. Entries of a consumer on another host are claimed after
`claim_idle` seconds of silence; those may then be counted after newer ones, which can leave the
store's *consecutive* error count off for an account (totals stay exact; Redis's own streak is what
disables accounts).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from services.accounts.loops import cancel_requested, pause
from services.accounts.pool_mirror import PoolMirror
from shared.redis import keys
from shared.store import NotFoundError, Store, StoreError, UsageApplyResult, UsageEvent

log = logging.getLogger("q2api.accounts.events")

GROUP = "accounts"

# Release outcome (shared/redis/scripts/release.lua) → what it means for the store's counters.
# The store's `error` bumps the consecutive-error count that disables an account; only failures of
# the account itself count (as release.lua's err_streak does). Throttling, quota, suspension and an
# expired token are handled by cooldown / status / refresh instead, so they are usage errors only
# (`client_error` in the store's terms: "an error in usage, not against the account").
OUTCOME_MAP: dict[str, str] = {
    "success": "success",
    "cancelled": "cancelled",
    "bad_request": "client_error",
    "throttled": "client_error",
    "quota_exhausted": "client_error",
    "suspended": "client_error",
    "token_expired": "client_error",
    "upstream_error": "error",
    "timeout": "error",
    # the holder died mid-request: its client saw a failure, so usage counts an error; the account
    # is not blamed (the fault was ours)
    "reaped": "client_error",
}
# Statuses the release script sets that the store must learn (cooling lives in Redis only).
MIRRORED_STATUSES = ("disabled", "suspended")


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: str) -> bool:
    try:
        number = int(pid)
        if number <= 0:
            return True
        os.kill(number, 0)
    except ValueError:
        return True  # not a pid we understand: leave it to the idle-time claim
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def usage_event(entry_id: str, fields: dict[str, str]) -> UsageEvent:
    """One stream entry as the store's UsageEvent; raises ValueError/KeyError on a malformed entry."""
    return UsageEvent(
        event_id=entry_id,
        at=float(fields["ts"]),
        account_id=fields.get("account") or None,
        key_id=fields.get("key") or None,
        model=fields.get("model") or "",
        outcome=OUTCOME_MAP.get(fields.get("outcome", ""), "client_error"),  # type: ignore[arg-type]
        input_tokens=max(0, int(float(fields.get("in") or 0))),
        output_tokens=max(0, int(float(fields.get("out") or 0))),
    )


@dataclass(frozen=True)
class ConsumerTiming:
    block_ms: int = 1000
    batch: int = 500
    # After a batch smaller than `batch`, wait this long before reading again, so that under load
    # each store transaction carries many events instead of one or two (usage reaches the store at
    # most this much later).
    linger: float = 0.1
    claim_idle: float = 60.0  # pending this long without an ack: its consumer is presumed dead
    claim_every: float = 15.0
    retry_delay: float = 1.0
    forget_consumers_after: float = 24 * 3600.0


class EventConsumer:
    def __init__(self, redis: aioredis.Redis, store: Store, mirror: PoolMirror, *, max_error_count: int,
                 timing: ConsumerTiming = ConsumerTiming(), name: str | None = None) -> None:
        self.redis = redis
        self.store = store
        self.mirror = mirror
        self.max_error_count = max_error_count
        self.timing = timing
        self.name = name or consumer_name()
        self.applied = 0
        self.duplicates = 0
        self._last_claim = 0.0
        self.task: asyncio.Task | None = None

    # -- the loop -------------------------------------------------------------------------------

    def start(self) -> asyncio.Task:
        """Run the loop in a task (kept in ``self.task``; a stopped task may be started again)."""
        self.task = asyncio.create_task(self.run(), name="event-consumer")
        return self.task

    async def run(self) -> None:
        while True:
            try:
                await self.ensure_group()
                await self.adopt_dead_local_consumers()
                await self.drain_own_pending()
                while True:
                    if cancel_requested():
                        raise asyncio.CancelledError
                    if time.monotonic() - self._last_claim >= self.timing.claim_every:
                        await self.claim_stale()
                    reply = await self.redis.xreadgroup(GROUP, self.name, {keys.EVENTS: ">"},
                                                        count=self.timing.batch, block=self.timing.block_ms)
                    read = 0
                    for _stream, entries in reply or ():
                        if entries:
                            read += len(entries)
                            await self.apply(entries)
                    if 0 < read < self.timing.batch:
                        await pause(self.timing.linger)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):  # the stream was flushed: recreate the group and go on
                    log.warning("event stream error: %s", exc)
                    await pause(self.timing.retry_delay)
            except (RedisError, OSError, StoreError) as exc:
                log.warning("event consumer paused (%s: %s); retrying", type(exc).__name__, exc)
                await pause(self.timing.retry_delay)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(keys.EVENTS, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def adopt_dead_local_consumers(self) -> None:
        """Take over the pending entries of earlier processes on this host that are gone."""
        host, _, _ = self.name.rpartition(":")
        for consumer in await self.redis.xinfo_consumers(keys.EVENTS, GROUP):
            name = consumer["name"]
            other_host, _, pid = name.rpartition(":")
            if name == self.name or other_host != host or not consumer["pending"] or _process_alive(pid):
                continue
            while True:
                pending = await self.redis.xpending_range(keys.EVENTS, GROUP, min="-", max="+",
                                                          count=self.timing.batch, consumername=name)
                if not pending:
                    break
                await self.redis.xclaim(keys.EVENTS, GROUP, self.name, 0, [p["message_id"] for p in pending],
                                        justid=True)
            await self.redis.xgroup_delconsumer(keys.EVENTS, GROUP, name)
            log.info("took over the events a stopped process (%s) left unacknowledged", name)

    async def drain_own_pending(self) -> None:
        """Entries delivered to this consumer name but never acknowledged (a killed task)."""
        while True:
            reply = await self.redis.xreadgroup(GROUP, self.name, {keys.EVENTS: "0"}, count=self.timing.batch)
            entries = [e for _stream, batch in reply or () for e in batch]
            if not entries:
                return
            await self.apply(entries)

    async def claim_stale(self) -> None:
        """Take over entries a dead consumer left pending, then forget long-idle empty consumers."""
        self._last_claim = time.monotonic()
        idle_ms = int(self.timing.claim_idle * 1000)
        start = "0-0"
        while True:
            reply = await self.redis.xautoclaim(keys.EVENTS, GROUP, self.name, idle_ms, start_id=start,
                                                count=self.timing.batch)
            start, entries = reply[0], reply[1]
            if entries:
                log.info("claimed %d events left pending by a stopped consumer", len(entries))
                await self.apply(entries)
            if start in ("0-0", b"0-0"):
                break
        forget_ms = self.timing.forget_consumers_after * 1000
        for consumer in await self.redis.xinfo_consumers(keys.EVENTS, GROUP):
            if consumer["name"] != self.name and consumer["pending"] == 0 and consumer["idle"] > forget_ms:
                await self.redis.xgroup_delconsumer(keys.EVENTS, GROUP, consumer["name"])

    # -- one batch ------------------------------------------------------------------------------

    async def apply(self, entries: list[tuple[str, dict[str, str] | None]]) -> UsageApplyResult:
        """Count a batch in the store, mirror status changes, then acknowledge it."""
        events: list[UsageEvent] = []
        statuses: dict[str, tuple[float, str, str]] = {}  # account -> (ts, status, reason) of its last event
        key_seen: dict[str, float] = {}
        for entry_id, fields in entries:
            if not fields:  # trimmed from the stream before we read it
                continue
            try:
                event = usage_event(entry_id, fields)
            except (KeyError, ValueError):
                log.warning("skipping malformed event %s", entry_id)
                continue
            events.append(event)
            if event.account_id and fields.get("status") in MIRRORED_STATUSES:
                statuses[event.account_id] = (event.at, fields["status"], fields.get("reason", ""))
            if event.key_id and event.key_id != "env":
                key_seen[event.key_id] = max(key_seen.get(event.key_id, 0.0), event.at)
        result = await self.store.record_usage_events(events, disable_after_errors=self.max_error_count)
        changed = set()
        for account_id in result.disabled_account_ids:  # the store's own threshold check
            await self._switch_off(account_id)
            changed.add(account_id)
        for account_id, (at, status, reason) in statuses.items():
            if await self._mirror_status(account_id, at, status, reason):
                changed.add(account_id)
        for key_id, at in key_seen.items():
            await self.store.touch_api_key(key_id, at)
        for account_id in sorted(changed):
            await self.mirror.push(account_id)
        ids = [entry_id for entry_id, _ in entries]
        if ids:
            await self.redis.xack(keys.EVENTS, GROUP, *ids)
        self.applied += result.applied
        self.duplicates += result.duplicates
        return result

    async def _switch_off(self, account_id: str) -> None:
        """An automatically disabled account is also switched off, as release.lua does in Redis."""
        try:
            account = await self.store.get_account(account_id)
            if account is not None and account.enabled:
                await self.store.update_account(account_id, enabled=False)
        except NotFoundError:
            pass

    async def _mirror_status(self, account_id: str, at: float, status: str, reason: str) -> bool:
        """Record a status the release script set — unless the store decided later (an operator
        re-enabled the account after this event, which a redelivery must not undo)."""
        try:
            account = await self.store.get_account(account_id)
            if account is None or (account.status_at is not None and account.status_at >= at):
                return False
            changed = False
            if account.status != status:
                why = reason or status
                if status == "disabled":
                    why = f"{self.max_error_count} consecutive upstream errors (MAX_ERROR_COUNT); last: {why}"
                await self.store.set_account_status(account_id, status, why[:500])  # type: ignore[arg-type]
                changed = True
            if status == "disabled" and account.enabled:
                await self.store.update_account(account_id, enabled=False)
                changed = True
            return changed
        except NotFoundError:  # deleted meanwhile
            return False

