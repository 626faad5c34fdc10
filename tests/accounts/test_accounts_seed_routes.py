"""The seeds' /v2/accounts routes accept the seeds' bodies and answer in their field names, secrets masked."""

from __future__ import annotations

from accounts_support import FRESH_ACCESS_TOKEN, eventually

from services.accounts.context import STORE
from shared.redis import keys
from shared.redis.pool import AccountPool, Lease
from shared.service import REDIS

Q_ROW = {
    "label": "seed q",
    "clientId": "seed-client-id",
    "clientSecret": "seed-client-secret-0123456789-CSEC",
    "refreshToken": "seed-refresh-token-0123456789-RFSH",
    "accessToken": "seed-access-token-0123456789-ACCS",
    "other": {"profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/X", "region": "us-east-1", "note": "hi"},
    "enabled": True,
}


async def test_create_answers_the_seed_row_with_masked_secrets(admin):
    row = await admin.call("POST", "/v2/accounts", json=Q_ROW)
    assert row["clientId"] == "seed-client-id" and row["label"] == "seed q" and row["type"] == "amazonq"
    assert row["clientSecret"] == "••••CSEC" and row["refreshToken"] == "••••RFSH" and row["accessToken"] == "••••ACCS"
    assert row["other"] == {"note": "hi", "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/X",
                            "region": "us-east-1"}
    assert (row["enabled"], row["error_count"], row["success_count"]) == (True, 0, 0)
    assert row["last_refresh_status"] == "never" and row["last_refresh_time"] is None
    assert len(row["created_at"]) == 19 and row["created_at"][10] == "T"
    ours = await admin.call("GET", f"/admin/api/accounts/{row['id']}")
    assert ours["profile_arn"].endswith("profile/X") and ours["region"] == "us-east-1" and ours["other"] == {"note": "hi"}
    assert isinstance(await AccountPool(admin.app[REDIS]).lease("amazonq"), Lease)


async def test_seed_a_rows_name_their_provider_in_type(admin):
    gemini = await admin.call("POST", "/v2/accounts", json={
        "type": "gemini", "label": "g", "clientId": "c", "clientSecret": "s", "refreshToken": "r",
        "other": {"project": "proj-1", "api_endpoint": "https://daily-cloudcode-pa.sandbox.googleapis.com"}})
    assert gemini["type"] == "gemini" and gemini["other"]["project"] == "proj-1"
    assert (await admin.call("GET", f"/admin/api/accounts/{gemini['id']}"))["project"] == "proj-1"
    keyed = await admin.call("POST", "/v2/accounts", json={"type": "gemini_api", "other": {"api_key": "AIza-secret-key-0123456789"}})
    assert keyed["type"] == "gemini_api" and "AIza" not in str(keyed)
    unknown = await admin.call("POST", "/v2/accounts", json={**Q_ROW, "type": "claude"}, expect=422)
    assert "type" in unknown["detail"]
    missing = await admin.call("POST", "/v2/accounts", json={"label": "no client"}, expect=422)
    assert "clientId" in missing["detail"]


async def test_list_supports_enabled_and_sorting_in_the_seed_shape(admin):
    a = await admin.call("POST", "/v2/accounts", json={**Q_ROW, "label": "a"})
    b = await admin.call("POST", "/v2/accounts", json={**Q_ROW, "label": "b", "enabled": False})
    listing = await admin.call("GET", "/v2/accounts")
    assert listing["count"] == 2 and [r["id"] for r in listing["accounts"]] == [b["id"], a["id"]], "desc by default"
    oldest_first = await admin.call("GET", "/v2/accounts?sort_by=created_at&sort_order=asc")
    assert [r["id"] for r in oldest_first["accounts"]] == [a["id"], b["id"]]
    assert [r["id"] for r in (await admin.call("GET", "/v2/accounts?enabled=false"))["accounts"]] == [b["id"]]
    assert (await admin.call("GET", "/v2/accounts?sort_by=bogus&sort_order=bogus"))["count"] == 2


async def test_patch_ignores_nulls_and_masks_so_the_seed_console_cannot_clobber_secrets(admin):
    row = await admin.call("POST", "/v2/accounts", json=Q_ROW)
    echoed = await admin.call("PATCH", f"/v2/accounts/{row['id']}", json={**row, "label": "renamed"})
    assert echoed["label"] == "renamed" and echoed["accessToken"] == "••••ACCS"
    secrets = await admin.app[STORE].get_account_secrets(row["id"])
    assert secrets.access_token == Q_ROW["accessToken"] and secrets.refresh_token == Q_ROW["refreshToken"]
    changed = await admin.call("PATCH", f"/v2/accounts/{row['id']}",
                               json={"accessToken": "replacement-access-token-0123-NEWT", "label": None})
    assert changed["accessToken"] == "••••NEWT" and changed["label"] == "renamed"
    state = await AccountPool(admin.app[REDIS]).account_state(row["id"])
    assert state["token"] == "replacement-access-token-0123-NEWT"
    same = await admin.call("PATCH", f"/v2/accounts/{row['id']}", json={})
    assert same["id"] == row["id"]
    await admin.call("PATCH", "/v2/accounts/missing", json={}, expect=404)


async def test_switching_an_auto_disabled_account_back_on_reactivates_it(admin):
    row = await admin.call("POST", "/v2/accounts", json=Q_ROW)
    store = admin.app[STORE]
    await store.set_account_status(row["id"], "disabled", "100 consecutive errors")
    await store.update_account(row["id"], enabled=False)
    on = await admin.call("PATCH", f"/v2/accounts/{row['id']}", json={"enabled": True})
    assert (on["enabled"], on["status"], on["error_count"]) == (True, "active", 0)


