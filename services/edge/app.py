"""edge: the public API — client auth, admission and lease in one Redis call, relay to a translator,
failover before the first byte — plus the admin API and console forwarded to accounts."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.edge.admin_proxy import ADMIN_BASE, ADMIN_SESSION, add_admin_proxy
from services.edge.auth import ClientAuthenticator
from services.edge.internal_client import InternalClient
from services.edge.relay import EdgeContext
from services.edge.routes import AUTH, EDGE, MODELS, add_public_routes
from services.edge.translators import TranslatorPicker
from shared.models import ModelTable
from shared.redis.pool import AccountPool, policy_from_settings
from shared.service import LEAN_REDIS, READINESS, REDIS, SETTINGS, create_service_app, use_redis
from shared.settings import Settings, SettingsError

log = logging.getLogger("q2api.edge")


def create_app(settings: Settings) -> web.Application:
    if not settings.internal_token:
        raise SettingsError("INTERNAL_TOKEN is empty: edge must present it to the translators")
    app = create_service_app(settings, "edge")
    use_redis(app)
    app.cleanup_ctx.append(_context)
    add_public_routes(app)
    if settings.enable_console:
        add_admin_proxy(app)
    return app


def _memoised(models: ModelTable) -> ModelTable:
    """The table's answers depend only on the settings it was built from: look each model name up once
    (unknown names raise every time, and are not kept)."""
    models.resolve = functools.lru_cache(maxsize=1024)(models.resolve)  # type: ignore[method-assign]
    return models


async def _context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    redis = app[REDIS]
    # For the admin routes forwarded to accounts (requests to translators use `InternalClient`).
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=60),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
        auto_decompress=False,
    )
    picker = TranslatorPicker(redis)
    await picker.start()
    internal = InternalClient()
    app[EDGE] = EdgeContext(settings=settings, pool=AccountPool(redis, policy_from_settings(settings), lean=app[LEAN_REDIS]),
                            picker=picker, internal=internal)
    app[AUTH] = ClientAuthenticator(redis, settings.openai_keys)
    app[MODELS] = _memoised(ModelTable(settings.model_map, settings.context_window))
    app[ADMIN_SESSION] = session
    app[ADMIN_BASE] = settings.accounts_base_url

    async def translators_ready() -> None:
        if not picker.entries:
            raise RuntimeError("no live translator registered")

    app[READINESS]["translators"] = translators_ready
    yield
    await picker.stop()
    await internal.close()
    await session.close()
