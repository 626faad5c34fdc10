"""The simulated AWS SSO-OIDC service: RegisterClient, StartDeviceAuthorization, CreateToken
(refresh_token and device_code grants) and the verification page (amazonq.md §5-§6)."""

from __future__ import annotations

import asyncio

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from qsim_helpers import call_generate, generate_body, new_user, sim_app

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = ["codewhisperer:completions", "codewhisperer:analysis", "codewhisperer:conversations"]


async def _register(client) -> dict:
    response = await client.post("/oidc/client/register", json={
        "clientName": "Amazon Q Developer for command line", "clientType": "public", "scopes": SCOPES})
    assert response.status == 200
    return await response.json()


async def _start(client, registration: dict) -> dict:
    response = await client.post("/oidc/device_authorization", json={
        "clientId": registration["clientId"], "clientSecret": registration["clientSecret"],
        "startUrl": "https://view.awsapps.com/start"})
    assert response.status == 200
    return await response.json()


async def _poll(client, registration: dict, device: dict):
    return await client.post("/oidc/token", json={
        "clientId": registration["clientId"], "clientSecret": registration["clientSecret"],
        "grantType": DEVICE_GRANT, "deviceCode": device["deviceCode"]})


async def _refresh(client, user: dict, refresh_token: str | None = None):
    return await client.post("/oidc/token", json={
        "clientId": user["clientId"], "clientSecret": user["clientSecret"], "grantType": "refresh_token",
        "refreshToken": refresh_token or user["refreshToken"]})


async def _oauth_error(response) -> tuple[int, str, dict]:
    return response.status, response.headers.get("x-amzn-ErrorType", ""), await response.json()


# ---------------------------------------------------------------- RegisterClient


async def test_register_client_returns_credentials_and_their_expiry(sim):
    registration = await _register(sim)
    assert set(registration) == {"clientId", "clientSecret", "clientIdIssuedAt", "clientSecretExpiresAt"}
    assert registration["clientSecretExpiresAt"] > registration["clientIdIssuedAt"]


async def test_register_client_accepts_only_public_clients(sim):
    response = await sim.post("/oidc/client/register", json={"clientName": "x", "clientType": "confidential"})
    status, error_type, body = await _oauth_error(response)
    assert (status, error_type, body["error"]) == (400, "InvalidClientMetadataException", "invalid_client_metadata")


async def test_register_client_needs_a_name(sim):
    status, error_type, body = await _oauth_error(await sim.post("/oidc/client/register", json={"clientType": "public"}))
    assert (status, error_type, body["error"]) == (400, "InvalidRequestException", "invalid_request")


# ---------------------------------------------------------------- refresh_token grant


async def test_refresh_returns_a_new_working_access_token_and_the_same_refresh_token(sim):
    user = await new_user(sim)
    response = await _refresh(sim, user)
    assert response.status == 200 and response.headers["content-type"].startswith("application/json")
    tokens = await response.json()
    assert set(tokens) == {"accessToken", "tokenType", "expiresIn", "refreshToken"}
    assert tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 3600
    assert tokens["refreshToken"] == user["refreshToken"]
    assert tokens["accessToken"] != user["accessToken"]
    assert (await call_generate(sim, tokens["accessToken"], generate_body())).status == 200
    assert (await _refresh(sim, user)).status == 200  # still valid without rotation


async def test_refresh_with_rotation_returns_a_new_refresh_token_and_retires_the_old(sim):
    user = await new_user(sim, rotate_refresh_token=True)
    tokens = await (await _refresh(sim, user)).json()
    assert tokens["refreshToken"] != user["refreshToken"]
    status, _, body = await _oauth_error(await _refresh(sim, user))
    assert status == 400 and body == {"error": "invalid_grant", "error_description": "Invalid refresh token provided"}
    assert (await _refresh(sim, user, tokens["refreshToken"])).status == 200


async def test_rotation_can_be_switched_on_globally(sim):
    user = await new_user(sim)
    await sim.put("/_sim/aws/settings", json={"rotate_refresh_tokens": True})
    tokens = await (await _refresh(sim, user)).json()
    assert tokens["refreshToken"] != user["refreshToken"]


async def test_access_token_lifetime_setting_drives_expires_in(sim):
    user = await new_user(sim, access_token_lifetime=None)
    await sim.put("/_sim/aws/settings", json={"access_token_lifetime": 2})
    tokens = await (await _refresh(sim, user)).json()
    assert tokens["expiresIn"] == 2


async def test_revoked_refresh_token_is_invalid_grant(sim):
    user = await new_user(sim)
    await sim.post(f"/_sim/aws/users/{user['userId']}/revoke_refresh_token")
    status, error_type, body = await _oauth_error(await _refresh(sim, user))
    assert (status, error_type) == (400, "InvalidGrantException")
    assert body == {"error": "invalid_grant", "error_description": "Invalid refresh token provided"}


