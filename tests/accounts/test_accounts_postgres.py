"""The accounts service on PostgreSQL (a fresh database for this module): the same behaviour as on SQLite."""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from accounts_support import add_accounts, all_consumed, assert_store_matches, eventually, run_requests

from services.accounts.context import STORE
from shared.redis import keys
from shared.redis.pool import AccountPool, Lease, policy_from_settings
from shared.service import REDIS, SETTINGS

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def postgres_database(postgres_admin_url: str) -> Iterator[str]:
    name = f"q2api_accounts_{secrets.token_hex(6)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres_admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as thread:  # no event loop may run here: use a thread of its own
        thread.submit(asyncio.run, admin(f'CREATE DATABASE "{name}"')).result()
        yield urlunsplit(urlsplit(postgres_admin_url)._replace(path=f"/{name}", query=""))
        thread.submit(asyncio.run, admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')).result()


@pytest.fixture
async def pg_admin(start_accounts, postgres_database):
    # each test gets its own schema in the module's fresh database
    schema = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(postgres_database)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    admin = await start_accounts(DATABASE_URL=f"{postgres_database}?search_path={schema}")
    await admin.wait_rebuilt()
    assert admin.app[STORE].dialect == "postgres"
    return admin


class TestOnPostgres:
    async def test_both_api_styles_create_list_patch_and_delete(self, pg_admin):
        ours = await pg_admin.call("POST", "/admin/api/accounts", json={
            "label": "pg", "client_id": "c", "client_secret": "client-secret-0123456789",
            "refresh_token": "refresh-token-0123456789-RFSH", "access_token": "access-token-0123456789"}, expect=201)
        seed = await pg_admin.call("POST", "/v2/accounts", json={
            "clientId": "sc", "clientSecret": "seed-secret-0123456789", "accessToken": "seed-access-0123456789",
            "other": {"profileArn": "arn:p"}})
        assert ours["refresh_token_last4"] == "RFSH" and seed["other"]["profileArn"] == "arn:p"
        assert (await pg_admin.call("GET", "/v2/accounts"))["count"] == 2
        patched = await pg_admin.call("PATCH", f"/admin/api/accounts/{seed['id']}", json={"label": "renamed"})
        assert patched["label"] == "renamed" and patched["profile_arn"] == "arn:p"
        assert await pg_admin.call("DELETE", f"/v2/accounts/{ours['id']}") == {"deleted": ours["id"]}
        assert [a["id"] for a in (await pg_admin.call("GET", "/admin/api/accounts"))["accounts"]] == [seed["id"]]

    async def test_concurrent_events_are_counted_exactly(self, pg_admin):
        ids = await add_accounts(pg_admin, 6)
        pool = AccountPool(pg_admin.app[REDIS], policy_from_settings(pg_admin.app[SETTINGS]))
        released = await run_requests(pool, 200, random.Random(17))
        await eventually(lambda: all_consumed(pg_admin), what="every event consumed")
        await assert_store_matches(pg_admin, ids, released)

    async def test_redis_is_rebuilt_from_postgres_after_a_flush(self, pg_admin):
        account = await pg_admin.call("POST", "/admin/api/accounts", json={"access_token": "access-token-0123456789"},
                                      expect=201)
        redis = pg_admin.app[REDIS]
        await redis.flushall()
        await eventually(lambda: redis.exists(keys.account(account["id"])), what="the rebuild")
        lease = await AccountPool(redis).lease("amazonq")
        assert isinstance(lease, Lease) and lease.account_id == account["id"]
