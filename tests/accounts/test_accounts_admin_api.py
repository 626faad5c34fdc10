"""Our account API: CRUD with filters and sorting, enable/disable, serving state — each change in Redis at once."""

from __future__ import annotations

from shared.redis import keys
from shared.redis.pool import AccountPool, Lease
from shared.service import REDIS

SECRET = "refresh-token-abcdefghijklmnop-WXYZ"


async def create(admin, **fields):
    body = {"provider": "amazonq", "label": "a", "client_id": "client-1", "client_secret": "client-secret-0123456789",
            "refresh_token": SECRET, "access_token": "access-token-0123456789-ACCS", **fields}
    return await admin.call("POST", "/admin/api/accounts", json=body, expect=201)


async def test_created_account_shows_presence_and_last4_but_no_secret(admin):
    account = await create(admin, region="eu-central-1", profile_arn="arn:aws:codewhisperer:x")
    assert account["has_refresh_token"] and account["refresh_token_last4"] == "WXYZ"
    assert account["access_token_last4"] == "ACCS" and account["client_secret_last4"] == "6789"
    assert account["client_id"] == "client-1"
    text = str(account)
    assert SECRET not in text and "client-secret-0123456789" not in text and "access-token-0123456789" not in text
    assert (account["region"], account["enabled"], account["status"]) == ("eu-central-1", True, "active")


async def test_a_created_account_is_in_the_pool_at_once_and_can_be_leased(admin):
    account = await create(admin)
    pool = AccountPool(admin.app[REDIS])
    state = await pool.account_state(account["id"])
    assert state["token"] == "access-token-0123456789-ACCS" and state["enabled"] == "1"
    assert "refresh" not in " ".join(state), "refresh tokens never reach Redis"
    assert SECRET not in state.values()
    lease = await pool.lease("amazonq")
    assert isinstance(lease, Lease) and lease.account_id == account["id"]


async def test_list_filters_by_provider_enabled_and_status_and_sorts(admin):
    first = await create(admin, label="first")
    second = await create(admin, label="second", enabled=False)
    gem = await admin.call("POST", "/admin/api/accounts", json={"provider": "gemini_api", "api_key": "AIza-0123456789abcdef"},
                           expect=201)
    everything = await admin.call("GET", "/admin/api/accounts")
    assert everything["count"] == 3
    assert [a["id"] for a in everything["accounts"]] == [first["id"], second["id"], gem["id"]]
    newest_first = await admin.call("GET", "/admin/api/accounts?sort=created_at&order=desc")
    assert [a["id"] for a in newest_first["accounts"]] == [gem["id"], second["id"], first["id"]]
    enabled = await admin.call("GET", "/admin/api/accounts?enabled=true&provider=amazonq")
    assert [a["id"] for a in enabled["accounts"]] == [first["id"]]
    assert (await admin.call("GET", "/admin/api/accounts?status=suspended"))["count"] == 0
    assert gem["api_key_last4"] == "cdef" and gem["has_api_key"]
    bad = await admin.call("GET", "/admin/api/accounts?provider=openai", expect=400)
    assert "provider" in bad["error"]["message"]
    paged = await admin.call("GET", "/admin/api/accounts?limit=1&offset=1")
    assert [a["id"] for a in paged["accounts"]] == [second["id"]]


async def test_patch_changes_only_given_fields_and_resyncs_redis(admin):
    account = await create(admin, label="before")
    patched = await admin.call("PATCH", f"/admin/api/accounts/{account['id']}",
                               json={"label": "after", "access_token": "new-access-token-0123456789-NEWT",
                                     "max_concurrency": 2, "region": None})
    assert patched["label"] == "after" and patched["access_token_last4"] == "NEWT" and patched["region"] is None
    assert patched["refresh_token_last4"] == "WXYZ"
    state = await AccountPool(admin.app[REDIS]).account_state(account["id"])
    assert state["token"] == "new-access-token-0123456789-NEWT" and state["max_conc"] == "2" and state["label"] == "after"
    typo = await admin.call("PATCH", f"/admin/api/accounts/{account['id']}", json={"lable": "x"}, expect=400)
    assert "lable" in typo["error"]["message"]


