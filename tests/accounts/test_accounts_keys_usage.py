"""API keys (plaintext shown once, cache in Redis at once) and usage queries."""

from __future__ import annotations

import time

from services.accounts.context import STORE
from shared.redis import apikeys
from shared.service import REDIS
from shared.store import UsageEvent
from shared.store.usage import usage_day


async def test_a_created_key_shows_its_plaintext_once_and_never_again(admin):
    created = await admin.call("POST", "/admin/api/keys", json={"name": "ci", "requests_per_minute": 60}, expect=201)
    plaintext = created["key"]
    assert plaintext.startswith("sk-q2a-") and created["name"] == "ci" and created["requests_per_minute"] == 60
    listing = await admin.call("GET", "/admin/api/keys")
    assert listing["count"] == 1 and plaintext not in str(listing) and "key" not in listing["keys"][0]
    assert plaintext[:11] == listing["keys"][0]["prefix"]
    one = await admin.call("GET", f"/admin/api/keys/{created['id']}")
    assert plaintext not in str(one)


async def test_key_changes_reach_edges_cache_at_once(admin):
    redis = admin.app[REDIS]
    created = await admin.call("POST", "/admin/api/keys", json={"name": "app"}, expect=201)
    cached = await apikeys.lookup(redis, created["key"])
    assert cached is not None and cached.key_id == created["id"] and cached.enabled
    patched = await admin.call("PATCH", f"/admin/api/keys/{created['id']}", json={"enabled": False, "max_concurrent": 3})
    assert patched["enabled"] is False
    cached = await apikeys.lookup(redis, created["key"])
    assert cached is not None and not cached.enabled and cached.max_concurrent == 3
    assert await admin.call("DELETE", f"/admin/api/keys/{created['id']}") == {"deleted": created["id"]}
    assert await apikeys.lookup(redis, created["key"]) is None and not await apikeys.any_keys(redis)
    await admin.call("DELETE", f"/admin/api/keys/{created['id']}", expect=404)


async def test_an_existing_key_can_be_imported(admin):
    created = await admin.call("POST", "/admin/api/keys", json={"name": "seed", "key": "sk-seed-openai-keys-entry"},
                               expect=201)
    assert created["key"] == "sk-seed-openai-keys-entry"
    assert await apikeys.lookup(admin.app[REDIS], "sk-seed-openai-keys-entry") is not None
    await admin.call("POST", "/admin/api/keys", json={"name": "dup", "key": "sk-seed-openai-keys-entry"}, expect=409)
    await admin.call("POST", "/admin/api/keys", json={"nom": "x"}, expect=400)


async def test_usage_groups_and_filters(admin):
    store = admin.app[STORE]
    now = time.time()
    await store.record_usage_events([
        UsageEvent(event_id="1-0", at=now, account_id="a1", key_id="k1", model="m1", outcome="success",
                   input_tokens=10, output_tokens=5),
        UsageEvent(event_id="2-0", at=now, account_id="a2", key_id="k1", model="m2", outcome="error", input_tokens=3),
    ])
    today = usage_day(now)
    by_account = await admin.call("GET", f"/admin/api/usage?since={today}&until={today}&group_by=account")
    assert [(r["account_id"], r["requests"], r["errors"]) for r in by_account["rows"]] == [("a1", 1, 0), ("a2", 1, 1)]
    assert by_account["totals"] == {"requests": 2, "input_tokens": 13, "output_tokens": 5, "errors": 1}
    filtered = await admin.call("GET", "/admin/api/usage?group_by=day,model&model=m1")
    assert filtered["rows"] == [{"day": today, "key_id": None, "account_id": None, "model": "m1", "requests": 1,
                                 "input_tokens": 10, "output_tokens": 5, "errors": 0}]
    await admin.call("GET", "/admin/api/usage?group_by=hour", expect=400)
    await admin.call("GET", "/admin/api/usage?since=yesterday", expect=400)
    stats = await admin.call("GET", "/admin/api/stats")
    assert stats["today"]["requests"] == 2 and stats["today"]["input_tokens"] == 13
