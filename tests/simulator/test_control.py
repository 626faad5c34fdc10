"""The simulator's control API (/_sim/): users, tokens, settings, clock, logs, counters, reset."""

from __future__ import annotations

import pytest
from qsim_helpers import (
    call_generate,
    generate_body,
    new_user,
    state_of,
)

from services.simulator.appkeys import SIM_RESET_HOOKS
from services.simulator.config import SimulatorConfig


async def test_create_user_without_an_access_token_returns_the_oidc_credentials(sim):
    response = await sim.post("/_sim/aws/users", json={})
    assert response.status == 201
    user = await response.json()
    assert set(user) == {"userId", "accountId", "email", "clientId", "clientSecret", "refreshToken"}
    assert len(user["accountId"]) == 12 and user["accountId"].isdigit()


async def test_create_user_with_a_lifetime_returns_a_usable_access_token(sim):
    user = await (await sim.post("/_sim/aws/users", json={"access_token_lifetime": 86400})).json()
    assert user["expiresIn"] == 86400 and user["expiresAt"] > 0
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 200


async def test_access_tokens_are_jwt_shaped_with_a_real_exp(sim):
    import base64
    import json

    user = await new_user(sim, access_token_lifetime=120)
    claims = json.loads(base64.urlsafe_b64decode(user["accessToken"].split(".")[1] + "=="))
    assert claims["sub"] == user["userId"] and 119 <= claims["exp"] - claims["iat"] <= 121


async def test_a_new_access_token_can_be_minted_for_a_user(sim):
    user = await new_user(sim)
    minted = await (await sim.post(f"/_sim/aws/users/{user['userId']}/access_token", json={"lifetime": 30})).json()
    assert minted["expiresIn"] == 30 and minted["accessToken"] != user["accessToken"]
    assert (await call_generate(sim, minted["accessToken"], generate_body())).status == 200


async def test_user_detail_lists_tokens_and_patch_changes_the_user(sim):
    user = await new_user(sim)
    path = f"/_sim/aws/users/{user['userId']}"
    patched = await (await sim.patch(path, json={"rotate_refresh_token": True, "monthly_limit": 5})).json()
    assert patched["rotateRefreshToken"] is True and patched["monthlyLimit"] == 5
    assert [t["accessToken"] for t in patched["accessTokens"]] == [user["accessToken"]]
    listing = await (await sim.get("/_sim/aws/users")).json()
    assert [u["userId"] for u in listing["users"]] == [user["userId"]]


async def test_unknown_user_is_404(sim):
    response = await sim.get("/_sim/aws/users/u-nobody/requests")
    assert response.status == 404 and "u-nobody" in (await response.json())["error"]


async def test_settings_can_be_read_and_changed_and_bad_values_are_refused(sim):
    settings = await (await sim.get("/_sim/aws/settings")).json()
    assert settings["access_token_lifetime"] == 3600 and settings["unauthorized_status"] == 403
    changed = await (await sim.put("/_sim/aws/settings", json={"access_token_lifetime": 5, "rotate_refresh_tokens": True})).json()
    assert changed["access_token_lifetime"] == 5.0 and changed["rotate_refresh_tokens"] is True
    assert (await sim.put("/_sim/aws/settings", json={"unauthorized_status": 418})).status == 400
    assert (await sim.put("/_sim/aws/settings", json={"nonsense": 1})).status == 400
    assert (await sim.put("/_sim/aws/settings", json={"device_interval": "soon"})).status == 400


async def test_clock_moves_forward(sim):
    before = await (await sim.get("/_sim/clock")).json()
    after = await (await sim.post("/_sim/clock", json={"advance": 100})).json()
    assert after["offset"] == 100 and after["now"] - before["now"] >= 99.9


