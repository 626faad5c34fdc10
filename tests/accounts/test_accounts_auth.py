"""Admin auth: sessions from /api/login guard every /admin/api and /v2 route; guesses are slowed down."""

from __future__ import annotations

import re

import pytest
from accounts_support import ADMIN_PASSWORD

from services.accounts.context import STORE
from services.accounts.login_guard import FREE_FAILURES, lock_seconds
from shared.admin_password import check_admin_password, ensure_admin_password
from shared.settings import load_settings
from shared.store import open_store


def admin_routes(app) -> list[tuple[str, str]]:
    """Every (method, concrete path) the app serves under /admin/api and /v2."""
    found = []
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if not (canonical.startswith("/admin/api") or canonical.startswith("/v2/")):
            continue
        path = re.sub(r"\{[^}]+\}", "some-id", canonical)
        method = "GET" if route.method in ("*", "HEAD") else route.method
        found.append((method, path))
    return sorted(set(found))


async def test_every_admin_route_refuses_a_request_without_a_session(start_accounts):
    client = await start_accounts(login=False)
    routes = admin_routes(client.server.app)
    assert len(routes) >= 25, routes
    for headers in ({}, {"authorization": "Bearer not-a-session"}, {"authorization": ADMIN_PASSWORD}):
        for method, path in routes:
            response = await client.request(method, path, json={}, headers=headers)
            assert response.status == 401, (method, path, headers, response.status)
            assert response.headers["x-should-retry"] == "false"
            assert response.headers["cache-control"] == "no-store"
            body = await response.json()
            assert "error" in body or "detail" in body


async def test_unknown_admin_paths_also_need_a_session_before_saying_not_found(admin):
    anonymous = await admin.client.get("/admin/api/nothing-here")
    assert anonymous.status == 401
    body = await admin.call("GET", "/admin/api/nothing-here", expect=404)
    assert body["error"]["code"] == "not_found"


async def test_login_returns_a_session_token_that_opens_the_admin_api(start_accounts):
    client = await start_accounts(login=False)
    response = await client.post("/api/login", json={"password": ADMIN_PASSWORD})
    body = await response.json()
    assert response.status == 200
    assert body["success"] is True and body["message"] == "Login successful"
    assert body["expires_at"] > 0 and len(body["token"]) >= 40
    accounts = await client.get("/admin/api/accounts", headers={"authorization": f"Bearer {body['token']}"})
    assert accounts.status == 200
    seed = await client.get("/v2/accounts", headers={"authorization": f"Bearer {body['token']}"})
    assert seed.status == 200


async def test_a_wrong_password_is_401_invalid_password(start_accounts):
    client = await start_accounts(login=False)
    response = await client.post("/api/login", json={"password": "wrong"})
    assert response.status == 401
    assert await response.json() == {"success": False, "message": "Invalid password"}
    malformed = await client.post("/api/login", data=b"{not json")
    assert malformed.status == 400


async def test_repeated_failures_from_one_address_are_slowed_down_even_for_the_right_password(start_accounts):
    client = await start_accounts(login=False)
    for attempt in range(1, FREE_FAILURES + 1):
        response = await client.post("/api/login", json={"password": f"guess-{attempt}"})
        assert response.status == 401
    assert response.headers["retry-after"] == str(int(lock_seconds(FREE_FAILURES)))
    locked = await client.post("/api/login", json={"password": ADMIN_PASSWORD})
    assert locked.status == 429
    assert 0 < int(locked.headers["retry-after"]) <= lock_seconds(FREE_FAILURES)
    assert (await locked.json())["success"] is False
    # another client address is not affected (edge forwards the caller's address)
    other = await client.post("/api/login", json={"password": ADMIN_PASSWORD},
                              headers={"x-forwarded-for": "203.0.113.9"})
    assert other.status == 200


def test_the_lock_doubles_with_each_further_failure_up_to_fifteen_minutes():
    assert lock_seconds(FREE_FAILURES - 1) == 0
    assert [lock_seconds(FREE_FAILURES + i) for i in range(4)] == [30, 60, 120, 240]
    assert lock_seconds(100) == 900


async def test_logout_revokes_the_presented_session_only(admin):
    second = await admin.client.post("/api/login", json={"password": ADMIN_PASSWORD})
    other_token = (await second.json())["token"]
    await admin.call("POST", "/admin/api/logout")
    assert (await admin.client.get("/admin/api/accounts", headers=admin.auth)).status == 401
    still = await admin.client.get("/admin/api/accounts", headers={"authorization": f"Bearer {other_token}"})
    assert still.status == 200


async def test_revoke_all_ends_every_session(admin):
    second = await admin.client.post("/api/login", json={"password": ADMIN_PASSWORD})
    other = {"authorization": f"Bearer {(await second.json())['token']}"}
    body = await admin.call("POST", "/admin/api/sessions/revoke-all")
    assert body["revoked"] >= 2
    assert (await admin.client.get("/admin/api/stats", headers=other)).status == 401
    assert (await admin.client.get("/admin/api/stats", headers=admin.auth)).status == 401


async def test_with_the_console_disabled_no_admin_route_exists(start_accounts):
    client = await start_accounts(login=False, ENABLE_CONSOLE="false")
    for method, path in [("POST", "/api/login"), ("GET", "/admin/api/accounts"), ("GET", "/v2/accounts"),
                         ("POST", "/v2/auth/start")]:
        response = await client.request(method, path, json={"password": ADMIN_PASSWORD})
        assert response.status == 404, (method, path)
    assert (await client.get("/healthz")).status == 200


async def test_a_generated_password_is_stored_hashed_and_returned_once(tmp_path):
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    store = await open_store("", data_dir=tmp_path, credentials_key=None)
    try:
        password = await ensure_admin_password(store, settings)
        assert password and len(password) >= 24
        assert await ensure_admin_password(store, settings) is None, "shown once"
        assert await check_admin_password(store, settings, password)
        assert not await check_admin_password(store, settings, password + "x")
        assert not await check_admin_password(store, settings, "")
        stored = await store.get_meta("admin_password_hash")
        assert stored and password not in stored and stored.startswith("scrypt$")
    finally:
        await store.close()


async def test_admin_password_setting_wins_and_is_never_stored(tmp_path):
    settings = load_settings({"DATA_DIR": str(tmp_path), "ADMIN_PASSWORD": "from-the-environment"})
    store = await open_store("", data_dir=tmp_path, credentials_key=None)
    try:
        assert await ensure_admin_password(store, settings) is None
        assert await store.get_meta("admin_password_hash") is None
        assert await check_admin_password(store, settings, "from-the-environment")
        assert not await check_admin_password(store, settings, "from-the-environment ")
    finally:
        await store.close()


async def test_a_standalone_service_prints_a_generated_password_to_stderr_once(start_accounts, capsys):
    client = await start_accounts(login=False, ADMIN_PASSWORD="")
    printed = capsys.readouterr().err
    match = re.search(r"Admin password \(shown once.*\): (\S+)", printed)
    assert match, printed
    response = await client.post("/api/login", json={"password": match.group(1)})
    assert response.status == 200
    stored = await client.server.app[STORE].get_meta("admin_password_hash")
    assert match.group(1) not in stored


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "bearer"])
async def test_malformed_authorization_headers_are_refused(admin, header):
    response = await admin.client.get("/admin/api/accounts", headers={"authorization": header})
    assert response.status == 401
