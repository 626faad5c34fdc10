"""The accounts service's background loops besides the event consumer.

- generation watch: rebuild Redis from the store on start and whenever Redis's generation key is
  missing or differs from the store's (or a change could not reach Redis);
- lease reaper: a lease past its deadline belongs to a crashed holder; release it as `reaped` so its
  account's in-flight slot comes back (release is exactly-once, so replicas may reap side by side);
- housekeeping: forget expired/revoked admin sessions and old applied-event ids.

Each loop survives Redis or store outages: it logs, waits, and tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from services.accounts.loops import pause
from services.accounts.pool_mirror import PoolMirror
from services.accounts.usage_events import ConsumerTiming
from shared.redis import keys
from shared.redis.pool import AccountPool
from shared.store import Store, StoreError

log = logging.getLogger("q2api.accounts.upkeep")

_TRANSIENT = (RedisError, OSError, StoreError)


@dataclass(frozen=True)
class UpkeepTiming:
    """How often the background work runs (tests shorten these; production keeps the defaults)."""

    generation_check: float = 2.0
    reap_every: float = 2.0
    housekeeping_every: float = 3600.0
    # applied-event ids are kept this long: a redelivery older than this would count twice
    applied_events_retention: float = 24 * 3600.0
    consumer: ConsumerTiming = field(default_factory=ConsumerTiming)


async def watch_generation(store: Store, mirror: PoolMirror, every: float) -> None:
    rebuilt_once = False
    while True:
        try:
            wanted = await store.generation()
            current = await mirror.redis.get(keys.GENERATION)
            if not rebuilt_once or current != wanted or mirror.needs_rebuild:
                if rebuilt_once and current not in (None, wanted):
                    log.warning("Redis was built from another store (generation %s, ours %s); rebuilding",
                                current, wanted)
                started = time.monotonic()
                count = await mirror.rebuild(wanted)
                rebuilt_once = True
                log.info("Redis rebuilt from the store: %d accounts in %.0f ms", count,
                         (time.monotonic() - started) * 1000, extra={"accounts": count})
        except asyncio.CancelledError:
            raise
        except _TRANSIENT as exc:
            mirror.needs_rebuild = True
            log.warning("Redis rebuild postponed (%s: %s)", type(exc).__name__, exc)
        await pause(every)


async def reap_expired_leases(pool: AccountPool) -> int:
    """Release every lease past its deadline as `reaped`; returns how many this call ended."""
    reaped = 0
    for lease_id in await pool.expired_leases():
        if await pool.release(lease_id, "reaped", reason="lease expired without release (holder gone)"):
            reaped += 1
    return reaped


async def reap_forever(pool: AccountPool, every: float) -> None:
    while True:
        try:
            reaped = await reap_expired_leases(pool)
            if reaped:
                log.warning("reaped %d expired leases", reaped, extra={"reaped": reaped})
        except asyncio.CancelledError:
            raise
        except _TRANSIENT as exc:
            log.warning("lease reaper paused (%s: %s)", type(exc).__name__, exc)
        await pause(every)


async def housekeep_forever(store: Store, timing: UpkeepTiming) -> None:
    while True:
        try:
            sessions = await store.purge_sessions()
            events = await store.purge_applied_events(time.time() - timing.applied_events_retention)
            if sessions or events:
                log.info("housekeeping: %d old sessions, %d old event ids forgotten", sessions, events)
        except asyncio.CancelledError:
            raise
        except StoreError as exc:
            log.warning("housekeeping postponed (%s)", exc)
        await pause(timing.housekeeping_every)
