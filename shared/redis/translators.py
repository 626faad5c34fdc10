"""The translator registry in Redis: translators announce themselves; edge picks among them.

Each translator writes `{url, inflight, seen}` under its id in the `translators` hash every
`HEARTBEAT_INTERVAL` seconds and removes itself on shutdown; an entry older than `STALE_AFTER` is a
translator that died, and edge skips it (and removes it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis

from shared.redis import keys

HEARTBEAT_INTERVAL = 1.0
STALE_AFTER = 5.0


@dataclass(frozen=True)
class TranslatorEntry:
    translator_id: str
    url: str
    inflight: int
    seen: float


async def announce(redis: aioredis.Redis, translator_id: str, url: str, inflight: int) -> None:
    await redis.hset(keys.TRANSLATORS, translator_id,
                     orjson.dumps({"url": url, "inflight": inflight, "seen": time.time()}))


async def withdraw(redis: aioredis.Redis, translator_id: str) -> None:
    await redis.hdel(keys.TRANSLATORS, translator_id)


async def live_translators(redis: aioredis.Redis, *, now: float | None = None) -> list[TranslatorEntry]:
    now = time.time() if now is None else now
    entries, stale = [], []
    for translator_id, raw in (await redis.hgetall(keys.TRANSLATORS)).items():
        try:
            data = orjson.loads(raw)
            entry = TranslatorEntry(translator_id, data["url"], int(data["inflight"]), float(data["seen"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            stale.append(translator_id)
            continue
        if now - entry.seen > STALE_AFTER:
            stale.append(translator_id)
        else:
            entries.append(entry)
    if stale:
        await redis.hdel(keys.TRANSLATORS, *stale)
    return entries