async def test_disable_takes_the_account_out_of_the_pool_and_enable_brings_it_back_reset(admin):
    account = await create(admin)
    redis = admin.app[REDIS]
    disabled = await admin.call("POST", f"/admin/api/accounts/{account['id']}/disable")
    assert disabled["enabled"] is False
    assert await redis.zscore(keys.pool("amazonq"), account["id"]) is None
    assert (await AccountPool(redis).lease("amazonq")).reason == "no_accounts"
    await redis.hset(keys.account(account["id"]), mapping={"err_streak": 7, "status": "disabled"})
    enabled = await admin.call("POST", f"/admin/api/accounts/{account['id']}/enable")
    assert (enabled["enabled"], enabled["status"], enabled["error_count"]) == (True, "active", 0)
    state = await AccountPool(redis).account_state(account["id"])
    assert (state["status"], state["err_streak"], state["enabled"]) == ("active", "0", "1")
    assert isinstance(await AccountPool(redis).lease("amazonq"), Lease)


async def test_delete_removes_the_account_from_store_and_redis(admin):
    account = await create(admin)
    assert await admin.call("DELETE", f"/admin/api/accounts/{account['id']}") == {"deleted": account["id"]}
    await admin.call("GET", f"/admin/api/accounts/{account['id']}", expect=404)
    await admin.call("DELETE", f"/admin/api/accounts/{account['id']}", expect=404)
    redis = admin.app[REDIS]
    assert not await redis.exists(keys.account(account["id"]))
    assert await redis.zscore(keys.pool("amazonq"), account["id"]) is None


async def test_state_shows_serving_counters_without_the_token(admin):
    account = await create(admin)
    pool = AccountPool(admin.app[REDIS])
    lease = await pool.lease("amazonq")
    state = await admin.call("GET", f"/admin/api/accounts/{account['id']}/state")
    assert state["in_redis"] and state["inflight"] == 1 and state["token_present"] is True
    assert "token" not in state and "access-token-0123456789" not in str(state)
    await pool.release(lease.lease_id, "success")
    assert (await admin.call("GET", f"/admin/api/accounts/{account['id']}/state"))["inflight"] == 0
    await admin.call("GET", "/admin/api/accounts/missing/state", expect=404)


async def test_bad_bodies_are_400_naming_the_problem(admin):
    assert (await admin.call("POST", "/admin/api/accounts", data=b"{", expect=400))["error"]["code"] == "invalid_body"
    wrong = await admin.call("POST", "/admin/api/accounts", json={"provider": "openai"}, expect=400)
    assert "provider" in wrong["error"]["message"]
    no_key = await admin.call("POST", "/admin/api/accounts", json={"provider": "gemini_api"}, expect=400)
    assert "api_key" in no_key["error"]["message"]
    negative = await admin.call("POST", "/admin/api/accounts", json={"max_concurrency": 0}, expect=400)
    assert "max_concurrency" in negative["error"]["message"]


async def test_stats_count_accounts_and_in_flight_requests(admin):
    await create(admin)
    await create(admin, enabled=False)
    pool = AccountPool(admin.app[REDIS])
    await pool.lease("amazonq")
    stats = await admin.call("GET", "/admin/api/stats")
    assert stats["accounts"]["total"] == 2 and stats["accounts"]["enabled"] == 1
    assert stats["accounts"]["by_provider"]["amazonq"] == {"total": 2, "enabled": 1, "serving": 1, "inflight": 1}
    assert stats["inflight"] == 1 and stats["redis"] == {"reachable": True, "leases": 1}
    assert stats["today"]["requests"] == 0
