"""Client authentication at edge: `x-api-key` or `Authorization: Bearer`, checked against the keys
created in the admin API (cached in Redis by accounts) and the seed's `OPENAI_KEYS`.

With neither configured the API is open (seed behaviour; accounts logs a warning at start-up).

A key found in Redis is remembered for `KEY_CACHE_SECONDS`, so a busy client costs no Redis round
trip per request; disabling, deleting or changing a key takes effect within that time. Unknown keys
are never remembered: a key created a moment ago works at once.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web

from shared.redis import apikeys
from shared.redis.pool import KeyLimits

ENV_KEY_ID = "env"
OPEN_KEY_ID = ""
KEY_CACHE_SECONDS = 1.0
KEY_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Caller:
    key_id: str
    limits: KeyLimits
    allowed_models: tuple[str, ...] | None = None
    is_admin: bool = False


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def presented_key(request: web.Request) -> str:
    """The key the client sent: x-api-key, else Authorization (with or without `Bearer `)."""
    key = request.headers.get("x-api-key", "").strip()
    if key:
        return key
    auth = request.headers.get("authorization", "").strip()
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return auth


class ClientAuthenticator:
    def __init__(self, redis: aioredis.Redis, env_keys: tuple[str, ...]) -> None:
        self.redis = redis
        self.env_hashes = {apikeys.key_hash(k) for k in env_keys}
        self._any_keys_checked = 0.0
        self._any_keys = True
        self._known: dict[str, tuple[float, apikeys.CachedKey]] = {}  # key hash -> (fetched at, key)

    async def _lookup(self, hashed: str) -> apikeys.CachedKey | None:
        now = time.monotonic()
        known = self._known.get(hashed)
        if known is not None and now - known[0] < KEY_CACHE_SECONDS:
            return known[1]
        cached = await apikeys.lookup_hash(self.redis, hashed)
        if cached is None:
            self._known.pop(hashed, None)
            return None
        if len(self._known) >= KEY_CACHE_SIZE:
            self._known.clear()
        self._known[hashed] = (now, cached)
        return cached

    async def _keys_exist(self) -> bool:
        now = time.monotonic()
        if now - self._any_keys_checked > 2.0:
            self._any_keys = await apikeys.any_keys(self.redis)
            self._any_keys_checked = now
        return self._any_keys

    async def authenticate(self, request: web.Request) -> Caller:
        key = presented_key(request)
        if key:
            hashed = apikeys.key_hash(key)
            if any(hmac.compare_digest(hashed, env) for env in self.env_hashes):
                return Caller(ENV_KEY_ID, KeyLimits())
            cached = await self._lookup(hashed)
            if cached is not None:
                if not cached.enabled:
                    raise AuthError(401, "This API key is disabled. Ask the gateway's operator to enable it.")
                if cached.expires_at is not None and cached.expires_at <= time.time():
                    raise AuthError(401, "This API key has expired. Ask the gateway's operator for a new one.")
                limits = KeyLimits(cached.key_id, cached.requests_per_minute, cached.tokens_per_minute, cached.max_concurrent)
                return Caller(cached.key_id, limits, cached.allowed_models, cached.is_admin)
        if not self.env_hashes and not await self._keys_exist():
            return Caller(OPEN_KEY_ID, KeyLimits())
        if not key:
            raise AuthError(401, "Missing API key: send it as `x-api-key: <key>` or `Authorization: Bearer <key>`.")
        raise AuthError(401, "Invalid API key. Check the key you configured for this gateway.")
