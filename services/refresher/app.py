"""refresher: Keeps access tokens fresh and runs the login flows that create accounts.

Any number of replicas may run: the schedule lives in Redis, every refresh takes the account's lock,
and a login's state lives in Redis so any replica answers any step of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from services.refresher import metrics
from services.refresher.background import stop_tasks
from services.refresher.context import RefresherContext, credentials_key
from services.refresher.device_login import DeviceLogins
from services.refresher.google_login import GoogleLogins
from services.refresher.keeper import TokenKeeper
from services.refresher.policy import RefresherPolicy
from services.refresher.routes import DEVICE_LOGINS, GOOGLE_LOGINS, KEEPER, add_routes
from shared.redis.pool import AccountPool, policy_from_settings
from shared.service import REDIS, SETTINGS, create_service_app, use_redis
from shared.settings import Settings, SettingsError
from shared.store import CredentialCipher, Store, open_store

log = logging.getLogger("q2api.refresher")

POLICY = web.AppKey("refresher_policy", RefresherPolicy)
STORE = web.AppKey("refresher_store", Store)
CONTEXT = web.AppKey("refresher_context", RefresherContext)


def create_app(settings: Settings, *, policy: RefresherPolicy | None = None, store: Store | None = None) -> web.Application:
    """`store`: an already open store to use (and not close) instead of opening DATABASE_URL."""
    if not settings.internal_token:
        raise SettingsError("INTERNAL_TOKEN is empty: the refresher serves accounts only, which must present it")
    app = create_service_app(settings, "refresher")
    app[POLICY] = policy or RefresherPolicy()
    use_redis(app)
    app.cleanup_ctx.append(_store_context(store))
    app.cleanup_ctx.append(_refresher_context)
    add_routes(app)
    return app


def _store_context(given: Store | None):
    async def store_context(app: web.Application) -> AsyncIterator[None]:
        if given is not None:
            app[STORE] = given
            yield
            return
        settings = app[SETTINGS]
        opened = await open_store(settings.database_url, data_dir=Path(settings.data_dir),
                                  credentials_key=credentials_key(settings))
        app[STORE] = opened
        yield
        await opened.close()

    return store_context


async def _refresher_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    policy = app[POLICY]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64, ttl_dns_cache=300), trust_env=False)
    ctx = RefresherContext(settings=settings, policy=policy, store=app[STORE], redis=app[REDIS],
                           pool=AccountPool(app[REDIS], policy_from_settings(settings)), session=session,
                           cipher=CredentialCipher(credentials_key(settings)))
    keeper = TokenKeeper(ctx)
    device_logins = DeviceLogins(ctx, keeper.schedule)
    app[CONTEXT] = ctx
    app[KEEPER] = keeper
    app[DEVICE_LOGINS] = device_logins
    app[GOOGLE_LOGINS] = GoogleLogins(ctx, keeper.schedule)
    metrics.soonest_expiry.set_function(keeper.soonest_expiry)
    loops = [
        asyncio.create_task(keeper.run_rebuild_loop(), name="refresher:rebuild"),
        asyncio.create_task(keeper.run_due_loop(), name="refresher:due"),
        asyncio.create_task(keeper.run_subscriber(), name="refresher:subscriber"),
        asyncio.create_task(device_logins.run_sweeper(), name="refresher:login-sweeper"),
    ]
    yield
    await stop_tasks(loops)
    await keeper.drain(policy.shutdown_grace)
    await device_logins.stop()
    with contextlib.suppress(Exception):
        await session.close()
