"""Amazon Q device-code login end to end: start → a person answers the simulator's verification page →
claim; and denied, expired, slow_down, a claim that times out, the internal token."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from conftest import FAST
from refresher_support import AUTH, wait_until

from services.refresher.app import CONTEXT
from services.refresher.oidc import DEVICE_CODE_GRANT
from shared.redis import keys
from shared.redis.pool import Lease


async def _post(http, server, path: str, payload: dict | None = None):
    async with http.post(server.make_url(path), json=payload or {}, headers=AUTH) as response:
        return response.status, await response.json()


async def _get(http, server, path: str):
    async with http.get(server.make_url(path), headers=AUTH) as response:
        return response.status, await response.json()


async def _answer_page(http, started: dict, action: str) -> None:
    """What the person does: open the verification link and press Approve (or Deny)."""
    async with http.get(started["verificationUriComplete"]) as page:
        assert page.status == 200 and started["userCode"] in await page.text()
    async with http.post(started["verificationUri"], data={"user_code": started["userCode"], "action": action}) as r:
        assert r.status == 200, await r.text()


async def test_device_login_creates_an_account_that_serves_from_the_pool(
        simulator, store, pool, http, start_refresher):
    server = await start_refresher()
    status, started = await _post(http, server, "/internal/v1/auth/start", {"label": "builder id"})
    assert status == 200, started
    assert set(started) == {"authId", "verificationUriComplete", "verificationUri", "userCode", "expiresIn",
                            "interval"}
    status, pending = await _get(http, server, f"/internal/v1/auth/status/{started['authId']}")
    assert status == 200 and pending["status"] == "pending" and pending["accountId"] is None
    assert 0 < pending["remaining"] <= started["expiresIn"]

    await _answer_page(http, started, "approve")
    status, claimed = await _post(http, server, f"/internal/v1/auth/claim/{started['authId']}")
    assert status == 200, claimed
    account = claimed["account"]
    assert claimed["status"] == "completed"
    assert (account["provider"], account["label"], account["region"]) == ("amazonq", "builder id", "us-east-1")
    assert account["has_refresh_token"] and account["has_client_secret"] and account["enabled"]
    assert not {"refresh_token", "client_secret", "access_token"} & set(account), "no secrets in the view"

    status, done = await _get(http, server, f"/internal/v1/auth/status/{started['authId']}")
    assert (done["status"], done["accountId"]) == ("completed", account["id"])
    secrets = await store.get_account_secrets(account["id"])
    lease = await pool.lease("amazonq")
    assert isinstance(lease, Lease) and lease.account_id == account["id"]
    assert lease.access_token == secrets.access_token

    requests = (await simulator.call("GET", "/_sim/aws/requests"))["requests"]
    register = next(r for r in requests if r["operation"] == "RegisterClient")["body"]
    assert register["clientName"] == "q2api" and register["clientType"] == "public"
    assert register["scopes"] == ["codewhisperer:completions", "codewhisperer:analysis",
                                  "codewhisperer:conversations"]
    again = await _post(http, server, f"/internal/v1/auth/claim/{started['authId']}")
    assert again == (200, claimed), "claiming twice answers the same account"


async def test_identity_center_login_keeps_its_start_url_and_region(simulator, store, http, start_refresher):
    server = await start_refresher()
    start_url = "https://my-company.awsapps.com/start"
    _, started = await _post(http, server, "/internal/v1/auth/start",
                             {"startUrl": start_url, "region": "eu-west-1", "enabled": False})
    devices = (await simulator.call("GET", "/_sim/aws/devices"))["devices"]
    assert [d["userCode"] for d in devices if d["status"] == "pending"] == [started["userCode"]]
    await _answer_page(http, started, "approve")
    status, claimed = await _post(http, server, f"/internal/v1/auth/claim/{started['authId']}")
    assert status == 200
    account = await store.get_account(claimed["account"]["id"])
    assert (account.region, account.enabled) == ("eu-west-1", False)
    assert account.other["start_url"] == start_url


async def test_denied_login_is_reported_and_creates_nothing(simulator, store, http, start_refresher):
    server = await start_refresher()
    _, started = await _post(http, server, "/internal/v1/auth/start")
    await _answer_page(http, started, "deny")
    status, answer = await _post(http, server, f"/internal/v1/auth/claim/{started['authId']}")
    assert (status, answer["status"]) == (400, "denied")
    assert "denied" in answer["error"]
    _, seen = await _get(http, server, f"/internal/v1/auth/status/{started['authId']}")
    assert seen["status"] == "denied"
    assert await store.list_accounts() == []


async def test_expired_device_code_ends_the_login(simulator, store, redis, http, start_refresher):
    server = await start_refresher()
    _, started = await _post(http, server, "/internal/v1/auth/start")
    await simulator.advance_clock(700)  # past the device code's expiresIn (600 s)
    status, answer = await _post(http, server, f"/internal/v1/auth/claim/{started['authId']}")
    assert (status, answer["status"]) == (410, "timeout")
    assert "expired" in answer["error"]
    flow = await redis.hgetall(keys.device_login(started["authId"]))
    assert "clientSecret" not in flow and "deviceCode" not in flow, "a finished login keeps no secret"
    assert await redis.zscore(keys.DEVICE_LOGINS_PENDING, started["authId"]) is None
    assert await store.list_accounts() == []


async def test_slow_down_adds_five_seconds_to_the_polling_interval(simulator, redis, http, start_refresher):
    server = await start_refresher()
    _, started = await _post(http, server, "/internal/v1/auth/start")
    assert started["interval"] == 1
    auth_id = started["authId"]
    flow = await redis.hgetall(keys.device_login(auth_id))
    ctx = server.app[CONTEXT]
    poll = {"clientId": flow["clientId"], "grantType": DEVICE_CODE_GRANT,
            "clientSecret": ctx.unseal(flow["clientSecret"], f"login:{auth_id}:clientSecret"),
            "deviceCode": ctx.unseal(flow["deviceCode"], f"login:{auth_id}:deviceCode")}

    async def first_poll_done():
        return (await simulator.counters()).get("oidc_errors.authorization_pending")

    # Someone else polls the same device code between two of the refresher's polls (0.3 s after one;
    # the clock moved so that its own poll is not too soon): the refresher's next poll comes too soon.
    await wait_until(first_poll_done, within=3, interval=0.01)
    await asyncio.sleep(0.3)
    await simulator.advance_clock(2)
    async with http.post(simulator.url + "/oidc/token", json=poll) as response:
        assert (await response.json())["error"] == "authorization_pending"

    async def slowed_down():
        return (await redis.hget(keys.device_login(auth_id), "interval")) == "6.0"

    await wait_until(slowed_down, within=3)
    slowed_at = time.monotonic()
    devices = (await simulator.call("GET", "/_sim/aws/devices"))["devices"]
    assert devices[0]["interval"] == 6, "the simulator expects the same pace"

    await _answer_page(http, started, "approve")
    status, claimed = await _post(http, server, f"/internal/v1/auth/claim/{auth_id}")
    assert status == 200 and claimed["status"] == "completed"
    assert time.monotonic() - slowed_at >= 5.0, "the next poll waited the longer interval"
    errors = (await simulator.counters()).get("oidc_errors.slow_down")
    assert errors == 1, "polling at the new pace drew no further slow_down"


async def test_claim_gives_up_with_408_while_the_login_is_still_pending(simulator, http, start_refresher):
    server = await start_refresher(replace(FAST, claim_wait=0.5))
    _, started = await _post(http, server, "/internal/v1/auth/start")
    status, answer = await _post(http, server, f"/internal/v1/auth/claim/{started['authId']}")
    assert (status, answer["status"]) == (408, "pending")
    assert "timeout" in answer["error"].lower()


async def test_any_replica_answers_and_a_dead_pollers_login_is_adopted(simulator, store, http, start_refresher):
    first = await start_refresher()
    second = await start_refresher()
    _, started = await _post(http, first, "/internal/v1/auth/start")
    await first.close()  # the replica that started (and polled) the login is gone
    await _answer_page(http, started, "approve")
    status, claimed = await _post(http, second, f"/internal/v1/auth/claim/{started['authId']}")
    assert status == 200, claimed
    assert await store.get_account(claimed["account"]["id"]) is not None


async def test_unknown_login_is_404_and_the_internal_token_is_required(http, start_refresher):
    server = await start_refresher()
    status, answer = await _get(http, server, "/internal/v1/auth/status/nope")
    assert (status, answer["error"]) == (404, "Auth session not found")
    async with http.post(server.make_url("/internal/v1/auth/start"), json={}) as response:
        assert response.status == 401
    async with http.post(server.make_url("/internal/v1/auth/start"), json={},
                         headers={"authorization": "Bearer wrong"}) as response:
        assert response.status == 401
    async with http.post(server.make_url("/internal/v1/auth/start"), json={"region": "moon-1"},
                         headers=AUTH) as response:
        assert response.status == 400
    await asyncio.sleep(0)
