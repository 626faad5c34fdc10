"""Connecting to Redis: one client per process, made from the settings."""

from __future__ import annotations

import redis.asyncio as aioredis

from shared.settings import Settings, SettingsError

# Enough for hundreds of concurrent requests: commands are short, so callers queue for a connection
# (BlockingConnectionPool) instead of failing when all are busy.
MAX_CONNECTIONS = 64


def connect_redis(url: str, *, name: str = "q2api", max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        max_connections=max_connections,
        timeout=10,
        # No per-command socket timeout: redis-py wraps each write in asyncio.wait_for when one is set, and
        # on Python 3.11 wait_for can swallow a cancellation (CPython gh-86296), so a cancelled request
        # (client gone) would keep running. Dead connections are found by keepalive and health checks.
        socket_timeout=None,
        socket_connect_timeout=5,
        health_check_interval=30,
        socket_keepalive=True,
        client_name=name,
    )
    return aioredis.Redis(connection_pool=pool)


def redis_client(settings: Settings, *, service: str) -> aioredis.Redis:
    """A client for `REDIS_URL` (string replies), or a clear error when the setting is missing."""
    if not settings.redis_url:
        raise SettingsError(
            f"REDIS_URL is empty: {service} needs a Redis to run on its own "
            "(for example REDIS_URL=redis://127.0.0.1:6379/0); `q2api up` starts a private one for you"
        )
    return connect_redis(settings.redis_url, name=f"q2api-{service}")
