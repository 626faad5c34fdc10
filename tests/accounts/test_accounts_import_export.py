"""Bulk import (our format and the seeds') and export (secrets only with the admin password)."""

from __future__ import annotations

import datetime as dt

from accounts_support import ADMIN_PASSWORD

from services.accounts.context import STORE
from shared.redis.pool import AccountPool
from shared.service import REDIS, SETTINGS

OURS = {"provider": "amazonq", "label": "ours", "client_id": "our-client", "client_secret": "our-client-secret-0123456789",
        "refresh_token": "our-refresh-token-0123456789", "access_token": "our-access-token-0123456789", "region": "us-east-1"}
Q_EXPORT_ROW = {  # a row as seed q2api's database holds it
    "id": "6f1c2d9e-0000-4000-8000-000000000001", "label": "from q", "clientId": "q-client",
    "clientSecret": "q-client-secret-0123456789", "refreshToken": "q-refresh-token-0123456789",
    "accessToken": "q-access-token-0123456789", "other": '{"profileArn": "arn:aws:codewhisperer:p", "note": "n"}',
    "last_refresh_time": "2026-01-10T08:00:00", "last_refresh_status": "success", "created_at": "2025-12-01T10:00:00",
    "updated_at": "2026-01-10T08:00:00", "enabled": 1, "error_count": 3, "success_count": 40,
    "expires_at": "2099-01-10T09:00:00",
}
A_ROW = {"type": "gemini", "label": "from a", "clientId": "a-client", "clientSecret": "a-client-secret-0123456789",
         "refreshToken": "a-refresh-token-0123456789", "other": {"project": "a-project"}, "enabled": True}


def utc(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()


async def test_import_reads_our_rows_and_both_seeds_rows_and_reports_each(admin):
    answer = await admin.call("POST", "/admin/api/accounts/import",
                              json=[OURS, Q_EXPORT_ROW, A_ROW, {"provider": "gemini_api"}, "junk"])
    assert (answer["imported"], answer["skipped"], answer["failed"]) == (3, 0, 2)
    assert [r["result"] for r in answer["results"]] == ["imported", "imported", "imported", "failed", "failed"]
    assert "api_key" in answer["results"][3]["error"]
    q = await admin.call("GET", f"/admin/api/accounts/{Q_EXPORT_ROW['id']}")
    assert q["profile_arn"] == "arn:aws:codewhisperer:p" and q["other"] == {"note": "n"} and q["enabled"]
    assert q["created_at"] == utc(2025, 12, 1, 10) and q["access_token_expires_at"] == utc(2099, 1, 10, 9)
    gemini = await admin.call("GET", f"/admin/api/accounts/{answer['results'][2]['id']}")
    assert gemini["provider"] == "gemini" and gemini["project"] == "a-project"
    secrets = await admin.app[STORE].get_account_secrets(Q_EXPORT_ROW["id"])
    assert secrets.refresh_token == "q-refresh-token-0123456789"
    assert (await AccountPool(admin.app[REDIS]).account_state(Q_EXPORT_ROW["id"]))["token"] == "q-access-token-0123456789"
    again = await admin.call("POST", "/admin/api/accounts/import", json={"accounts": [Q_EXPORT_ROW]})
    assert again["skipped"] == 1 and again["results"][0]["reason"] == "an account with this id exists"


async def test_export_leaves_secrets_out_without_the_password(admin):
    await admin.call("POST", "/admin/api/accounts/import", json=[OURS])
    exported = await admin.call("POST", "/admin/api/accounts/export")
    assert exported["include_secrets"] is False and exported["count"] == 1
    row = exported["accounts"][0]
    assert row["client_id"] == "our-client" and "client_secret" not in row and "refresh_token" not in row
    assert "our-client-secret" not in str(exported) and "our-refresh-token" not in str(exported)
    refused = await admin.call("POST", "/admin/api/accounts/export", json={"include_secrets": True}, expect=403)
    assert refused["error"]["code"] == "password_required"
    await admin.call("POST", "/admin/api/accounts/export", json={"include_secrets": True, "password": "nope"}, expect=403)


async def test_export_with_the_password_round_trips_through_import(admin, start_accounts, redis_url):
    await admin.call("POST", "/admin/api/accounts/import", json=[OURS, A_ROW])
    exported = await admin.call("POST", "/admin/api/accounts/export",
                                json={"include_secrets": True, "password": ADMIN_PASSWORD})
    assert exported["include_secrets"] is True
    by_label = {row["label"]: row for row in exported["accounts"]}
    assert by_label["ours"]["refresh_token"] == "our-refresh-token-0123456789"
    assert by_label["from a"]["client_secret"] == "a-client-secret-0123456789"
    # into another, empty instance (its own store and Redis database): ids and secrets come back
    other = await start_accounts(DATA_DIR=admin.app[SETTINGS].data_dir + "-copy",
                                 REDIS_URL=redis_url.rsplit("/", 1)[0] + "/1")
    answer = await other.call("POST", "/admin/api/accounts/import", json=exported)
    assert answer["imported"] == 2
    for row in exported["accounts"]:
        secrets = await other.app[STORE].get_account_secrets(row["id"])
        assert secrets.refresh_token == row["refresh_token"] and secrets.client_secret == row["client_secret"]


async def test_wrong_export_passwords_count_towards_the_login_slow_down(admin):
    for _ in range(5):
        await admin.call("POST", "/admin/api/accounts/export", json={"include_secrets": True, "password": "x"},
                         expect=403)
    locked = await admin.call("POST", "/admin/api/accounts/export",
                              json={"include_secrets": True, "password": ADMIN_PASSWORD}, expect=429)
    assert locked["error"]["code"] == "too_many_attempts"


async def test_import_refuses_a_body_that_is_not_a_list(admin):
    await admin.call("POST", "/admin/api/accounts/import", json={"rows": []}, expect=400)
    await admin.call("POST", "/admin/api/accounts/import", data=b"not json", expect=400)
