"""Usage and the pool at a glance: `GET /admin/api/usage` and `GET /admin/api/stats`."""

from __future__ import annotations

import time
from collections import Counter

from aiohttp import web
from redis.exceptions import RedisError

from services.accounts.api_errors import ApiError, json_reply
from services.accounts.context import POOL, STORE
from shared.redis import keys
from shared.store.records import ACCOUNT_STATUSES, PROVIDERS, USAGE_DIMENSIONS
from shared.store.usage import usage_day


async def usage(request: web.Request) -> web.Response:
    """GET /admin/api/usage?since=YYYY-MM-DD&until=&group_by=day,key,account,model&key_id=&account_id=&model="""
    query = request.query
    group_by = [d.strip() for d in query.get("group_by", "day").split(",") if d.strip()]
    for dimension in group_by:
        if dimension not in USAGE_DIMENSIONS:
            raise ApiError(400, "invalid_query",
                           f"group_by takes {', '.join(USAGE_DIMENSIONS)}; got {dimension!r}")
    filters = {
        "since": query.get("since") or None,
        "until": query.get("until") or None,
        "key_id": query.get("key_id") or None,
        "account_id": query.get("account_id") or None,
        "model": query.get("model") or None,
    }
    store = request.app[STORE]
    rows = await store.query_usage(group_by=group_by, **filters)  # type: ignore[arg-type]
    totals = await store.usage_totals(**filters)
    return json_reply({**filters, "group_by": group_by, "rows": rows, "totals": totals})


async def stats(request: web.Request) -> web.Response:
    """GET /admin/api/stats: accounts by provider and status, in-flight now, usage today (UTC)."""
    store = request.app[STORE]
    accounts = await store.list_accounts()
    by_provider = {p: {"total": 0, "enabled": 0, "serving": 0, "inflight": 0} for p in PROVIDERS}
    by_status = Counter({s: 0 for s in ACCOUNT_STATUSES})
    for account in accounts:
        row = by_provider[account.provider]
        row["total"] += 1
        row["enabled"] += account.enabled
        row["serving"] += account.enabled and account.status in ("active", "cooling")
        by_status[account.status] += 1
    redis_state: dict[str, object] = {"reachable": True}
    try:
        redis = request.app[POOL].redis
        async with redis.pipeline(transaction=False) as pipe:
            for account in accounts:
                pipe.hget(keys.account(account.id), "inflight")
            pipe.zcard(keys.LEASES)
            replies = await pipe.execute()
        for account, inflight in zip(accounts, replies[:-1], strict=True):
            by_provider[account.provider]["inflight"] += int(inflight or 0)
        redis_state["leases"] = replies[-1]
        inflight_total: int | None = sum(row["inflight"] for row in by_provider.values())
    except (RedisError, OSError):
        redis_state = {"reachable": False}
        inflight_total = None
    today = usage_day(time.time())
    totals = await store.usage_totals(since=today, until=today)
    return json_reply({
        "accounts": {"total": len(accounts), "enabled": sum(a.enabled for a in accounts),
                     "by_provider": by_provider, "by_status": dict(by_status)},
        "inflight": inflight_total,
        "redis": redis_state,
        "today": {"day": today, "requests": totals.requests, "input_tokens": totals.input_tokens,
                  "output_tokens": totals.output_tokens, "errors": totals.errors},
        "api_keys": len(await store.list_api_keys()),
    })


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/api/usage", usage)
    app.router.add_get("/admin/api/stats", stats)
