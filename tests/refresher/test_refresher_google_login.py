"""Gemini Code Assist login through the simulator's Google consent page, with PKCE, to an account with a
provisioned project."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from refresher_support import AUTH

from shared.redis.pool import Lease

CALLBACK = "http://console.example/oauth/google/callback"


async def _post(http, server, path: str, payload: dict):
    async with http.post(server.make_url(path), json=payload, headers=AUTH) as response:
        return response.status, await response.json()


async def _consent(http, simulator, authorization_url: str, decision: str = "approve") -> dict[str, str]:
    """The person picks "Use a new simulated account" on the consent page; Google redirects back."""
    async with http.get(authorization_url) as page:
        assert page.status == 200
        consent_id = re.search(r'name="consent_id" value="([^"]+)"', await page.text()).group(1)
    async with http.post(simulator.url + "/oauth2/auth/decide", data={"consent_id": consent_id, "decision": decision},
                         allow_redirects=False) as answer:
        assert answer.status == 302
        location = answer.headers["Location"]
    assert location.startswith(CALLBACK)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_google_login_creates_a_gemini_account_with_its_project(simulator, store, pool, http,
                                                                       start_refresher):
    server = await start_refresher()
    status, started = await _post(http, server, "/internal/v1/auth/google/start",
                                  {"redirect_uri": CALLBACK, "label": "my gemini"})
    assert status == 200, started
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["authorizationUrl"]).query).items()}
    assert started["authorizationUrl"].startswith(simulator.url + "/oauth2/auth?")
    assert (query["response_type"], query["access_type"], query["prompt"]) == ("code", "offline", "consent")
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] == started["state"] and query["redirect_uri"] == CALLBACK
    assert "https://www.googleapis.com/auth/cloud-platform" in query["scope"].split()

    redirect = await _consent(http, simulator, started["authorizationUrl"])
    status, done = await _post(http, server, "/internal/v1/auth/google/callback",
                               {"code": redirect["code"], "state": redirect["state"]})
    assert status == 200, done
    account = done["account"]
    assert (account["provider"], account["label"], account["status"]) == ("gemini", "my gemini", "active")
    assert account["project"] and account["other"]["tier"] == "free-tier"
    exchange = next(r for r in await simulator.google.requests(api="oauth", path="/oauth2/token")
                    if r["body"]["grant_type"] == "authorization_code")
    assert exchange["status"] == 200 and exchange["body"]["redirect_uri"] == CALLBACK
    assert len(exchange["body"]["code_verifier"]) >= 43, "PKCE: the simulator checked it against the challenge"
    google_user = await simulator.google.user(exchange["principal"])
    assert google_user["onboarded"] and google_user["project_id"] == account["project"]
    assert account["other"]["email"] == google_user["email"]
    secrets = await store.get_account_secrets(account["id"])
    assert secrets.refresh_token and secrets.access_token
    lease = await pool.lease("gemini")
    assert isinstance(lease, Lease) and lease.project == account["project"]

    replay = await _post(http, server, "/internal/v1/auth/google/callback",
                         {"code": redirect["code"], "state": redirect["state"]})
    assert replay[0] == 400, "a state is good for one callback"


async def test_cancelled_consent_is_reported(simulator, http, start_refresher, store):
    server = await start_refresher()
    _, started = await _post(http, server, "/internal/v1/auth/google/start", {"redirect_uri": CALLBACK})
    redirect = await _consent(http, simulator, started["authorizationUrl"], decision="deny")
    status, answer = await _post(http, server, "/internal/v1/auth/google/callback", redirect)
    assert status == 400 and "access_denied" in answer["error"]
    assert await store.list_accounts() == []


async def test_without_an_oauth_client_the_operator_is_told_to_configure_one(http, start_refresher, settings_for):
    server = await start_refresher(settings=settings_for(GOOGLE_OAUTH_CLIENT_ID="", GOOGLE_OAUTH_CLIENT_SECRET=""))
    status, answer = await _post(http, server, "/internal/v1/auth/google/start", {"redirect_uri": CALLBACK})
    assert status == 400
    assert "GOOGLE_OAUTH_CLIENT_ID" in answer["error"] and "ships no third-party client secret" in answer["error"]
