"""Which translator gets a request: the live one with the fewest requests in flight.

The registry is read from Redis in the background (not per request); this edge's own in-flight count
per translator is added so a burst spreads before the next refresh. A translator that cannot be
reached is skipped for a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import redis.asyncio as aioredis

from shared.redis.translators import TranslatorEntry, live_translators

log = logging.getLogger("q2api.edge.translators")

REFRESH_INTERVAL = 1.0
SKIP_FOR = 5.0


class TranslatorPicker:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self.entries: list[TranslatorEntry] = []
        self.local: dict[str, int] = {}
        self.down_until: dict[str, float] = {}
        self._task: asyncio.Task | None = None

    async def refresh(self) -> None:
        self.entries = await live_translators(self.redis)

    async def start(self) -> None:
        with contextlib.suppress(Exception):
            await self.refresh()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_INTERVAL)
            try:
                await self.refresh()
            except Exception:
                log.warning("could not read the translator registry", exc_info=True)

    def pick(self, exclude: set[str] = frozenset()) -> TranslatorEntry | None:
        now = time.monotonic()
        best, best_load = None, None
        for entry in self.entries:
            if entry.url in exclude or self.down_until.get(entry.url, 0) > now:
                continue
            load = entry.inflight + self.local.get(entry.url, 0)
            if best_load is None or load < best_load:
                best, best_load = entry, load
        return best

    def mark_down(self, url: str) -> None:
        self.down_until[url] = time.monotonic() + SKIP_FOR

    def acquire(self, url: str) -> None:
        self.local[url] = self.local.get(url, 0) + 1

    def release(self, url: str) -> None:
        self.local[url] = max(0, self.local.get(url, 0) - 1)
