"""ListAvailableModels and GetUsageLimits on the simulated Amazon Q (amazonq.md §7)."""

from __future__ import annotations

from qsim_helpers import (
    AWS_JSON,
    BODY_BEARER_INVALID,
    LIST_MODELS,
    USAGE_LIMITS,
    aws_json_headers,
    call_generate,
    generate_body,
    new_user,
)

EXPECTED_MODELS = {"claude-sonnet-4", "claude-sonnet-4.5", "claude-haiku-4.5", "claude-opus-4.5",
                   "claude-sonnet-4.6", "claude-opus-4.6", "claude-3.7-sonnet"}


async def test_list_available_models_returns_models_with_token_limits_and_a_default(sim):
    user = await new_user(sim)
    response = await sim.post("/amazonq/", data='{"origin":"CLI"}', headers=aws_json_headers(user["accessToken"], LIST_MODELS))
    assert response.status == 200 and response.headers["content-type"] == AWS_JSON
    body = await response.json(content_type=None)
    assert {m["modelId"] for m in body["models"]} == EXPECTED_MODELS
    for model in body["models"]:
        assert model["tokenLimits"]["maxInputTokens"] == 200_000 and model["tokenLimits"]["maxOutputTokens"] > 0
    assert body["defaultModel"]["modelId"] in EXPECTED_MODELS
    assert "nextToken" not in body


async def test_list_available_models_paginates(sim):
    user = await new_user(sim)
    headers = aws_json_headers(user["accessToken"], LIST_MODELS)
    seen: list[str] = []
    token = None
    while True:
        request = {"maxResults": 3, **({"nextToken": token} if token else {})}
        body = await (await sim.post("/amazonq/", json=request, headers=headers)).json(content_type=None)
        seen.extend(m["modelId"] for m in body["models"])
        token = body.get("nextToken")
        if token is None:
            break
    assert set(seen) == EXPECTED_MODELS and len(seen) == len(EXPECTED_MODELS)


async def test_list_available_models_needs_a_valid_token(sim):
    response = await sim.post("/amazonq/", data="{}", headers=aws_json_headers("junk", LIST_MODELS))
    assert response.status == 403 and await response.read() == BODY_BEARER_INVALID


async def test_get_usage_limits_counts_the_answers_served(sim):
    user = await new_user(sim, monthly_limit=50)
    for _ in range(3):
        await (await call_generate(sim, user["accessToken"], generate_body())).read()
    response = await sim.post("/amazonq/", json={"origin": "CLI", "isEmailRequired": True},
                              headers=aws_json_headers(user["accessToken"], USAGE_LIMITS))
    assert response.status == 200
    body = await response.json(content_type=None)
    assert body["limits"][0] == {"type": "AGENTIC_REQUEST", "currentUsage": 3, "totalUsageLimit": 50, "percentUsed": 6.0}
    breakdown = body["usageBreakdownList"][0]
    assert breakdown["resourceType"] == "CREDIT" and breakdown["currentUsageWithPrecision"] > 0
    assert breakdown["usageLimitWithPrecision"] == 50.0
    assert body["userInfo"] == {"userId": user["userId"], "email": user["email"]}
    assert body["subscriptionInfo"]["type"].startswith("Q_DEVELOPER_STANDALONE")
    assert isinstance(body["nextDateReset"], int) and body["daysUntilReset"] >= 0


async def test_get_usage_limits_kiro_rest_form(sim):
    user = await new_user(sim)
    response = await sim.get("/amazonq/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST&isEmailRequired=true",
                             headers={"authorization": f"Bearer {user['accessToken']}"})
    assert response.status == 200 and response.headers["content-type"] == "application/json"
    assert (await response.json(content_type=None))["userInfo"]["email"] == user["email"]


async def test_get_usage_limits_rejects_an_unknown_resource_type(sim):
    user = await new_user(sim)
    response = await sim.post("/amazonq/", json={"resourceType": "TOKENS"},
                              headers=aws_json_headers(user["accessToken"], USAGE_LIMITS))
    assert response.status == 400