async def test_request_log_keeps_headers_and_parsed_body(sim):
    user = await new_user(sim)
    await (await call_generate(sim, user["accessToken"], generate_body("logged prompt"))).read()
    entries = (await (await sim.get(f"/_sim/aws/users/{user['userId']}/requests?limit=1")).json())["requests"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["operation"] == "GenerateAssistantResponse" and entry["flavour"] == "aws-json"
    assert entry["status"] == 200 and entry["outcome"] == "ok"
    assert entry["headers"]["x-amz-target"] == "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
    assert entry["body"]["conversationState"]["currentMessage"]["userInputMessage"]["content"] == "logged prompt"


async def test_global_request_log_includes_unauthenticated_requests(sim):
    await call_generate(sim, "junk", generate_body())
    entries = (await (await sim.get("/_sim/aws/requests")).json())["requests"]
    assert entries[-1]["userId"] is None and entries[-1]["status"] == 403


async def test_request_log_is_bounded_per_user(aiohttp_client):
    from qsim_helpers import sim_app

    client = await aiohttp_client(sim_app(request_log_size=3))
    user = await new_user(client)
    for _ in range(5):
        await (await call_generate(client, user["accessToken"], generate_body())).read()
    entries = (await (await client.get(f"/_sim/aws/users/{user['userId']}/requests")).json())["requests"]
    assert len(entries) == 3


async def test_counters_count_requests_answers_and_refreshes(sim):
    user = await new_user(sim)
    await (await call_generate(sim, user["accessToken"], generate_body())).read()
    await sim.post("/oidc/token", json={"clientId": user["clientId"], "clientSecret": user["clientSecret"],
                                        "grantType": "refresh_token", "refreshToken": user["refreshToken"]})
    counters = await (await sim.get("/_sim/aws/counters")).json()
    assert counters["counters"]["amazonq_requests"] == 1 and counters["counters"]["answers"] == 1
    assert counters["counters"]["refresh_grants"] == 1
    assert counters["users"][user["userId"]]["answers"] == 1


async def test_script_and_faults_can_be_listed_and_cleared(sim):
    user = await new_user(sim)
    path = f"/_sim/aws/users/{user['userId']}"
    queued = await (await sim.post(path + "/script", json={"responses": [{"fault": "throttled"}, {"text": "hi"}]})).json()
    assert queued == {"script": [{"fault": "throttled"}, {"text": "hi"}]}
    assert (await (await sim.delete(path + "/script")).json()) == {"script": []}
    assert (await (await sim.put(path + "/faults", json={"faults": ["capacity"]})).json()) == {"faults": [{"fault": "capacity"}]}
    assert (await (await sim.get(path + "/faults")).json()) == {"faults": [{"fault": "capacity"}]}


async def test_fault_catalogue_lists_the_named_faults(sim):
    catalogue = await (await sim.get("/_sim/aws/faults")).json()
    assert {"throttled", "capacity", "suspended", "monthly_quota", "monthly_quota_kiro", "invalid_token",
            "invalid_token_401", "server_error", "unavailable", "high_load", "too_long", "malformed"} <= set(catalogue["error_faults"])
    assert {"midstream_error", "truncate", "slow_first_byte", "slow_drip", "long"} <= set(catalogue["stream_faults"])


async def test_reset_forgets_users_and_tokens_and_runs_reset_hooks(sim):
    calls = []
    sim.server.app[SIM_RESET_HOOKS].append(lambda: calls.append(1))
    user = await new_user(sim)
    await sim.put("/_sim/aws/settings", json={"access_token_lifetime": 5})
    assert (await sim.post("/_sim/reset")).status == 200
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 403
    assert (await (await sim.get("/_sim/aws/users")).json()) == {"users": []}
    assert state_of(sim).settings == SimulatorConfig()
    assert calls == [1]


async def test_index_lists_the_control_routes(sim):
    routes = (await (await sim.get("/_sim/")).json())["routes"]
    assert "POST /_sim/aws/users" in routes and "POST /_sim/reset" in routes


async def test_a_body_that_is_not_json_is_refused(sim):
    response = await sim.post("/_sim/aws/users", data="{nope")
    assert response.status == 400


def test_config_reads_simulator_variables():
    config = SimulatorConfig.from_env({"SIMULATOR_ACCESS_TOKEN_LIFETIME": "60", "SIMULATOR_ROTATE_REFRESH_TOKENS": "true",
                                       "SIMULATOR_UNAUTHORIZED_STATUS": "401", "UNRELATED": "x"})
    assert (config.access_token_lifetime, config.rotate_refresh_tokens, config.unauthorized_status) == (60.0, True, 401)
    with pytest.raises(ValueError, match="unauthorized_status must be 401 or 403"):
        SimulatorConfig.from_env({"SIMULATOR_UNAUTHORIZED_STATUS": "500"})
