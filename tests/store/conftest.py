"""Fixtures for the store contract tests: every store test runs once per backend.

``backend`` is parametrised over SQLite (a file in tmp_path) and PostgreSQL (a schema of its own in a
database created for the session from ``postgres_admin_url`` and dropped at its end). Names are
random, so pytest-xdist workers never share a database.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from store_support import FakeClock, Opener, RawFetch, Target

from shared.store import Store, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_test_database(postgres_admin_url: str) -> Iterator[str]:
    """A database for this session (one per xdist worker), created now and dropped at the end."""
    name = f"q2api_test_{secrets.token_hex(6)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres_admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # first requested from inside an async fixture, where a loop is running: use a thread of its own
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, admin(f'CREATE DATABASE "{name}"')).result()
        yield urlunsplit(urlsplit(postgres_admin_url)._replace(path=f"/{name}", query=""))
        thread.submit(asyncio.run, admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')).result()


@pytest.fixture
async def target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Target:
    """An empty place for this test's store.

    PostgreSQL: a fresh schema in the session's database, selected through the URL's
    ``search_path`` (asyncpg passes unknown URL parameters on as server settings). CREATE DATABASE
    costs ~0.3 s; a schema costs ~1 ms and isolates tables just as well.
    """
    if backend == "sqlite":
        return Target("sqlite", f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path)
    database_url: str = request.getfixturevalue("postgres_test_database")
    schema = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    return Target("postgres", f"{database_url}?search_path={schema}", tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def open_target(target: Target, clock: FakeClock) -> AsyncIterator[Opener]:
    """Open (another) store on the test's database; every store opened is closed at teardown."""
    opened: list[Store] = []
    test_clock = clock

    async def opener(*, key: bytes | None = None, clock: FakeClock | None = None) -> Store:
        """``key`` defaults to the test's key; ``clock`` to the test's clock."""
        store = await open_store(
            target.database_url,
            data_dir=target.data_dir,
            credentials_key=key or target.key,
            clock=clock or test_clock,
        )
        opened.append(store)
        return store

    yield opener
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_target: Opener) -> Store:
    """A fresh, migrated store on an empty database."""
    return await open_target()


@pytest.fixture
def raw_fetch(target: Target) -> RawFetch:
    """Run SQL on the database directly, bypassing the store: what an attacker with the file sees."""

    async def fetch(sql: str) -> list[tuple[Any, ...]]:
        if target.backend == "sqlite":
            path = target.database_url.removeprefix("sqlite:///")
            with closing(sqlite3.connect(path)) as conn:
                return conn.execute(sql).fetchall()
        conn = await asyncpg.connect(target.database_url)
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    return fetch
