"""What the accounts app holds for its handlers, under typed keys."""

from __future__ import annotations

import asyncio

from aiohttp import web

from services.accounts.account_admin import AccountAdmin
from services.accounts.login_guard import LoginGuard
from services.accounts.pool_mirror import PoolMirror
from services.accounts.refresher_client import RefresherClient
from services.accounts.upkeep import UpkeepTiming
from services.accounts.usage_events import EventConsumer
from shared.redis.pool import AccountPool
from shared.store import Store

STORE = web.AppKey("store", Store)
POOL = web.AppKey("pool", AccountPool)
MIRROR = web.AppKey("mirror", PoolMirror)
ACCOUNTS = web.AppKey("account_admin", AccountAdmin)
CONSUMER = web.AppKey("event_consumer", EventConsumer)
REFRESHER = web.AppKey("refresher", RefresherClient)
LOGIN_GUARD = web.AppKey("login_guard", LoginGuard)
TIMING = web.AppKey("upkeep_timing", UpkeepTiming)
# long-running background work a handler started (feed verification); cancelled at shutdown
JOBS = web.AppKey("jobs", set[asyncio.Task])
