"""edge: Public API: /v1/messages, /v1/messages/count_tokens, /v1/chat/completions, /v1/models; client auth, admission and lease, relay to a translator."""

from __future__ import annotations

from aiohttp import web

from shared.service import create_service_app, use_redis
from shared.settings import Settings


def create_app(settings: Settings) -> web.Application:
    app = create_service_app(settings, "edge")
    use_redis(app)
    return app
