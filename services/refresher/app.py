"""refresher: Keeps access tokens fresh and runs the login flows that create accounts."""

from __future__ import annotations

from aiohttp import web

from shared.service import create_service_app, use_redis
from shared.settings import Settings


def create_app(settings: Settings) -> web.Application:
    app = create_service_app(settings, "refresher")
    use_redis(app)
    return app
