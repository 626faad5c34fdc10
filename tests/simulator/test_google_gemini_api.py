"""The public Gemini API stand-in: API keys, bare responses, its own error bodies."""

from __future__ import annotations

import json
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.simulator.google import setup_google
from services.simulator.google.control_client import GoogleControl

CONTENTS = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}


@pytest.fixture
async def client(aiohttp_client) -> TestClient:
    app = web.Application()
    setup_google(app)
    return await aiohttp_client(app)


@pytest.fixture
def control(client: TestClient) -> GoogleControl:
    return GoogleControl(client)


@pytest.fixture
async def key(control: GoogleControl) -> str:
    return await control.create_api_key(label="test")


def stream_path(model: str = "gemini-2.5-flash") -> str:
    return f"/gemini/v1beta/models/{model}:streamGenerateContent"


async def test_stream_events_are_bare_responses_without_envelope(client, key):
    response = await client.post(stream_path(), params={"alt": "sse"}, json=CONTENTS, headers={"x-goog-api-key": key})
    raw = await response.read()
    assert response.status == 200 and "x-cloudaicompanion-trace-id" not in response.headers
    assert re.fullmatch(rb"(data: \{[^\r\n]*\}\r\n\r\n)+", raw)
    events = [json.loads(block[6:]) for block in raw[:-4].split(b"\r\n\r\n")]
    assert all("response" not in e and e["candidates"][0]["index"] == 0 for e in events)
    assert all(e["usageMetadata"]["promptTokenCount"] > 0 for e in events)  # cumulative on every chunk
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert len({e["responseId"] for e in events}) == 1


async def test_the_key_may_come_as_a_query_parameter(client, key):
    response = await client.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", params={"key": key},
                                 json=CONTENTS)
    body = await response.json()
    assert response.status == 200 and body["candidates"][0]["content"]["parts"][0]["text"]


async def test_no_key_is_403_unregistered_callers(client):
    response = await client.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", json=CONTENTS)
    error = (await response.json())["error"]
    assert response.status == 403 and error["message"].startswith("Method doesn't allow unregistered callers")


async def test_a_bad_key_is_400_api_key_invalid(client):
    response = await client.post(stream_path(), params={"alt": "sse"}, json=CONTENTS,
                                 headers={"x-goog-api-key": "AIzaSy-nope"})
    body = await response.json()
    assert response.status == 400 and isinstance(body, dict)  # objects, not arrays, on this API
    assert body["error"]["details"][0]["reason"] == "API_KEY_INVALID"


async def test_an_unknown_model_names_itself_in_the_404(client, key):
    response = await client.post("/gemini/v1beta/models/gemini-0:generateContent", json=CONTENTS,
                                 headers={"x-goog-api-key": key})
    assert response.status == 404
    assert (await response.json())["error"]["message"].startswith("models/gemini-0 is not found for API version v1beta")


async def test_quota_429_says_please_retry_in(client, control, key):
    await control.quota(key, 0, reason="RATE_LIMIT_EXCEEDED", window_s=60)
    response = await client.post(stream_path(), params={"alt": "sse"}, json=CONTENTS, headers={"x-goog-api-key": key})
    error = (await response.json())["error"]
    assert response.status == 429 and "Please retry in " in error["message"]
    types = [d["@type"].rsplit(".", 1)[-1] for d in error["details"]]
    assert types == ["QuotaFailure", "Help", "RetryInfo"]


async def test_the_function_role_is_rejected_on_the_public_api(client, key):
    body = {"contents": [{"role": "function", "parts": [{"text": "x"}]}]}
    response = await client.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", json=body,
                                 headers={"x-goog-api-key": key})
    assert response.status == 400


async def test_missing_signature_uses_the_ai_studio_wording(client, key):
    body = {"contents": [
        {"role": "user", "parts": [{"text": "read"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "read_file", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "read_file", "response": {}}}]},
    ]}
    response = await client.post("/gemini/v1beta/models/gemini-3-pro-preview:generateContent", json=body,
                                 headers={"x-goog-api-key": key})
    message = (await response.json())["error"]["message"]
    assert response.status == 400 and message.startswith("Function call is missing a thought_signature")


async def test_directives_work_the_same_as_on_code_assist(client, key):
    body = {"contents": [{"role": "user", "parts": [{"text": 'go [[tool_use:lookup {"q": "x"}]]'}]}],
            "tools": [{"functionDeclarations": [{"name": "lookup", "parameters": {"type": "OBJECT", "properties":
                                                                                   {"q": {"type": "STRING"}}}}]}]}
    response = await client.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", json=body,
                                 headers={"x-goog-api-key": key})
    parts = (await response.json())["candidates"][0]["content"]["parts"]
    assert {"functionCall": {"name": "lookup", "args": {"q": "x"}}} in parts


async def test_models_list_and_count_tokens(client, key):
    listed = await (await client.get("/gemini/v1beta/models", headers={"x-goog-api-key": key})).json()
    assert "models/gemini-2.5-flash" in [m["name"] for m in listed["models"]]
    counted = await client.post("/gemini/v1beta/models/gemini-2.5-flash:countTokens", json=CONTENTS,
                                headers={"x-goog-api-key": key})
    assert (await counted.json())["totalTokens"] == 2


async def test_a_revoked_key_stops_working(client, control, key):
    await client.post("/_sim/google/api_keys/revoke", json={"api_key": key})
    response = await client.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", json=CONTENTS,
                                 headers={"x-goog-api-key": key})
    assert response.status == 400
