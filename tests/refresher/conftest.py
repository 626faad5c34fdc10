"""Fixtures of the refresher tests: an in-process simulator, a private Redis, a SQLite store the test and
the refreshers share, and refreshers started (and stopped) like a replica would be."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from refresher_support import INTERNAL_TOKEN, Simulator

from services.refresher.app import create_app
from services.refresher.policy import RefresherPolicy
from services.simulator.app import create_app as simulator_app
from services.simulator.config import SimulatorConfig
from services.simulator.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from shared.redis.client import connect_redis
from shared.redis.pool import AccountPool, PoolPolicy
from shared.settings import Settings, load_settings
from shared.store import Store, open_store

# Short times so a test sees several token lifetimes in seconds.
FAST = RefresherPolicy(
    jitter_fraction=0.5,
    poll_interval=1.0,
    rebuild_interval=60.0,
    lock_ttl=5.0,
    token_http_timeout=4.0,
    lock_wait=5.0,
    backoff_base=0.2,
    backoff_max=1.0,
    shutdown_grace=0.0,
    claim_wait=15.0,
    login_retention=60.0,
    poller_lock_ttl=5.0,
    sweep_interval=0.5,
    onboard_poll_interval=0.05,
    onboard_max_wait=5.0,
)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def simulator(aiohttp_server, tmp_path: Path, http: aiohttp.ClientSession) -> Simulator:
    settings = load_settings({"DATA_DIR": str(tmp_path / "simulator")})
    server = await aiohttp_server(simulator_app(settings, SimulatorConfig()))
    return Simulator(str(server.make_url("")), http)


@pytest.fixture
def settings_for(redis_url: str, tmp_path: Path, simulator: Simulator) -> Callable[..., Settings]:
    """Refresher settings pointing at the simulator; keyword arguments override environment values."""

    def make(**env: str) -> Settings:
        values = {
            "REDIS_URL": redis_url,
            "DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": f"sqlite:///{tmp_path}/store.sqlite3",
            "INTERNAL_TOKEN": INTERNAL_TOKEN,
            "AMAZONQ_OIDC_ENDPOINT": simulator.url + "/oidc",
            "GOOGLE_OAUTH_ENDPOINT": simulator.url + "/oauth2",
            "GOOGLE_OAUTH_AUTHORIZE_URL": simulator.url + "/oauth2/auth",
            "GEMINI_CODE_ASSIST_ENDPOINT": simulator.url + "/codeassist",
            "GOOGLE_OAUTH_CLIENT_ID": DEFAULT_CLIENT_ID,
            "GOOGLE_OAUTH_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "REFRESH_LEAD_TIME": "1",
        }
        values.update(env)
        return load_settings(values)

    return make


@pytest.fixture
def settings(settings_for: Callable[..., Settings]) -> Settings:
    return settings_for()


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    """The test's own connection to the store the refreshers use."""
    opened = await open_store(settings.database_url, data_dir=Path(settings.data_dir), credentials_key=None)
    yield opened
    await opened.close()


@pytest.fixture
async def redis(redis_url: str):
    client = connect_redis(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def pool(redis) -> AccountPool:
    # Tokens live seconds here: lease anything valid for at least 0.2 s more.
    return AccountPool(redis, PoolPolicy(token_margin=0.2))


@pytest.fixture
def start_refresher(aiohttp_server, settings: Settings, store: Store):
    """Start a refresher replica (its background loops run until the test ends or it is closed)."""

    async def start(policy: RefresherPolicy = FAST, *, settings: Settings = settings, store: Any = None):
        return await aiohttp_server(create_app(settings, policy=policy, store=store))

    return start