async def test_unknown_refresh_token_is_invalid_grant(sim):
    user = await new_user(sim)
    status, _, body = await _oauth_error(await _refresh(sim, user, "aorAAAAAGnot-a-real-token"))
    assert status == 400 and body["error"] == "invalid_grant"


async def test_a_refresh_token_of_another_client_is_invalid_grant(sim):
    one, two = await new_user(sim), await new_user(sim)
    response = await sim.post("/oidc/token", json={
        "clientId": two["clientId"], "clientSecret": two["clientSecret"], "grantType": "refresh_token",
        "refreshToken": one["refreshToken"]})
    assert (await _oauth_error(response))[2]["error"] == "invalid_grant"


async def test_wrong_client_secret_is_401_invalid_client(sim):
    user = await new_user(sim)
    response = await sim.post("/oidc/token", json={
        "clientId": user["clientId"], "clientSecret": "wrong", "grantType": "refresh_token",
        "refreshToken": user["refreshToken"]})
    status, error_type, body = await _oauth_error(response)
    assert (status, error_type, body["error"]) == (401, "InvalidClientException", "invalid_client")


async def test_expired_client_registration_is_invalid_client(sim):
    user = await new_user(sim)
    await sim.post("/_sim/clock", json={"advance": 91 * 86400})
    assert (await _refresh(sim, user)).status == 401


async def test_unsupported_grant_type(sim):
    user = await new_user(sim)
    response = await sim.post("/oidc/token", json={
        "clientId": user["clientId"], "clientSecret": user["clientSecret"], "grantType": "password"})
    status, error_type, body = await _oauth_error(response)
    assert (status, error_type, body["error"]) == (400, "UnsupportedGrantTypeException", "unsupported_grant_type")


@pytest.mark.parametrize("missing", ["clientId", "clientSecret", "grantType", "refreshToken"])
async def test_missing_fields_are_invalid_request(sim, missing):
    user = await new_user(sim)
    request = {"clientId": user["clientId"], "clientSecret": user["clientSecret"], "grantType": "refresh_token",
               "refreshToken": user["refreshToken"]}
    del request[missing]
    status, error_type, body = await _oauth_error(await sim.post("/oidc/token", json=request))
    assert (status, error_type, body["error"]) == (400, "InvalidRequestException", "invalid_request")


async def test_snake_case_fields_are_not_understood(sim):
    user = await new_user(sim)
    response = await sim.post("/oidc/token", json={
        "client_id": user["clientId"], "client_secret": user["clientSecret"], "grant_type": "refresh_token",
        "refresh_token": user["refreshToken"]})
    assert (await _oauth_error(response))[2]["error"] == "invalid_request"


# ---------------------------------------------------------------- device authorization


async def test_device_flow_pending_slow_down_approve_token(sim):
    registration = await _register(sim)
    device = await _start(sim, registration)
    assert set(device) == {"deviceCode", "userCode", "verificationUri", "verificationUriComplete", "expiresIn", "interval"}
    assert (device["expiresIn"], device["interval"]) == (600, 1)
    assert len(device["userCode"]) == 9 and device["userCode"][4] == "-"
    assert device["verificationUriComplete"] == f"{device['verificationUri']}?user_code={device['userCode']}"

    first = await _oauth_error(await _poll(sim, registration, device))
    assert first == (400, "AuthorizationPendingException", {"error": "authorization_pending"})
    second = await _oauth_error(await _poll(sim, registration, device))
    assert second == (400, "SlowDownException", {"error": "slow_down"})

    page = await sim.get(device["verificationUriComplete"].split(str(sim.server.port), 1)[1])
    html = await page.text()
    assert page.status == 200 and device["userCode"] in html and "Approve" in html and "Deny" in html
    approved = await sim.post("/oidc/device", data={"user_code": device["userCode"], "action": "approve"})
    assert approved.status == 200

    await sim.post("/_sim/clock", json={"advance": 7})  # the interval grew to 6 s after slow_down
    response = await _poll(sim, registration, device)
    assert response.status == 200
    tokens = await response.json()
    assert set(tokens) == {"accessToken", "tokenType", "expiresIn", "refreshToken"}
    assert (await call_generate(sim, tokens["accessToken"], generate_body())).status == 200
    refreshed = await sim.post("/oidc/token", json={
        "clientId": registration["clientId"], "clientSecret": registration["clientSecret"],
        "grantType": "refresh_token", "refreshToken": tokens["refreshToken"]})
    assert refreshed.status == 200
    assert (await _oauth_error(await _poll(sim, registration, device)))[2]["error"] == "invalid_grant"


