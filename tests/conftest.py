"""Fixtures every test can use: a private redis-server, PostgreSQL, free ports.

Tests start their own `redis-server` on a free port and never touch a Redis they did not start.
PostgreSQL is the machine's (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres);
when it is unreachable the tests that need it skip loudly — or fail, when CI is set, because CI must
not skip them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from redis_support import RedisServer

from q2api.supervisor import free_port

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A clean private Redis for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A PostgreSQL URL tests may create databases from; skips (fails in CI) when unreachable."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            pass
    except OSError as exc:
        message = f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432} ({exc}); set TEST_DATABASE_URL"
        if in_ci():
            pytest.fail("CI must run the PostgreSQL tests: " + message)
        pytest.skip(message)
    return url


@pytest.fixture
def unused_port() -> int:
    return free_port()
