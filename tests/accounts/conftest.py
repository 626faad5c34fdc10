"""Fixtures for the accounts service tests: the real app on a private Redis and a SQLite store in
tmp_path (PostgreSQL where a test asks for it), plus a stand-in refresher speaking its internal API."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from accounts_support import ADMIN_PASSWORD, FAST, FRESH_ACCESS_TOKEN, INTERNAL_TOKEN, Admin
from aiohttp import web

from services.accounts.app import create_app
from services.accounts.context import STORE
from shared.settings import load_settings
from shared.store import Store


class FakeRefresher:
    """The refresher's internal endpoints as accounts calls them (refresh now, login flows)."""

    def __init__(self) -> None:
        self.store: Store | None = None
        self.answers: dict[str, dict[str, Any]] = {}  # account id -> refresh answer (default ok)
        self.refreshed: list[str] = []
        self.auth_calls: list[tuple[str, str, bytes]] = []

    def _check(self, request: web.Request) -> None:
        if request.headers.get("authorization") != f"Bearer {INTERNAL_TOKEN}":
            raise web.HTTPUnauthorized()

    async def refresh(self, request: web.Request) -> web.Response:
        self._check(request)
        account_id = request.match_info["id"]
        self.refreshed.append(account_id)
        answer = dict(self.answers.get(account_id, {"ok": True}))
        assert self.store is not None
        if answer.get("ok"):
            await self.store.update_tokens(account_id, FRESH_ACCESS_TOKEN, time.time() + 3600)
        # a careless refresher might echo secrets back; accounts must not pass them on
        answer["account"] = {"id": account_id, "refreshToken": "refresher-echoed-refresh-token-XYZW"}
        return web.json_response(answer)

    async def auth(self, request: web.Request) -> web.StreamResponse:
        self._check(request)
        tail = request.match_info["tail"]
        self.auth_calls.append((request.method, tail, await request.read()))
        if tail == "start":
            return web.json_response({"authId": "auth-1", "verificationUriComplete": "https://device.example/x",
                                      "userCode": "ABCD-EFGH", "expiresIn": 600, "interval": 5})
        if tail == "claim/auth-1":
            assert self.store is not None
            account = await self.store.create_account(
                "amazonq", label="device login", client_id="claimed-client-id",
                client_secret="claimed-client-secret-1234567890", refresh_token="claimed-refresh-token-1234567890",
                access_token="claimed-access-token-1234567890")
            return web.json_response({"status": "completed", "account": {
                "id": account.id, "clientSecret": "claimed-client-secret-1234567890",
                "refreshToken": "claimed-refresh-token-1234567890"}})
        if tail == "google/callback":
            return web.Response(text="<html>signed in</html>", content_type="text/html")
        return web.json_response({"error": "unknown"}, status=404)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/internal/v1/refresh/{id}", self.refresh)
        app.router.add_route("*", "/internal/v1/auth/{tail:.+}", self.auth)
        return app


@pytest.fixture
def fake_refresher() -> FakeRefresher:
    return FakeRefresher()


@pytest.fixture
async def refresher_url(aiohttp_server, fake_refresher: FakeRefresher) -> str:
    server = await aiohttp_server(fake_refresher.app())
    return str(server.make_url("")).rstrip("/")


StartAccounts = Callable[..., Awaitable[Any]]


@pytest.fixture
def accounts_env(redis_url: str, tmp_path: Path, refresher_url: str) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "DATA_DIR": str(tmp_path / "data"), "INTERNAL_TOKEN": INTERNAL_TOKEN,
            "ADMIN_PASSWORD": ADMIN_PASSWORD, "REFRESHER_URL": refresher_url}


@pytest.fixture
def start_accounts(aiohttp_client, accounts_env: dict[str, str], fake_refresher: FakeRefresher) -> StartAccounts:
    """Start an accounts app (settings from the environment dict, overridable); log in unless told not to."""

    async def start(*, login: bool = True, **env: str) -> Any:
        settings = load_settings({**accounts_env, **env})
        app = create_app(settings, timing=FAST)
        client = await aiohttp_client(app)
        fake_refresher.store = app[STORE]
        if not login:
            return client
        response = await client.post("/api/login", json={"password": ADMIN_PASSWORD})
        assert response.status == 200, await response.text()
        return Admin(client, (await response.json())["token"])

    return start


@pytest.fixture
async def admin(start_accounts: StartAccounts) -> Admin:
    admin = await start_accounts()
    await admin.wait_rebuilt()
    return admin
