"""The simulated Google OAuth endpoint (gemini-code-assist.md §1.4–§1.6, examples C3)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.simulator.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, setup_google
from services.simulator.google.control_client import GoogleControl

REDIRECT = "http://127.0.0.1:8085/oauth2callback"


@pytest.fixture
async def client(aiohttp_client) -> TestClient:
    app = web.Application()
    setup_google(app)
    return await aiohttp_client(app)


@pytest.fixture
def control(client: TestClient) -> GoogleControl:
    return GoogleControl(client)


def refresh_form(refresh_token: str, client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id,
            "client_secret": client_secret}


async def test_refresh_returns_a_new_access_token_and_no_refresh_token(client, control):
    user = await control.create_user()
    response = await client.post("/oauth2/token", data=refresh_form(user.refresh_token))
    assert response.status == 200
    body = await response.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type", "id_token"}
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"
    assert "openid" in body["scope"].split()


async def test_the_same_refresh_token_keeps_working_because_google_does_not_rotate(client, control):
    user = await control.create_user()
    first = await (await client.post("/oauth2/token", data=refresh_form(user.refresh_token))).json()
    second = await (await client.post("/oauth2/token", data=refresh_form(user.refresh_token))).json()
    assert first["access_token"] != second["access_token"]


async def test_expires_in_follows_the_users_configured_lifetime(client, control):
    user = await control.create_user(access_token_lifetime_s=2)
    body = await (await client.post("/oauth2/token", data=refresh_form(user.refresh_token))).json()
    assert body["expires_in"] == 2


async def test_a_revoked_refresh_token_gives_invalid_grant(client, control):
    user = await control.create_user()
    await control.revoke(refresh_token=user.refresh_token)
    response = await client.post("/oauth2/token", data=refresh_form(user.refresh_token))
    assert response.status == 400
    assert await response.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


async def test_a_wrong_client_secret_gives_invalid_client(client, control):
    user = await control.create_user()
    response = await client.post("/oauth2/token", data=refresh_form(user.refresh_token, client_secret="nope"))
    assert response.status == 401
    assert (await response.json())["error"] == "invalid_client"


async def test_an_unknown_client_gives_invalid_client_not_found(client, control):
    user = await control.create_user()
    response = await client.post("/oauth2/token", data=refresh_form(user.refresh_token, client_id="other"))
    assert response.status == 401
    assert await response.json() == {"error": "invalid_client", "error_description": "The OAuth client was not found."}


async def test_a_registered_operator_client_is_accepted(client, control):
    await control.register_client("ops.apps.googleusercontent.com", "ops-secret")
    user = await control.create_user(client_id="ops.apps.googleusercontent.com")
    response = await client.post("/oauth2/token", data=refresh_form(user.refresh_token, "ops.apps.googleusercontent.com",
                                                                    "ops-secret"))
    assert response.status == 200


async def test_a_refresh_token_is_bound_to_the_client_that_minted_it(client, control):
    await control.register_client("ops.apps.googleusercontent.com", "ops-secret")
    user = await control.create_user()  # minted for the default client
    response = await client.post("/oauth2/token", data=refresh_form(user.refresh_token, "ops.apps.googleusercontent.com",
                                                                    "ops-secret"))
    assert response.status == 400
    assert (await response.json())["error"] == "unauthorized_client"


# ------------------------------------------------------------------ authorization code + PKCE


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def consent(client: TestClient, challenge: str | None, *, prompt: str = "", email: str = "ada@example.com",
                  state: str = "st4te") -> dict[str, list[str]]:
    """Open the consent page, approve as a new account, and return the redirect's query."""
    query = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "state": state,
             "access_type": "offline", "scope": "https://www.googleapis.com/auth/cloud-platform "
             "https://www.googleapis.com/auth/userinfo.email"}
    if challenge:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    if prompt:
        query["prompt"] = prompt
    page = await client.get("/oauth2/auth", params=query)
    assert page.status == 200
    consent_id = re.search(r'name="consent_id" value="([^"]+)"', await page.text()).group(1)
    decision = await client.post("/oauth2/auth/decide", data={"consent_id": consent_id, "decision": "approve",
                                                             "email": email}, allow_redirects=False)
    assert decision.status == 302
    location = urlsplit(decision.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


def code_form(code: str, verifier: str | None) -> dict[str, str]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET}
    if verifier is not None:
        form["code_verifier"] = verifier
    return form


