"""translator: All protocol work: client dialect to upstream request, upstream bytes back to the client dialect."""

from __future__ import annotations

from aiohttp import web

from shared.service import create_service_app, use_redis
from shared.settings import Settings


def create_app(settings: Settings) -> web.Application:
    app = create_service_app(settings, "translator")
    use_redis(app)
    return app
