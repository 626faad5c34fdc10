"""translator: all protocol work — client dialect to upstream request, upstream bytes back to the
client dialect — behind one internal streaming endpoint (`shared.internal`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.translator.handler import STATE, TranslatorState, translate
from shared.internal import HEADER_VERDICT, TRANSLATE_PATH, VERDICT_OK
from shared.models import ModelTable
from shared.redis import translators
from shared.redis.pool import AccountPool, policy_from_settings
from shared.service import (
    LEAN_REDIS,
    LISTEN,
    REDIS,
    ROUTINE_ANSWER,
    SETTINGS,
    advertised_host,
    create_service_app,
    use_redis,
)
from shared.settings import Settings, SettingsError

log = logging.getLogger("q2api.translator")


def create_app(settings: Settings) -> web.Application:
    if not settings.internal_token:
        raise SettingsError("INTERNAL_TOKEN is empty: the translator only serves edge, which must present it")
    app = create_service_app(settings, "translator")
    use_redis(app)
    app.cleanup_ctx.append(_upstream_session)
    app.cleanup_ctx.append(_registration)
    app.router.add_post(TRANSLATE_PATH, translate)
    # Edge logs every client request; here only what did not go as planned is worth an info line.
    app[ROUTINE_ANSWER] = _answered
    return app


def _answered(response: web.StreamResponse) -> bool:
    return response.status == 200 and response.headers.get(HEADER_VERDICT) == VERDICT_OK


async def _upstream_session(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # One keep-alive pool per process for every upstream; per-request timeouts are set by the adapters.
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, keepalive_timeout=30, ttl_dns_cache=300)
    session = aiohttp.ClientSession(connector=connector, auto_decompress=True, trust_env=False)
    models = ModelTable(settings.model_map, settings.context_window)
    # Answers depend only on the settings the table was built from: look each name up once.
    models.resolve = functools.lru_cache(maxsize=1024)(models.resolve)  # type: ignore[method-assign]
    app[STATE] = TranslatorState(
        settings=settings,
        pool=AccountPool(app[REDIS], policy_from_settings(settings), lean=app[LEAN_REDIS]),
        session=session,
        models=models,
    )
    yield
    await session.close()


async def _registration(app: web.Application) -> AsyncIterator[None]:
    """Announce this translator in Redis until shutdown (edge routes by it)."""
    settings = app[SETTINGS]
    host, port = app.get(LISTEN, (settings.service_host, settings.translator_port))
    url = f"http://{advertised_host(host, settings)}:{port}"
    translator_id = f"{advertised_host(host, settings)}:{port}:{os.getpid()}"
    redis = app[REDIS]
    state = app[STATE]

    async def beat() -> None:
        while True:
            try:
                await translators.announce(redis, translator_id, url, state.inflight)
            except Exception:  # Redis briefly away: edge will see us again on the next beat
                log.warning("translator heartbeat failed", exc_info=True)
            await asyncio.sleep(translators.HEARTBEAT_INTERVAL)

    task = asyncio.create_task(beat())
    yield
    task.cancel()
    with contextlib.suppress(Exception):
        await translators.withdraw(redis, translator_id)
