"""Client API keys as edge sees them: a Redis cache that accounts fills from the store.

`q2a:{q2a}:apikey:<sha256 of the key>` is a hash with the key's id, enabled flag, expiry, allowed
models and limits; `q2a:{q2a}:apikeys` is the set of all cached hashes (so accounts can drop deleted
ones and edge can tell "no keys configured" from "wrong key"). The plaintext never reaches Redis.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis

from shared.redis import keys

ALL_KEYS = keys.PREFIX + "apikeys"


def key_hash(plaintext: str) -> str:
    """The same hex SHA-256 the store keeps."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def cache_key(hashed: str) -> str:
    return f"{keys.PREFIX}apikey:{hashed}"


@dataclass(frozen=True)
class CachedKey:
    key_id: str
    name: str
    enabled: bool
    expires_at: float | None
    allowed_models: tuple[str, ...] | None
    requests_per_minute: int
    tokens_per_minute: int
    max_concurrent: int
    is_admin: bool

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> CachedKey:
        models = orjson.loads(data.get("allowed_models") or "null")
        expires = data.get("expires_at") or ""
        return cls(
            key_id=data["id"],
            name=data.get("name", ""),
            enabled=data.get("enabled") == "1",
            expires_at=float(expires) if expires else None,
            allowed_models=tuple(models) if models is not None else None,
            requests_per_minute=int(data.get("rpm") or 0),
            tokens_per_minute=int(data.get("tpm") or 0),
            max_concurrent=int(data.get("conc") or 0),
            is_admin=data.get("admin") == "1",
        )


def key_fields(key) -> dict[str, str]:
    """The cached fields of a store ApiKey record."""
    return {
        "id": key.id,
        "name": key.name,
        "enabled": "1" if key.enabled else "0",
        "expires_at": "" if key.expires_at is None else str(key.expires_at),
        "allowed_models": orjson.dumps(key.allowed_models).decode(),
        "rpm": str(key.requests_per_minute or 0),
        "tpm": str(key.tokens_per_minute or 0),
        "conc": str(key.max_concurrent or 0),
        "admin": "1" if key.is_admin else "0",
    }


async def write_key_cache(redis: aioredis.Redis, entries: dict[str, dict[str, str]]) -> None:
    """Replace the cache with `entries` (key hash -> fields)."""
    current = set(await redis.smembers(ALL_KEYS))
    async with redis.pipeline(transaction=True) as pipe:
        for gone in current - set(entries):
            pipe.delete(cache_key(gone))
            pipe.srem(ALL_KEYS, gone)
        for hashed, fields in entries.items():
            pipe.delete(cache_key(hashed))
            pipe.hset(cache_key(hashed), mapping=fields)
            pipe.sadd(ALL_KEYS, hashed)
        await pipe.execute()


async def lookup(redis: aioredis.Redis, plaintext: str) -> CachedKey | None:
    return await lookup_hash(redis, key_hash(plaintext))


async def lookup_hash(redis: aioredis.Redis, hashed: str) -> CachedKey | None:
    data = await redis.hgetall(cache_key(hashed))
    return CachedKey.from_hash(data) if data else None


async def any_keys(redis: aioredis.Redis) -> bool:
    return bool(await redis.scard(ALL_KEYS))
