"""Every service: app factory, /healthz, /readyz (its dependencies), /metrics, request ids, JSON logs."""

import io
import json
import logging

import pytest

from services.accounts.app import create_app as accounts_app
from services.edge.app import create_app as edge_app
from services.refresher.app import create_app as refresher_app
from services.simulator.app import create_app as simulator_app
from services.translator.app import create_app as translator_app
from shared.logs import configure_logging
from shared.redis import translators
from shared.redis.client import connect_redis
from shared.settings import load_settings

FACTORIES = {
    "edge": edge_app,
    "translator": translator_app,
    "accounts": accounts_app,
    "refresher": refresher_app,
    "simulator": simulator_app,
}


@pytest.fixture
def settings(redis_url, tmp_path):
    return load_settings({"REDIS_URL": redis_url, "DATA_DIR": str(tmp_path), "INTERNAL_TOKEN": "t" * 32})


@pytest.mark.parametrize("name", sorted(FACTORIES))
async def test_service_answers_health_ready_and_metrics(aiohttp_client, settings, name):
    if name == "edge":  # edge is ready only when a translator is registered
        redis = connect_redis(settings.redis_url)
        await translators.announce(redis, "t1", "http://127.0.0.1:9", 0)
        await redis.aclose()
    client = await aiohttp_client(FACTORIES[name](settings))
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.json())["service"] == name
    ready = await client.get("/readyz")
    assert ready.status == 200, await ready.text()
    metrics = await client.get("/metrics")
    assert metrics.status == 200
    assert "# TYPE q2api_http_requests_total counter" in await metrics.text()


@pytest.mark.parametrize("name", ["edge", "accounts"])
async def test_readyz_reports_an_unreachable_redis(aiohttp_client, tmp_path, unused_port, name):
    settings = load_settings({"REDIS_URL": f"redis://127.0.0.1:{unused_port}/0", "DATA_DIR": str(tmp_path),
                              "INTERNAL_TOKEN": "t" * 32})
    client = await aiohttp_client(FACTORIES[name](settings))
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["checks"]["redis"] != "ok"


async def test_request_id_is_generated_and_returned(aiohttp_client, settings):
    client = await aiohttp_client(edge_app(settings))
    response = await client.get("/healthz")
    assert response.headers["x-request-id"].startswith("req_")
    echoed = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    junk = await client.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert junk.headers["x-request-id"].startswith("req_")


def test_log_lines_are_json_with_service_and_request_id():
    from shared.logs import REQUEST_ID

    stream = io.StringIO()
    configure_logging("edge", "info", stream=stream)
    token = REQUEST_ID.set("req_42")
    try:
        logging.getLogger("q2api.test").info("hello %s", "world", extra={"account": "a1"})
    finally:
        REQUEST_ID.reset(token)
    line = json.loads(stream.getvalue().strip())
    assert line["service"] == "edge" and line["request_id"] == "req_42"
    assert line["msg"] == "hello world" and line["account"] == "a1" and line["level"] == "info"


async def test_edge_is_not_ready_without_a_live_translator(aiohttp_client, settings):
    client = await aiohttp_client(edge_app(settings))
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "no live translator" in (await ready.json())["checks"]["translators"]