async def test_pkce_code_flow_through_the_consent_page_yields_a_refresh_token(client):
    verifier, challenge = pkce_pair()
    query = await consent(client, challenge)
    assert query["state"] == ["st4te"]
    response = await client.post("/oauth2/token", data=code_form(query["code"][0], verifier))
    assert response.status == 200
    body = await response.json()
    assert body["refresh_token"].startswith("1//") and body["expires_in"] == 3599
    refreshed = await client.post("/oauth2/token", data=refresh_form(body["refresh_token"]))
    assert refreshed.status == 200


async def test_a_wrong_code_verifier_is_invalid_grant(client):
    _, challenge = pkce_pair()
    query = await consent(client, challenge)
    response = await client.post("/oauth2/token", data=code_form(query["code"][0], "not-the-verifier"))
    assert response.status == 400
    assert await response.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}


async def test_a_missing_code_verifier_is_invalid_grant(client):
    _, challenge = pkce_pair()
    query = await consent(client, challenge)
    response = await client.post("/oauth2/token", data=code_form(query["code"][0], None))
    assert (response.status, (await response.json())["error"]) == (400, "invalid_grant")


async def test_an_authorization_code_works_only_once(client):
    verifier, challenge = pkce_pair()
    code = (await consent(client, challenge))["code"][0]
    assert (await client.post("/oauth2/token", data=code_form(code, verifier))).status == 200
    again = await client.post("/oauth2/token", data=code_form(code, verifier))
    assert (again.status, (await again.json())["error"]) == (400, "invalid_grant")


async def test_a_different_redirect_uri_is_redirect_uri_mismatch(client):
    verifier, challenge = pkce_pair()
    code = (await consent(client, challenge))["code"][0]
    form = {**code_form(code, verifier), "redirect_uri": "http://127.0.0.1:9/elsewhere"}
    response = await client.post("/oauth2/token", data=form)
    assert (response.status, (await response.json())["error"]) == (400, "redirect_uri_mismatch")


async def test_repeat_consent_without_prompt_consent_gives_no_refresh_token(client):
    first = await consent(client, None)
    assert "refresh_token" in await (await client.post("/oauth2/token", data=code_form(first["code"][0], None))).json()
    again = await consent(client, None)
    body = await (await client.post("/oauth2/token", data=code_form(again["code"][0], None))).json()
    assert "refresh_token" not in body
    forced = await consent(client, None, prompt="consent")
    body = await (await client.post("/oauth2/token", data=code_form(forced["code"][0], None))).json()
    assert "refresh_token" in body


async def test_cancel_on_the_consent_page_redirects_with_access_denied(client):
    page = await client.get("/oauth2/auth", params={"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT,
                                                    "response_type": "code", "state": "s"})
    consent_id = re.search(r'name="consent_id" value="([^"]+)"', await page.text()).group(1)
    decision = await client.post("/oauth2/auth/decide", data={"consent_id": consent_id, "decision": "deny"},
                                 allow_redirects=False)
    assert parse_qs(urlsplit(decision.headers["Location"]).query) == {"error": ["access_denied"], "state": ["s"]}


async def test_userinfo_and_tokeninfo_describe_the_token_owner(client, control):
    user = await control.create_user(email="grace@example.com", issue_access_token=True)
    info = await (await client.get("/oauth2/v2/userinfo",
                                   headers={"Authorization": f"Bearer {user.access_token}"})).json()
    assert info["email"] == "grace@example.com" and info["verified_email"] is True
    token_info = await (await client.get("/oauth2/tokeninfo", params={"access_token": user.access_token})).json()
    assert token_info["email"] == "grace@example.com" and int(token_info["expires_in"]) > 3000


async def test_the_token_endpoint_is_in_the_request_log(client, control):
    user = await control.create_user()
    await client.post("/oauth2/token", data=refresh_form(user.refresh_token))
    [entry] = await control.requests(api="oauth")
    assert entry["body"]["grant_type"] == "refresh_token" and entry["status"] == 200
    assert entry["principal"] == user.user_id