async def test_polling_sooner_than_the_grown_interval_slows_down_again(sim):
    registration = await _register(sim)
    device = await _start(sim, registration)
    await _poll(sim, registration, device)
    await _poll(sim, registration, device)  # slow_down: interval 6
    await sim.post("/_sim/clock", json={"advance": 3})
    assert (await _oauth_error(await _poll(sim, registration, device)))[2]["error"] == "slow_down"
    await sim.post("/_sim/clock", json={"advance": 12})
    assert (await _oauth_error(await _poll(sim, registration, device)))[2]["error"] == "authorization_pending"


async def test_denied_device_authorization_is_access_denied(sim):
    registration = await _register(sim)
    device = await _start(sim, registration)
    denied = await sim.post("/oidc/device", data={"user_code": device["userCode"].lower(), "action": "deny"})
    assert denied.status == 200
    status, error_type, body = await _oauth_error(await _poll(sim, registration, device))
    assert (status, error_type, body["error"]) == (400, "AccessDeniedException", "access_denied")


async def test_expired_device_code_is_expired_token(sim):
    registration = await _register(sim)
    device = await _start(sim, registration)
    await sim.post("/_sim/clock", json={"advance": 601})
    status, error_type, body = await _oauth_error(await _poll(sim, registration, device))
    assert (status, error_type, body["error"]) == (400, "ExpiredTokenException", "expired_token")
    late = await sim.post("/oidc/device", data={"user_code": device["userCode"], "action": "approve"})
    assert late.status == 400


async def test_device_authorization_needs_a_valid_client(sim):
    response = await sim.post("/oidc/device_authorization", json={
        "clientId": "nope", "clientSecret": "nope", "startUrl": "https://view.awsapps.com/start"})
    assert (await _oauth_error(response))[:2] == (401, "InvalidClientException")


async def test_verification_page_for_an_unknown_code_is_404(sim):
    assert (await sim.get("/oidc/device?user_code=ZZZZ-ZZZZ")).status == 404
    assert (await sim.post("/oidc/device", data={"user_code": "ZZZZ-ZZZZ", "action": "approve"})).status == 404
    entry_form = await sim.get("/oidc/device")
    assert entry_form.status == 200 and "user_code" in await entry_form.text()


async def test_device_timing_knobs_are_settings(sim):
    await sim.put("/_sim/aws/settings", json={"device_expires_in": 30, "device_interval": 2})
    device = await _start(sim, await _register(sim))
    assert (device["expiresIn"], device["interval"]) == (30, 2)


# ---------------------------------------------------------------- botocore's own sso-oidc client


async def test_botocore_sso_oidc_client_understands_the_simulator(aiohttp_server):
    server = await aiohttp_server(sim_app())
    client = botocore.session.get_session().create_client(
        "sso-oidc", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{server.port}/oidc",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))

    def flow() -> tuple[dict, str, str]:
        registration = client.register_client(clientName="q2api test", clientType="public", scopes=SCOPES)
        device = client.start_device_authorization(
            clientId=registration["clientId"], clientSecret=registration["clientSecret"],
            startUrl="https://view.awsapps.com/start")
        try:
            client.create_token(clientId=registration["clientId"], clientSecret=registration["clientSecret"],
                                grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])
        except client.exceptions.AuthorizationPendingException:
            pending = "pending"
        try:
            client.create_token(clientId=registration["clientId"], clientSecret=registration["clientSecret"],
                                grantType="refresh_token", refreshToken="aorAAAAAGbogus")
        except client.exceptions.InvalidGrantException as error:
            grant = error.response
        return device, pending, grant

    device, pending, grant = await asyncio.to_thread(flow)
    assert device["userCode"] and device["interval"] == 1
    assert pending == "pending"
    assert grant["Error"]["Code"] == "InvalidGrantException"
    assert grant["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert grant["error"] == "invalid_grant" and grant["error_description"] == "Invalid refresh token provided"


async def test_oidc_faults_fail_the_users_refresh_grants_until_cleared(sim):
    user = await new_user(sim)
    path = f"/_sim/aws/users/{user['userId']}/faults"
    await sim.put(path, json={"faults": ["oidc_server_error"]})
    status, error_type, body = await _oauth_error(await _refresh(sim, user))
    assert (status, error_type, body["error"]) == (500, "InternalServerException", "server_error")
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 200  # Q is unaffected
    await sim.delete(path)
    assert (await _refresh(sim, user)).status == 200


async def test_oidc_faults_cannot_be_one_shot(sim):
    user = await new_user(sim)
    response = await sim.post(f"/_sim/aws/users/{user['userId']}/script", json={"responses": ["oidc_invalid_grant"]})
    assert response.status == 400
