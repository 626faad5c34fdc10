"""Secrets never appear in an answer, a log line (caplog at DEBUG and the JSON formatter) or Redis."""

from __future__ import annotations

import io
import logging

from accounts_support import ADMIN_PASSWORD, eventually

from shared.logs import JsonLineFormatter
from shared.redis.pool import AccountPool
from shared.service import REDIS

CLIENT_SECRET = "LEAKCHECK-client-secret-7f3a9c"
REFRESH_TOKEN = "LEAKCHECK-refresh-token-51be0d"
ACCESS_TOKEN = "LEAKCHECK-access-token-c2e8a4"
API_KEY = "LEAKCHECK-gemini-api-key-9d1f77"
SEED_SECRET = "LEAKCHECK-seed-client-secret-aa01"
SEED_REFRESH = "LEAKCHECK-seed-refresh-token-bb02"
NEVER_SHOWN = [CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN, API_KEY, SEED_SECRET, SEED_REFRESH, ADMIN_PASSWORD,
               "claimed-client-secret-1234567890", "claimed-refresh-token-1234567890", "refresher-echoed-refresh-token"]
NOT_IN_REDIS = [CLIENT_SECRET, REFRESH_TOKEN, SEED_SECRET, SEED_REFRESH, "claimed-refresh-token-1234567890"]


async def test_a_full_admin_session_never_shows_or_logs_a_secret(start_accounts, caplog):
    caplog.set_level(logging.DEBUG)
    json_lines = io.StringIO()
    handler = logging.StreamHandler(json_lines)
    handler.setFormatter(JsonLineFormatter("accounts"))
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    answers: list[str] = []
    try:
        client = await start_accounts(login=False)
        for wrong in ("guess-1", ADMIN_PASSWORD + "x"):
            answers.append(await (await client.post("/api/login", json={"password": wrong})).text())
        login = await client.post("/api/login", json={"password": ADMIN_PASSWORD})
        token = (await login.json())["token"]
        auth = {"authorization": f"Bearer {token}"}

        async def call(method: str, path: str, **kwargs) -> dict:
            response = await client.request(method, path, headers=auth, **kwargs)
            text = await response.text()
            answers.append(text)
            answers.append(str(dict(response.headers)))
            return await response.json() if response.content_type == "application/json" else {}

        ours = await call("POST", "/admin/api/accounts", json={
            "label": "leak check", "client_id": "leak-client", "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN, "access_token": ACCESS_TOKEN})
        gem = await call("POST", "/admin/api/accounts", json={"provider": "gemini_api", "api_key": API_KEY})
        seed = await call("POST", "/v2/accounts", json={"clientId": "seed-client", "clientSecret": SEED_SECRET,
                                                        "refreshToken": SEED_REFRESH, "accessToken": ACCESS_TOKEN})
        await call("POST", "/admin/api/accounts", json={"client_secret": CLIENT_SECRET, "bogus": 1})
        await call("POST", "/v2/accounts", json={"clientSecret": SEED_SECRET, "enabled": "maybe"})
        for path in ("/admin/api/accounts", f"/admin/api/accounts/{ours['id']}", f"/admin/api/accounts/{gem['id']}",
                     "/v2/accounts", f"/v2/accounts/{seed['id']}", f"/admin/api/accounts/{ours['id']}/state",
                     "/admin/api/stats", "/admin/api/usage"):
            await call("GET", path)
        await call("PATCH", f"/admin/api/accounts/{ours['id']}", json={"label": "renamed", "refresh_token": REFRESH_TOKEN})
        await call("PATCH", f"/v2/accounts/{seed['id']}", json={"refreshToken": SEED_REFRESH})
        await call("POST", "/admin/api/accounts/export")
        await call("POST", "/admin/api/accounts/export", json={"include_secrets": True, "password": "wrong"})
        await call("POST", "/admin/api/accounts/import", json=[{"clientId": "x", "clientSecret": SEED_SECRET,
                                                               "refreshToken": SEED_REFRESH, "type": "nope"}])
        await call("POST", f"/admin/api/accounts/{ours['id']}/refresh")
        await call("POST", f"/v2/accounts/{seed['id']}/refresh")
        await call("POST", "/v2/auth/start", json={"label": "x"})
        await call("POST", "/v2/auth/claim/auth-1")
        await call("POST", f"/admin/api/accounts/{ours['id']}/disable")
        await call("POST", f"/admin/api/accounts/{ours['id']}/enable")
        key = await call("POST", "/admin/api/keys", json={"name": "leak"})
        answers.pop(-2)  # the create answer is the one place a key's plaintext is shown, on purpose
        await call("GET", "/admin/api/keys")
        redis = client.server.app[REDIS]
        pool = AccountPool(redis)
        lease = await pool.lease("amazonq", pin=ours["id"])
        await pool.release(lease.lease_id, "upstream_error", reason="HTTP 500")
        await eventually(lambda: _consumed(client), what="the event")
        await call("DELETE", f"/admin/api/accounts/{gem['id']}")
        await call("POST", "/admin/api/logout")
        redis_dump = await _dump(redis)
    finally:
        logging.getLogger().removeHandler(handler)

    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records) + json_lines.getvalue()
    assert "POST /admin/api/accounts" in json_lines.getvalue(), "the log capture works"
    shown = "\n".join(answers)
    for secret in [*NEVER_SHOWN, key["key"]]:
        assert secret not in logged, f"{secret} was logged"
    for secret in NEVER_SHOWN:
        assert secret not in shown, f"{secret} was in an answer"
    for secret in NOT_IN_REDIS:
        assert secret not in redis_dump, f"{secret} reached Redis"
    assert key["key"] not in redis_dump


async def _consumed(client) -> bool:
    from services.accounts.context import CONSUMER

    return client.server.app[CONSUMER].applied >= 1


async def _dump(redis) -> str:
    parts = []
    async for name in redis.scan_iter(match="*"):
        kind = await redis.type(name)
        if kind == "hash":
            parts.append(str(await redis.hgetall(name)))
        elif kind == "string":
            parts.append(str(await redis.get(name)))
        elif kind == "set":
            parts.append(str(await redis.smembers(name)))
        elif kind == "zset":
            parts.append(str(await redis.zrange(name, 0, -1)))
        elif kind == "stream":
            parts.append(str(await redis.xrange(name)))
        parts.append(name)
    return "\n".join(parts)
