"""accounts: the store of record and the admin API; keeps the Redis pool in step with the store.

On start it opens the store, makes sure there is an admin password, and runs four background loops:
the Redis rebuild/generation watch, the event consumer (usage and counters into the store), the lease
reaper and housekeeping. With ENABLE_CONSOLE=false the admin routes are not registered at all; the
background work runs either way.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.accounts import (
    admin_accounts,
    admin_auth,
    admin_keys,
    admin_usage,
    import_export,
    login_flows,
    seed_accounts,
)
from services.accounts.account_admin import AccountAdmin
from services.accounts.context import (
    ACCOUNTS,
    CONSUMER,
    JOBS,
    LOGIN_GUARD,
    MIRROR,
    POOL,
    REFRESHER,
    STORE,
    TIMING,
)
from services.accounts.login_guard import LoginGuard
from services.accounts.loops import stop_all
from services.accounts.pool_mirror import PoolMirror
from services.accounts.refresher_client import RefresherClient
from services.accounts.upkeep import UpkeepTiming, housekeep_forever, reap_forever, watch_generation
from services.accounts.usage_events import EventConsumer
from shared.admin_password import admin_password_notice, ensure_admin_password, open_settings_store
from shared.redis.pool import AccountPool, policy_from_settings
from shared.service import READINESS, REDIS, SETTINGS, create_service_app, use_redis
from shared.settings import Settings

log = logging.getLogger("q2api.accounts")


async def _store_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    store = await open_settings_store(settings)
    app[STORE] = store
    generated = await ensure_admin_password(store, settings)
    if generated:
        # stderr, not the logger: the one place a secret is shown, on purpose, once
        print(f"accounts: {admin_password_notice(generated)}", file=sys.stderr, flush=True)
    if not settings.openai_keys and not await store.list_api_keys():
        log.warning("no API keys exist and OPENAI_KEYS is empty: the API is open to anyone who can reach it; "
                    "create a key (POST /admin/api/keys) or set OPENAI_KEYS")
    yield
    await store.close()


async def _workers_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    store = app[STORE]
    timing = app[TIMING]
    pool = AccountPool(app[REDIS], policy_from_settings(settings))
    mirror = PoolMirror(store, pool, settings)
    app[POOL] = pool
    app[MIRROR] = mirror
    app[ACCOUNTS] = AccountAdmin(store, mirror)
    app[LOGIN_GUARD] = LoginGuard(app[REDIS])
    consumer = EventConsumer(app[REDIS], store, mirror, max_error_count=settings.max_error_count,
                             timing=timing.consumer)
    app[CONSUMER] = consumer
    app[JOBS] = set()
    session = aiohttp.ClientSession()
    app[REFRESHER] = RefresherClient(session, settings.refresher_base_url, settings.internal_token)
    tasks = [
        asyncio.create_task(watch_generation(store, mirror, timing.generation_check), name="generation-watch"),
        asyncio.create_task(reap_forever(pool, timing.reap_every), name="lease-reaper"),
        asyncio.create_task(housekeep_forever(store, timing), name="housekeeping"),
    ]
    consumer.start()
    yield
    await stop_all([*tasks, *([consumer.task] if consumer.task else []), *app[JOBS]])
    await session.close()


def create_app(settings: Settings, *, timing: UpkeepTiming | None = None) -> web.Application:
    app = create_service_app(settings, "accounts")
    app[TIMING] = timing or UpkeepTiming()
    use_redis(app)
    app.cleanup_ctx.append(_store_context)
    app.cleanup_ctx.append(_workers_context)

    async def store_ready() -> None:
        await app[STORE].generation()

    app[READINESS]["store"] = store_ready
    if settings.enable_console:
        app.middlewares.append(admin_auth.admin_guard)
        admin_auth.add_routes(app)
        import_export.add_routes(app)
        admin_accounts.add_routes(app)
        login_flows.add_routes(app)
        admin_keys.add_routes(app)
        admin_usage.add_routes(app)
        seed_accounts.add_routes(app)
    return app
