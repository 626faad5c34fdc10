"""The request path under faults: failover before the first byte, cooldowns, suspension, busy pools,
client disconnects, a translator dying mid-stream, and a burst of random faults. Real services,
simulator upstream, official SDKs."""

from __future__ import annotations

import asyncio
import random
import time

import anthropic
import httpx2 as httpx
import openai
import pytest
from stack import Stack

MODEL = "claude-sonnet-4-5"


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def account_view(stack: Stack, account_id: str) -> dict:
    return stack.admin("GET", f"/admin/api/accounts/{account_id}").json()


def account_state(stack: Stack, account_id: str) -> dict:
    return stack.admin("GET", f"/admin/api/accounts/{account_id}/state").json()


def total_inflight(stack: Stack, ids: list[str]) -> int:
    return sum(int(account_state(stack, a).get("inflight", 0) or 0) for a in ids)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("e2e-failover"), env_overrides={"LEASE_TTL": "6"}).start()
    yield stack
    stack.stop()


@pytest.fixture
def fresh(stack):
    """No accounts left from the previous test."""
    for account in stack.admin("GET", "/admin/api/accounts").json()["accounts"]:
        stack.admin("DELETE", f"/admin/api/accounts/{account['id']}")
    return stack


def test_throttled_and_suspended_accounts_are_skipped_and_marked(fresh):
    stack = fresh
    throttled, _ = stack.add_amazonq_account("throttled", sim_user={"faults": [{"fault": "throttled", "retry_after": 30}]})
    suspended, _ = stack.add_amazonq_account("suspended", sim_user={"faults": ["suspended"]})
    healthy, _ = stack.add_amazonq_account("healthy")
    client = anthropic.Anthropic(base_url=stack.edge_url, api_key="open", max_retries=0)
    for i in range(12):
        message = client.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": f"req {i}"}])
        assert message.stop_reason == "end_turn"

    state = account_state(stack, throttled["id"])
    if state.get("status") == "cooling":  # it was picked at least once (random strategy)
        assert 20 < float(state["cool_until"]) - time.time() <= 31, "cooldown honours Retry-After"
    view = wait_until(lambda: (v := account_view(stack, suspended["id"]))["status"] == "suspended" and v, timeout=10) \
        if account_state(stack, suspended["id"]).get("status") == "suspended" else None
    if view:
        assert "TEMPORARILY_SUSPENDED" in (view["status_reason"] or "")
    assert account_state(stack, healthy["id"])["status"] == "active"


def test_a_suspended_account_is_always_found_eventually(fresh):
    stack = fresh
    suspended, _ = stack.add_amazonq_account("only-suspended", sim_user={"faults": ["suspended"]})
    stack.add_amazonq_account("healthy")
    client = openai.OpenAI(base_url=stack.edge_url + "/v1", api_key="open", max_retries=0)
    for _ in range(8):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    view = wait_until(lambda: (v := account_view(stack, suspended["id"]))["status"] == "suspended" and v)
    assert not view["enabled"] or view["status"] == "suspended"
    assert "TEMPORARILY_SUSPENDED" in view["status_reason"]


def test_every_account_busy_is_429_with_retry_after_in_both_dialects(fresh):
    stack = fresh
    account, _ = stack.add_amazonq_account("single", max_concurrency=1)
    slow = {"model": MODEL, "max_tokens": 500, "stream": True,
            "messages": [{"role": "user", "content": "[[frames:30]] [[delay_ms:100]]"}]}

    async def scenario():
        async with httpx.AsyncClient(timeout=30) as http:
            async with http.stream("POST", stack.edge_url + "/v1/messages", json=slow) as held:
                assert held.status_code == 200
                chunks = held.aiter_bytes()
                await chunks.__anext__()  # the stream is live and holds the account's only slot
                busy = await http.post(stack.edge_url + "/v1/messages", json={**slow, "stream": False})
                busy_openai = await http.post(stack.edge_url + "/v1/chat/completions",
                                              json={"model": MODEL, "messages": [{"role": "user", "content": "x"}]})
        return busy, busy_openai

    busy, busy_openai = asyncio.run(scenario())
    assert busy.status_code == 429 and int(busy.headers["retry-after"]) >= 1
    assert busy.json()["error"]["type"] == "rate_limit_error"
    assert busy_openai.status_code == 429 and "retry-after" in busy_openai.headers
    assert "error" in busy_openai.json()
    wait_until(lambda: total_inflight(stack, [account["id"]]) == 0)


