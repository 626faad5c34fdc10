"""Helpers of the refresher tests: the simulator's control API in a few words, accounts seeded the way
the accounts service would seed them, and waiting for an eventual state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from services.simulator.google.control_client import GoogleControl
from shared.redis.account_sync import sync_account
from shared.redis.pool import AccountPool
from shared.store import Account, Store

INTERNAL_TOKEN = "internal-" + "t" * 32
AUTH = {"authorization": f"Bearer {INTERNAL_TOKEN}"}


async def wait_until(check: Callable[[], Awaitable[Any]], within: float = 5.0, interval: float = 0.05,
                     message: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {message}")
        await asyncio.sleep(interval)


class Simulator:
    """The simulator's control API (`/_sim/…`) on a running simulator."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url.rstrip("/")
        self.http = http
        self.google = GoogleControl(http, self.url)

    async def call(self, method: str, path: str, payload: dict | None = None) -> Any:
        async with self.http.request(method, self.url + path, json=payload) as response:
            body = await response.json(content_type=None)
            assert response.status < 400, f"{method} {path}: {response.status} {body}"
            return body

    async def aws_settings(self, **changes: Any) -> dict:
        return await self.call("PUT", "/_sim/aws/settings", changes)

    async def aws_user(self, **options: Any) -> dict:
        return await self.call("POST", "/_sim/aws/users", options)

    async def aws_user_detail(self, user_id: str) -> dict:
        return await self.call("GET", f"/_sim/aws/users/{user_id}")

    async def aws_faults(self, user_id: str, *faults: str) -> None:
        if faults:
            await self.call("PUT", f"/_sim/aws/users/{user_id}/faults", {"faults": list(faults)})
        else:
            await self.call("DELETE", f"/_sim/aws/users/{user_id}/faults")

    async def revoke_refresh_token(self, user_id: str) -> None:
        await self.call("POST", f"/_sim/aws/users/{user_id}/revoke_refresh_token", {})

    async def counters(self) -> dict:
        return (await self.call("GET", "/_sim/aws/counters"))["counters"]

    async def user_counters(self, user_id: str) -> dict:
        return (await self.call("GET", "/_sim/aws/counters"))["users"].get(user_id, {})

    async def advance_clock(self, seconds: float) -> None:
        await self.call("POST", "/_sim/clock", {"advance": seconds})

    async def access_token_ok(self, user_id: str, token: str) -> bool:
        """The simulator's own verdict on an access token: issued to the user, not expired, not revoked."""
        detail = await self.aws_user_detail(user_id)
        return any(t["accessToken"] == token and not t["expired"] and not t["revoked"]
                   for t in detail["accessTokens"])

    async def refresh_token_ok(self, user_id: str, refresh_token: str) -> bool:
        return (await self.aws_user_detail(user_id))["refreshToken"] == refresh_token


async def seed_amazonq_account(store: Store, pool: AccountPool, user: dict, *, with_access_token: bool = True,
                               expires_at: float | None = None, access_token: str | None = None,
                               **fields: Any) -> Account:
    """An account for a simulated AWS user, written to the store and synced to Redis like accounts does."""
    token = access_token if access_token is not None else (user.get("accessToken") if with_access_token else None)
    if expires_at is None and access_token is None and with_access_token:
        expires_at = user.get("expiresAt")
    account = await store.create_account(
        "amazonq", label=fields.pop("label", user["userId"]), client_id=user["clientId"],
        client_secret=user["clientSecret"], refresh_token=user["refreshToken"], access_token=token,
        access_token_expires_at=expires_at, region="us-east-1", **fields)
    await sync_account(pool, account, token)
    return account
