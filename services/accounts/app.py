"""accounts: The store of record and the admin API; keeps the Redis pool in step with the store."""

from __future__ import annotations

from aiohttp import web

from shared.service import create_service_app, use_redis
from shared.settings import Settings


def create_app(settings: Settings) -> web.Application:
    app = create_service_app(settings, "accounts")
    use_redis(app)
    return app
