"""Code Assist project setup: loadCodeAssist, onboardUser, operations, quota view (gemini-code-assist.md §2, §7.1)."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.simulator.google import setup_google
from services.simulator.google.control_client import GoogleControl

METADATA = {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}


@pytest.fixture
async def client(aiohttp_client) -> TestClient:
    app = web.Application()
    setup_google(app)
    return await aiohttp_client(app)


@pytest.fixture
def control(client: TestClient) -> GoogleControl:
    return GoogleControl(client)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def rpc(client: TestClient, method: str, token: str | None, body: dict | None = None):
    return await client.post(f"/codeassist/v1internal:{method}", json=body or {}, headers=bearer(token))


async def test_a_new_user_has_no_current_tier_and_no_project(client, control):
    user = await control.create_user(issue_access_token=True)
    response = await rpc(client, "loadCodeAssist", user.access_token, {"metadata": METADATA})
    assert response.status == 200
    body = await response.json()
    assert "currentTier" not in body and "cloudaicompanionProject" not in body
    [default] = [t for t in body["allowedTiers"] if t.get("isDefault")]
    assert default["id"] == "free-tier"


async def test_onboarding_is_an_operation_that_finishes_on_the_next_poll(client, control):
    user = await control.create_user(issue_access_token=True)
    first = await (await rpc(client, "onboardUser", user.access_token, {"tierId": "free-tier",
                                                                         "metadata": METADATA})).json()
    assert first["done"] is False and first["name"].startswith("operations/")
    polled = await client.get(f"/codeassist/v1internal/{first['name']}", headers=bearer(user.access_token))
    done = await polled.json()
    assert done["done"] is True and done["name"] == first["name"]
    project = done["response"]["cloudaicompanionProject"]
    assert project["id"] == project["name"] and project["id"]
    # loadCodeAssist now names the project as a plain string (§11.2).
    loaded = await (await rpc(client, "loadCodeAssist", user.access_token, {"metadata": METADATA})).json()
    assert loaded["cloudaicompanionProject"] == project["id"]
    assert loaded["currentTier"]["id"] == "free-tier"


async def test_re_posting_onboard_user_also_completes_the_operation(client, control):
    user = await control.create_user(issue_access_token=True)
    body = {"tierId": "free-tier", "metadata": METADATA}
    first = await (await rpc(client, "onboardUser", user.access_token, body)).json()
    second = await (await rpc(client, "onboardUser", user.access_token, body)).json()
    assert (first["done"], second["done"]) == (False, True)
    assert isinstance(second["response"]["cloudaicompanionProject"], dict)


async def test_free_tier_onboarding_with_a_project_is_a_precondition_failure(client, control):
    user = await control.create_user(issue_access_token=True)
    response = await rpc(client, "onboardUser", user.access_token,
                         {"tierId": "free-tier", "cloudaicompanionProject": "mine", "metadata": METADATA})
    assert response.status == 400
    assert (await response.json())["error"]["status"] == "FAILED_PRECONDITION"


async def test_standard_tier_onboards_onto_the_users_own_project(client, control):
    user = await control.create_user(issue_access_token=True, tier_id="standard-tier")
    body = {"tierId": "standard-tier", "cloudaicompanionProject": "team-sandbox-1", "metadata": METADATA}
    await rpc(client, "onboardUser", user.access_token, body)
    done = await (await rpc(client, "onboardUser", user.access_token, body)).json()
    assert done["response"]["cloudaicompanionProject"]["id"] == "team-sandbox-1"


async def test_setup_calls_need_a_bearer_token(client):
    response = await client.post("/codeassist/v1internal:loadCodeAssist", json={"metadata": METADATA})
    assert response.status == 401
    error = (await response.json())["error"]
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"


async def test_retrieve_user_quota_reflects_the_quota_counters(client, control):
    user = await control.create_user(issue_access_token=True, onboarded=True)
    await control.quota(user.user_id, 4, model="gemini-2.5-pro")
    body = {"model": "gemini-2.5-pro", "project": user.project_id,
            "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}}
    await client.post("/codeassist/v1internal:generateContent", json=body, headers=bearer(user.access_token))
    quota = await (await rpc(client, "retrieveUserQuota", user.access_token, {"project": user.project_id})).json()
    [bucket] = [b for b in quota["buckets"] if b["modelId"] == "gemini-2.5-pro"]
    assert bucket["remainingAmount"] == "3" and bucket["remainingFraction"] == 0.75
    assert bucket["tokenType"] == "REQUESTS" and bucket["resetTime"].endswith("Z")


async def test_side_calls_of_the_cli_answer_an_empty_object(client, control):
    user = await control.create_user(issue_access_token=True, onboarded=True)
    for method in ("listExperiments", "recordCodeAssistMetrics", "fetchAdminControls"):
        response = await rpc(client, method, user.access_token, {"project": user.project_id})
        assert (response.status, await response.json()) == (200, {})


async def test_an_unknown_method_is_not_found(client, control):
    user = await control.create_user(issue_access_token=True)
    response = await rpc(client, "noSuchMethod", user.access_token)
    assert response.status == 404


async def test_the_simulator_wide_clock_expires_google_access_tokens(aiohttp_client):
    from services.simulator.app import create_app
    from shared.settings import load_settings

    client = await aiohttp_client(create_app(load_settings({})))
    user = await GoogleControl(client).create_user(issue_access_token=True)
    assert (await rpc(client, "loadCodeAssist", user.access_token, {"metadata": METADATA})).status == 200
    await client.post("/_sim/clock", json={"advance": 3600})
    assert (await rpc(client, "loadCodeAssist", user.access_token, {"metadata": METADATA})).status == 401
    await client.post("/_sim/reset")
    assert (await client.get("/_sim/google/users")).status == 200
    assert (await (await client.get("/_sim/google/users")).json())["users"] == []