async def test_get_and_delete_answer_like_the_seed(admin):
    row = await admin.call("POST", "/v2/accounts", json=Q_ROW)
    assert (await admin.call("GET", f"/v2/accounts/{row['id']}"))["id"] == row["id"]
    assert await admin.call("DELETE", f"/v2/accounts/{row['id']}") == {"deleted": row["id"]}
    assert await admin.call("GET", f"/v2/accounts/{row['id']}", expect=404) == {"detail": "Account not found"}
    assert not await admin.app[REDIS].exists(keys.account(row["id"]))


async def test_refresh_asks_the_refresher_and_answers_the_refreshed_row(admin, fake_refresher):
    row = await admin.call("POST", "/v2/accounts", json=Q_ROW)
    refreshed = await admin.call("POST", f"/v2/accounts/{row['id']}/refresh")
    assert fake_refresher.refreshed == [row["id"]]
    assert refreshed["last_refresh_status"] == "success" and refreshed["accessToken"] == "••••" + FRESH_ACCESS_TOKEN[-4:]
    assert "refresher-echoed" not in str(refreshed)
    assert (await AccountPool(admin.app[REDIS]).account_state(row["id"]))["token"] == FRESH_ACCESS_TOKEN
    fake_refresher.answers[row["id"]] = {"ok": False, "error": "invalid_grant"}
    failed = await admin.call("POST", f"/v2/accounts/{row['id']}/refresh", expect=502)
    assert failed == {"detail": "Token refresh failed: invalid_grant"}
    await admin.call("POST", "/v2/accounts/missing/refresh", expect=404)


async def test_our_refresh_route_passes_the_refresher_verdict_with_our_view(admin, fake_refresher):
    row = await admin.call("POST", "/v2/accounts", json=Q_ROW)
    fake_refresher.answers[row["id"]] = {"ok": False, "error": "invalid_grant"}
    answer = await admin.call("POST", f"/admin/api/accounts/{row['id']}/refresh")
    assert answer["ok"] is False and answer["error"] == "invalid_grant"
    assert answer["account"]["id"] == row["id"] and "refresher-echoed" not in str(answer)


async def test_an_unreachable_refresher_is_a_clear_502(start_accounts, unused_port):
    admin = await start_accounts(REFRESHER_URL=f"http://127.0.0.1:{unused_port}")
    row = await admin.call("POST", "/v2/accounts", json=Q_ROW)
    answer = await admin.call("POST", f"/admin/api/accounts/{row['id']}/refresh", expect=502)
    assert answer["error"]["code"] == "refresher_unavailable" and "REFRESHER_URL" in answer["error"]["message"]
    seed = await admin.call("POST", f"/v2/accounts/{row['id']}/refresh", expect=502)
    assert "refresher" in seed["detail"]


async def test_feed_inserts_disabled_then_enables_what_the_refresher_verifies(admin, fake_refresher):
    good = {**Q_ROW, "label": None}
    bad = {**Q_ROW, "label": "bad", "enabled": True}
    answer = await admin.call("POST", "/v2/accounts/feed", json={"accounts": [good, bad]})
    assert answer["status"] == "processing" and len(answer["account_ids"]) == 2
    assert answer["message"] == "2 accounts received and are being verified in the background."
    good_id, bad_id = answer["account_ids"]
    fake_refresher.answers[bad_id] = {"ok": False, "error": "AccessDenied: 403 account suspended"}
    store = admin.app[STORE]

    async def verified() -> bool:
        return (await store.get_account(good_id)).enabled and len(fake_refresher.refreshed) == 2

    await eventually(verified, what="feed verification")
    good_row = await admin.call("GET", f"/v2/accounts/{good_id}")
    bad_row = await admin.call("GET", f"/v2/accounts/{bad_id}")
    assert good_row["label"] == "批量账号 1" and good_row["other"]["source"] == "feed" and good_row["enabled"]
    assert bad_row["enabled"] is False and bad_row["other"]["failedReason"] == "AccessDenied"
    assert await admin.app[REDIS].zscore(keys.pool("amazonq"), good_id) is not None
    assert await admin.app[REDIS].zscore(keys.pool("amazonq"), bad_id) is None


async def test_login_flows_are_forwarded_to_the_refresher_with_secrets_replaced(admin, fake_refresher):
    started = await admin.call("POST", "/v2/auth/start", json={"label": "me", "enabled": True})
    assert started["authId"] == "auth-1" and started["userCode"] == "ABCD-EFGH"
    assert fake_refresher.auth_calls[0][0:2] == ("POST", "start") and b'"label"' in fake_refresher.auth_calls[0][2]
    claimed = await admin.call("POST", "/v2/auth/claim/auth-1")
    account = claimed["account"]
    assert claimed["status"] == "completed" and account["clientId"] == "claimed-client-id"
    assert "claimed-client-secret" not in str(claimed) and account["clientSecret"].startswith("••••")
    assert (await AccountPool(admin.app[REDIS]).account_state(account["id"]))["token"] == "claimed-access-token-1234567890"
    page = await admin.client.get("/admin/api/auth/google/callback?code=x&state=y", headers=admin.auth)
    assert page.status == 200 and "signed in" in await page.text()
    assert fake_refresher.auth_calls[-1][1] == "google/callback"