def test_client_disconnect_frees_the_account_within_a_second(fresh):
    stack = fresh
    account, _ = stack.add_amazonq_account("disconnect")
    body = {"model": MODEL, "max_tokens": 500, "stream": True,
            "messages": [{"role": "user", "content": "[[frames:100]] [[delay_ms:100]]"}]}

    async def read_a_little_and_leave():
        async with httpx.AsyncClient(timeout=30) as http:
            async with http.stream("POST", stack.edge_url + "/v1/messages", json=body) as response:
                chunks = response.aiter_bytes()
                await chunks.__anext__()
                assert total_inflight(stack, [account["id"]]) == 1

    asyncio.run(read_a_little_and_leave())
    left = time.monotonic()
    wait_until(lambda: total_inflight(stack, [account["id"]]) == 0, timeout=3, interval=0.05)
    assert time.monotonic() - left < 1.5


def test_translator_killed_midstream_gives_an_error_event_and_the_lease_is_reaped(fresh):
    stack = fresh
    account, _ = stack.add_amazonq_account("doomed")
    body = {"model": MODEL, "max_tokens": 500, "stream": True,
            "messages": [{"role": "user", "content": "[[frames:100]] [[delay_ms:100]]"}]}
    received = b""
    with httpx.stream("POST", stack.edge_url + "/v1/messages", json=body, timeout=30) as response:
        for chunk in response.iter_bytes():
            received += chunk
            if b"content_block_delta" in received:
                for name in [n for n in stack.services if n.startswith("translator")]:
                    stack.kill(name)
    assert b"event: error" in received and b"message_stop" not in received
    wait_until(lambda: total_inflight(stack, [account["id"]]) == 0, timeout=15, interval=0.5)
    for name in [n for n in stack.services if n.startswith("translator")]:
        stack.restart(name, module="translator")


def test_a_burst_of_random_faults_leaves_no_lease_behind(fresh):
    stack = fresh
    ids = [stack.add_amazonq_account(f"burst-{i}", max_concurrency=16)[0]["id"] for i in range(3)]
    prompts = ["plain", "[[status:500]]", "[[status:429]]", "[[midstream_error]]", "[[status:503*1]]", "[[truncate_stream]]"]
    rng = random.Random(7)
    outcomes = {"ok": 0, "error": 0}

    async def one(http: httpx.AsyncClient, i: int) -> None:
        prompt = f"{rng.choice(prompts)} #{i}"
        stream = rng.random() < 0.5
        body = {"model": MODEL, "max_tokens": 200, "stream": stream, "messages": [{"role": "user", "content": prompt}]}
        response = await http.post(stack.edge_url + "/v1/messages", json=body)
        if response.status_code != 200:
            error = response.json()
            assert error["type"] == "error" and error["error"]["message"], response.text
            outcomes["error"] += 1
        elif stream:
            text = response.text
            assert text.rstrip().endswith("data: {\"type\":\"message_stop\"}") or "event: error" in text, text[-300:]
            outcomes["ok" if "message_stop" in text else "error"] += 1
        else:
            assert response.json()["type"] == "message"
            outcomes["ok"] += 1

    async def burst():
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            semaphore = asyncio.Semaphore(32)

            async def bounded(i):
                async with semaphore:
                    await one(http, i)

            await asyncio.gather(*(bounded(i) for i in range(300)))

    def usage_totals():
        usage = stack.admin("GET", "/admin/api/usage").json()
        rows = usage.get("rows", usage if isinstance(usage, list) else [])
        return sum(r.get("requests", 0) for r in rows), sum(r.get("errors", 0) for r in rows)

    before = usage_totals()
    asyncio.run(burst())
    assert outcomes["ok"] > 0 and outcomes["ok"] + outcomes["error"] == 300
    wait_until(lambda: total_inflight(stack, ids) == 0, timeout=15)

    def usage_matches():
        requests, errors = usage_totals()
        return (requests - before[0]) - (errors - before[1]) == outcomes["ok"] and (requests, errors)

    wait_until(usage_matches, timeout=15, interval=0.5)


def test_an_expired_token_fails_over_and_the_refresher_brings_the_account_back(fresh):
    stack = fresh
    expiring, user = stack.add_amazonq_account("expiring")
    stack.add_amazonq_account("steady")
    stack.sim("POST", f"/_sim/aws/users/{user['userId']}/expire_access_tokens", json={})
    admin_key = stack.create_api_key(name="admin", is_admin=True)
    client = anthropic.Anthropic(base_url=stack.edge_url, api_key=admin_key, max_retries=0)

    # Pinned to the account whose token the upstream now rejects: it cannot serve until refreshed…
    for i in range(6):
        message = client.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": f"x{i}"}])
        assert message.stop_reason == "end_turn", "unpinned requests fail over to the steady account"

    # …and the refresher renews it on demand, after which it serves again.
    def serves_pinned():
        try:
            client.messages.create(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "pinned"}],
                                   extra_headers={"x-account-id": expiring["id"]})
            return True
        except anthropic.APIStatusError:
            return False

    wait_until(serves_pinned, timeout=20, interval=0.5)
    assert account_view(stack, expiring["id"])["status"] == "active"
