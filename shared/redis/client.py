"""Connecting to Redis: one client per process, made from the settings."""

from __future__ import annotations

import redis.asyncio as aioredis

from shared.settings import Settings, SettingsError


def redis_client(settings: Settings, *, service: str) -> aioredis.Redis:
    """A client for `REDIS_URL` (string replies), or a clear error when the setting is missing."""
    if not settings.redis_url:
        raise SettingsError(
            f"REDIS_URL is empty: {service} needs a Redis to run on its own "
            "(for example REDIS_URL=redis://127.0.0.1:6379/0); `q2api up` starts a private one for you"
        )
    return aioredis.from_url(
        settings.redis_url,
        decode_responses=True,
        health_check_interval=30,
        socket_keepalive=True,
        client_name=f"q2api-{service}",
    )
