"""Usage events are counted exactly once, into per-day rows and per-account counters."""

from __future__ import annotations

import asyncio

import pytest
from store_support import FakeClock, Opener

from shared.store import Account, InvalidValueError, Store, UsageEvent, UsageRow, UsageTotals

DAY1 = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC
DAY2 = DAY1 + 86_400


def event(n: int | str, account: Account | None, *, outcome: str = "success", at: float = DAY1,
          key: str | None = "key-1", model: str = "claude-sonnet-4.5", tokens: tuple[int, int] = (10, 20)
          ) -> UsageEvent:
    return UsageEvent(event_id=f"1750000000000-{n}" if isinstance(n, int) else n, at=at,
                      account_id=account.id if account else None, key_id=key, model=model,
                      outcome=outcome, input_tokens=tokens[0], output_tokens=tokens[1])  # type: ignore[arg-type]


async def test_events_add_up_per_day_key_account_and_model(store: Store) -> None:
    a = await store.create_account("amazonq")
    result = await store.record_usage_events([
        event(1, a), event(2, a, tokens=(1, 2)), event(3, a, outcome="error", tokens=(5, 0)),
        event(4, a, model="claude-haiku-4.5"), event(5, a, at=DAY2),
    ])

    assert (result.applied, result.duplicates) == (5, 0)
    rows = await store.query_usage(group_by=["day", "key", "account", "model"])
    assert rows == [
        UsageRow(day="2025-06-15", key_id="key-1", account_id=a.id, model="claude-haiku-4.5",
                 requests=1, input_tokens=10, output_tokens=20, errors=0),
        UsageRow(day="2025-06-15", key_id="key-1", account_id=a.id, model="claude-sonnet-4.5",
                 requests=3, input_tokens=16, output_tokens=22, errors=1),
        UsageRow(day="2025-06-16", key_id="key-1", account_id=a.id, model="claude-sonnet-4.5",
                 requests=1, input_tokens=10, output_tokens=20, errors=0),
    ]


async def test_redelivered_events_are_counted_once(store: Store) -> None:
    a = await store.create_account("amazonq")
    batch = [event(1, a), event(2, a, outcome="error")]

    first = await store.record_usage_events(batch)
    again = await store.record_usage_events([*batch, event(3, a), event(3, a)])

    assert (first.applied, first.duplicates) == (2, 0)
    assert (again.applied, again.duplicates) == (1, 3)
    assert await store.usage_totals() == UsageTotals(requests=3, input_tokens=30, output_tokens=60, errors=1)
    account = await store.get_account(a.id)
    assert account is not None and (account.success_count, account.total_error_count) == (2, 1)


async def test_concurrent_appliers_count_each_event_once(store: Store, open_target: Opener) -> None:
    other = await open_target()
    a = await store.create_account("amazonq")
    b = await store.create_account("gemini")
    batches = [[event(i * 10 + j, a if j % 2 else b) for j in range(10)] for i in range(6)]

    # every batch is delivered to both consumers at once, plus overlapping halves
    jobs = []
    for i, batch in enumerate(batches):
        jobs += [store.record_usage_events(batch), other.record_usage_events(batch[::-1])]
        if i:
            jobs.append(other.record_usage_events(batches[i - 1][5:] + batch[:5]))
    results = await asyncio.gather(*jobs)

    assert sum(r.applied for r in results) == 60
    assert (await store.usage_totals()).requests == 60
    counts = [(await store.get_account(x.id)).success_count for x in (a, b)]  # type: ignore[union-attr]
    assert counts == [30, 30]


async def test_success_resets_consecutive_errors_and_cancellation_counts_against_nobody(store: Store) -> None:
    a = await store.create_account("amazonq")

    await store.record_usage_events([event(1, a, outcome="error"), event(2, a, outcome="error"),
                                     event(3, a, outcome="success"), event(4, a, outcome="error"),
                                     event(5, a, outcome="cancelled", at=DAY1 + 9),
                                     event(6, a, outcome="client_error")])
    account = await store.get_account(a.id)

    assert account is not None
    assert (account.success_count, account.error_count, account.total_error_count) == (1, 1, 3)
    assert account.last_used_at == DAY1 + 9
    assert account.version == a.version  # counters flow from Redis; they are not a change to mirror
    totals = await store.usage_totals()
    assert (totals.requests, totals.errors) == (6, 4)

    await store.record_usage_events([event(7, a, outcome="error"), event(8, a, outcome="cancelled")])
    assert (await store.get_account(a.id)).error_count == 2  # type: ignore[union-attr]


