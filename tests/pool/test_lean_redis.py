"""The lean pipelined Redis client (shared/redis/lean.py) against a real redis-server."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from shared.redis.client import connect_redis
from shared.redis.lean import LeanRedis, LuaScript

ECHO = LuaScript("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2}")


@pytest.fixture
async def lean(redis_url):
    client = LeanRedis.from_url(redis_url, name="q2api-test-lean")
    yield client
    await client.aclose()


@pytest.fixture
async def plain(redis_url):
    client = connect_redis(redis_url)
    yield client
    await client.aclose()


async def test_replies_are_decoded_like_the_main_clients(lean):
    assert await lean.execute("SET", "k", "välue") == "OK"
    assert await lean.execute("GET", "k") == "välue"
    assert await lean.execute("INCRBY", "n", 5) == 5
    assert await lean.execute("GET", "missing") is None
    assert await lean.execute("HSET", "h", "a", 1.5, "b", b"raw") == 2
    assert await lean.execute("HGETALL", "h") == ["a", "1.5", "b", "raw"]


async def test_error_replies_raise_redis_py_errors_and_the_connection_goes_on(lean):
    await lean.execute("SET", "k", "text")
    with pytest.raises(ResponseError, match="not an integer"):
        await lean.execute("INCR", "k")
    assert await lean.execute("GET", "k") == "text"


async def test_scripts_run_by_sha_and_are_loaded_again_after_a_flush(lean, plain):
    assert await lean.run_script(ECHO, ["key"], ["arg", 21]) == ["key", "arg", 42]
    await plain.script_flush()
    assert await lean.run_script(ECHO, ["key"], ["again", 1]) == ["key", "again", 2]
    assert await plain.script_exists(ECHO.sha) == [True]


async def test_concurrent_callers_each_get_their_own_reply(lean):
    replies = await asyncio.gather(*(lean.execute("ECHO", f"m{i}") for i in range(2000)))
    assert replies == [f"m{i}" for i in range(2000)]
    assert await lean.execute("CLIENT", "GETNAME") == "q2api-test-lean"


async def test_a_cancelled_caller_does_not_shift_the_others_replies(lean, plain):
    # BLPOP holds its reply until the list gets an element: cancel the waiter meanwhile, then check that
    # the replies queued behind it still reach their own callers.
    blocked = asyncio.ensure_future(lean.execute("BLPOP", "list", 5))
    behind = [asyncio.ensure_future(lean.execute("ECHO", f"after{i}")) for i in range(5)]
    await asyncio.sleep(0.05)
    blocked.cancel()
    await plain.rpush("list", "x")
    assert await asyncio.gather(*behind) == [f"after{i}" for i in range(5)]
    assert await lean.execute("ECHO", "next") == "next"


async def test_a_lost_connection_fails_what_was_in_flight_and_the_next_command_reconnects(lean, plain):
    await lean.execute("CLIENT", "SETNAME", "victim")
    in_flight = asyncio.ensure_future(lean.execute("BLPOP", "never", 5))
    await asyncio.sleep(0.05)
    clients = await plain.client_list()
    victim = next(c for c in clients if c["name"] == "victim")
    await plain.client_kill_filter(_id=victim["id"])
    with pytest.raises(RedisConnectionError, match="lost"):
        await in_flight
    assert await lean.execute("PING") == "PONG"


async def test_the_database_number_and_name_come_from_the_url(redis_server, plain):
    client = LeanRedis.from_url(redis_server.url.rsplit("/", 1)[0] + "/3", name="q2api-db3")
    try:
        await client.execute("SET", "in-db-3", "yes")
        other = connect_redis(redis_server.url.rsplit("/", 1)[0] + "/3")
        assert await other.get("in-db-3") == "yes"
        await other.aclose()
        assert await plain.get("in-db-3") is None
    finally:
        await client.aclose()


async def test_an_unreachable_redis_is_a_clear_connection_error():
    client = LeanRedis.from_url("redis://127.0.0.1:9/0")
    with pytest.raises(RedisConnectionError, match="Cannot connect to Redis"):
        await client.execute("PING")


def test_urls_with_options_only_redis_py_knows_are_left_to_it():
    assert LeanRedis.from_url("redis://127.0.0.1:6379/0") is not None
    assert LeanRedis.from_url("unix:///tmp/redis.sock?db=2") is not None
    assert LeanRedis.from_url("rediss://cache.internal:6380/0") is not None
    assert LeanRedis.from_url("rediss://cache.internal:6380/0?ssl_ca_certs=/etc/ca.pem") is None
