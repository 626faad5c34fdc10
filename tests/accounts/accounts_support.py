"""Helpers the accounts tests import (conftest.py holds the fixtures)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from services.accounts.context import STORE
from services.accounts.upkeep import UpkeepTiming
from services.accounts.usage_events import OUTCOME_MAP, ConsumerTiming
from shared.redis import keys
from shared.redis.pool import AccountPool, Lease
from shared.service import REDIS

ADMIN_PASSWORD = "correct horse battery staple"
INTERNAL_TOKEN = "i" * 32
FRESH_ACCESS_TOKEN = "fresh-access-token-from-the-refresher-0001"

FAST = UpkeepTiming(
    generation_check=0.05,
    reap_every=0.05,
    housekeeping_every=3600.0,
    consumer=ConsumerTiming(block_ms=20, batch=50, linger=0.02, claim_idle=0.3, claim_every=0.1, retry_delay=0.05),
)


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Admin:
    """A logged-in admin client of one accounts app."""

    client: TestClient
    token: str
    app: web.Application = field(init=False)

    def __post_init__(self) -> None:
        self.app = self.client.server.app

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, *, json: Any = None, data: Any = None,
                   expect: int | None = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, json=json, data=data,
                                             headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)
        text = await response.text()
        if expect is not None:
            assert response.status == expect, f"{method} {path} → {response.status}: {text}"
        return await response.json() if text and response.content_type == "application/json" else text

    async def wait_rebuilt(self) -> None:
        redis = self.app[REDIS]
        await eventually(lambda: redis.exists(keys.GENERATION), what="the first Redis rebuild")


RANDOM_OUTCOMES = ["success"] * 6 + ["cancelled", "bad_request", "throttled", "quota_exhausted", "token_expired",
                                     "upstream_error", "upstream_error", "timeout"]


async def add_accounts(admin, count: int, **fields) -> list[str]:
    ids = []
    for n in range(count):
        body = {"provider": "amazonq", "label": f"acct-{n}", "access_token": f"access-token-{n:04d}-0123456789",
                "max_concurrency": 1000, **fields}
        ids.append((await admin.call("POST", "/admin/api/accounts", json=body, expect=201))["id"])
    return ids


async def run_requests(pool: AccountPool, count: int, rng: random.Random) -> list[tuple[str, str, int, int]]:
    """`count` concurrent lease → release rounds with random outcomes; returns what was released."""
    done: list[tuple[str, str, int, int]] = []

    async def one(n: int) -> None:
        for _attempt in range(20):  # like edge's failover: cooling accounts come back quickly here
            lease = await pool.lease("amazonq", model="claude-sonnet-4.5", request_id=f"req_{n}")
            if isinstance(lease, Lease):
                break
            await asyncio.sleep(0.005)
        else:
            return
        await asyncio.sleep(rng.random() * 0.01)
        outcome = rng.choice(RANDOM_OUTCOMES)
        tokens_in, tokens_out = rng.randint(0, 500), rng.randint(0, 200)
        # retry_after keeps throttled accounts cooling only briefly, so the run keeps serving
        if await pool.release(lease.lease_id, outcome, retry_after=0.01, input_tokens=tokens_in,
                              output_tokens=tokens_out):
            done.append((lease.account_id, outcome, tokens_in, tokens_out))

    await asyncio.gather(*(one(n) for n in range(count)))
    return done


async def all_consumed(admin) -> bool:
    redis = admin.app[REDIS]
    groups = await redis.xinfo_groups(keys.EVENTS)
    stream = await redis.xinfo_stream(keys.EVENTS)
    return bool(groups) and groups[0]["pending"] == 0 and groups[0]["last-delivered-id"] == stream["last-generated-id"]


async def assert_store_matches(admin, ids: list[str], released: list[tuple[str, str, int, int]], *,
                               consecutive: bool = True) -> None:
    store = admin.app[STORE]
    pool = AccountPool(admin.app[REDIS])
    for account_id in ids:
        mine = [outcome for account, outcome, _, _ in released if account == account_id]
        account = await store.get_account(account_id)
        state = await pool.account_state(account_id)
        assert account.success_count == mine.count("success") == int(state.get("ok_total", 0))
        errors = sum(OUTCOME_MAP[o] == "error" for o in mine)
        assert account.total_error_count == errors == int(state.get("err_total", 0))
        if consecutive:
            assert account.error_count == int(state.get("err_streak", 0)), "consecutive errors follow stream order"
    totals = await store.usage_totals()
    assert totals.requests == len(released)
    assert totals.input_tokens == sum(r[2] for r in released)
    assert totals.output_tokens == sum(r[3] for r in released)
    assert totals.errors == sum(OUTCOME_MAP[r[1]] in ("error", "client_error") for r in released)