async def test_consecutive_errors_past_the_threshold_disable_the_account(store: Store, clock: FakeClock) -> None:
    a = await store.create_account("amazonq")
    b = await store.create_account("amazonq")

    first = await store.record_usage_events([event(1, a, outcome="error"), event(2, a, outcome="error"),
                                             event(3, b, outcome="error")], disable_after_errors=3)
    second = await store.record_usage_events([event(4, a, outcome="error"), event(5, b, outcome="success")],
                                             disable_after_errors=3)

    assert first.disabled_account_ids == [] and second.disabled_account_ids == [a.id]
    disabled = await store.get_account(a.id)
    assert disabled is not None
    assert (disabled.status, disabled.status_reason, disabled.status_at) == (
        "disabled", "3 consecutive errors", clock.now)
    assert disabled.version == a.version + 1
    assert (await store.get_account(b.id)).status == "active"  # type: ignore[union-attr]
    third = await store.record_usage_events([event(6, a, outcome="error")], disable_after_errors=3)
    assert third.disabled_account_ids == []  # already disabled: reported once


async def test_usage_is_grouped_by_any_dimension_over_a_day_range(store: Store) -> None:
    a = await store.create_account("amazonq")
    b = await store.create_account("gemini")
    await store.record_usage_events([
        event(1, a, key="k1"), event(2, b, key="k2"), event(3, a, key="k2", at=DAY2),
        event(4, None, key=None, outcome="client_error", at=DAY2),
    ])

    by_key = await store.query_usage(group_by=["key"])
    assert [(r.key_id, r.requests) for r in by_key] == [(None, 1), ("k1", 1), ("k2", 2)]
    assert all(r.day is None and r.account_id is None for r in by_key)
    by_account_day = await store.query_usage(since="2025-06-16", until="2025-06-16", group_by=["account", "day"])
    assert {(r.account_id, r.day, r.requests) for r in by_account_day} == {
        (None, "2025-06-16", 1), (a.id, "2025-06-16", 1)}
    assert await store.query_usage(until="2025-06-14") == []
    assert await store.query_usage(group_by=[], account_id=a.id) == [
        UsageRow(requests=2, input_tokens=20, output_tokens=40)]
    assert (await store.usage_totals(key_id="k2")).requests == 2
    assert (await store.usage_totals(since="2025-06-16", model="claude-sonnet-4.5")).requests == 2
    assert await store.usage_totals(since="2030-01-01") == UsageTotals()


async def test_deleting_an_account_keeps_its_usage_history(store: Store) -> None:
    a = await store.create_account("amazonq")
    await store.record_usage_events([event(1, a)])
    await store.delete_account(a.id)

    assert (await store.usage_totals(account_id=a.id)).requests == 1
    result = await store.record_usage_events([event(2, a)])  # a late event for the gone account
    assert result.applied == 1


async def test_applied_event_ids_can_be_purged_after_the_redelivery_window(
    store: Store, clock: FakeClock
) -> None:
    await store.record_usage_events([event(1, None)])
    clock.advance(3600)
    await store.record_usage_events([event(2, None)])

    assert await store.purge_applied_events(before=clock.now - 60) == 1
    assert (await store.record_usage_events([event(2, None)])).duplicates == 1


@pytest.mark.parametrize("bad", [
    {"outcome": "timeout"}, {"input_tokens": -1}, {"event_id": ""}, {"at": "yesterday"}])
async def test_malformed_events_are_rejected_before_anything_is_written(store: Store, bad: dict) -> None:
    fields = {"event_id": "1-0", "at": DAY1, "account_id": None, "key_id": None, "model": "m",
              "outcome": "success", "input_tokens": 0, "output_tokens": 0} | bad
    with pytest.raises(InvalidValueError):
        await store.record_usage_events([event(9, None), UsageEvent(**fields)])
    assert await store.usage_totals() == UsageTotals()


async def test_malformed_usage_queries_are_rejected(store: Store) -> None:
    with pytest.raises(InvalidValueError):
        await store.query_usage(since="15/06/2025")
    with pytest.raises(InvalidValueError):
        await store.query_usage(group_by=["provider"])  # type: ignore[list-item]


@pytest.mark.parametrize("delay", [0.0, 0.003, 0.01])
async def test_a_cancelled_batch_is_applied_wholly_or_not_at_all(store: Store, delay: float) -> None:
    a = await store.create_account("amazonq")
    batch = [event(i, a) for i in range(150)]

    task = asyncio.create_task(store.record_usage_events(batch))
    await asyncio.sleep(delay)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    counted = (await store.usage_totals()).requests
    assert counted in (0, 150)
    again = await store.record_usage_events(batch)  # the store is still usable, and idempotent
    assert again.applied == 150 - counted
    assert (await store.get_account(a.id)).success_count == 150  # type: ignore[union-attr]
