"""Accounts: CRUD, partial updates, filters and sorting, status and token writes."""

from __future__ import annotations

import pytest
from store_support import FakeClock

from shared.store import Account, ConflictError, InvalidValueError, NotFoundError, Store, UsageEvent

REFRESH = "aorAAAAAGc-refresh-token-0123456789"


async def _amazonq(store: Store, **kwargs: object) -> Account:
    return await store.create_account(
        "amazonq", label="main", client_id="cid-1", client_secret="csecret-1", refresh_token=REFRESH,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_created_account_reads_back_with_defaults(store: Store, clock: FakeClock) -> None:
    created = await _amazonq(store, region="us-east-1", other={"source": "feed", "note": "ü"})

    got = await store.get_account(created.id)

    assert got == created
    assert got.provider == "amazonq" and got.label == "main" and got.region == "us-east-1"
    assert got.enabled is True and got.status == "active"
    assert (got.max_concurrency, got.weight) == (4, 1)
    assert (got.success_count, got.error_count, got.total_error_count) == (0, 0, 0)
    assert got.created_at == got.updated_at == clock.now
    assert got.version == 1
    assert got.other == {"source": "feed", "note": "ü"}
    assert (got.has_client_id, got.has_client_secret, got.has_refresh_token) == (True, True, True)
    assert (got.has_access_token, got.has_api_key) == (False, False)
    assert got.refresh_token_last4 == REFRESH[-4:]


async def test_unknown_account_reads_as_none(store: Store) -> None:
    assert await store.get_account("no-such-id") is None
    assert await store.get_account_secrets("no-such-id") is None


async def test_import_keeps_given_id_and_creation_time(store: Store) -> None:
    account = await store.create_account("gemini", account_id="seed-id-1", created_at=1_600_000_000,
                                         project="proj-1")
    assert account.id == "seed-id-1"
    assert account.created_at == 1_600_000_000.0
    with pytest.raises(ConflictError):
        await store.create_account("gemini", account_id="seed-id-1")


async def test_partial_update_changes_only_given_fields(store: Store, clock: FakeClock) -> None:
    account = await _amazonq(store, region="us-east-1", proxy_url="http://proxy:3128")
    clock.advance(10)

    updated = await store.update_account(account.id, label="renamed", weight=3)

    assert updated.label == "renamed" and updated.weight == 3
    assert updated.region == "us-east-1" and updated.proxy_url == "http://proxy:3128"
    assert updated.has_refresh_token and updated.max_concurrency == 4
    assert updated.version == account.version + 1
    assert updated.updated_at == account.updated_at + 10
    assert updated.created_at == account.created_at
    assert await store.get_account(account.id) == updated


async def test_explicit_none_clears_a_nullable_field(store: Store) -> None:
    account = await _amazonq(store, region="us-east-1")

    updated = await store.update_account(account.id, region=None, refresh_token=None)

    assert updated.region is None
    assert updated.has_refresh_token is False and updated.refresh_token_last4 is None
    secrets = await store.get_account_secrets(account.id)
    assert secrets is not None and secrets.refresh_token is None and secrets.client_id == "cid-1"


async def test_update_with_nothing_to_change_returns_the_account_unchanged(store: Store) -> None:
    account = await _amazonq(store)
    assert await store.update_account(account.id) == account


async def test_required_fields_cannot_be_cleared_or_set_out_of_range(store: Store) -> None:
    account = await _amazonq(store)
    for changes in ({"enabled": None}, {"max_concurrency": 0}, {"weight": -1}, {"other": None},
                    {"other": ["not", "an", "object"]}, {"label": 5}):
        with pytest.raises(InvalidValueError):
            await store.update_account(account.id, **changes)  # type: ignore[arg-type]
    assert await store.get_account(account.id) == account


async def test_unknown_provider_is_rejected(store: Store) -> None:
    with pytest.raises(InvalidValueError, match="provider must be one of amazonq, gemini, gemini_api"):
        await store.create_account("openai")  # type: ignore[arg-type]


async def test_updating_an_unknown_account_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.update_account("missing", label="x")
    with pytest.raises(NotFoundError):
        await store.update_tokens("missing", "tok", None)
    with pytest.raises(NotFoundError):
        await store.set_account_status("missing", "suspended")
    with pytest.raises(NotFoundError):
        await store.update_account("missing")


async def test_delete_account(store: Store) -> None:
    account = await _amazonq(store)
    assert await store.delete_account(account.id) is True
    assert await store.get_account(account.id) is None
    assert await store.delete_account(account.id) is False


async def test_list_filters_by_provider_enabled_and_status(store: Store) -> None:
    q1 = await _amazonq(store)
    q2 = await _amazonq(store, enabled=False)
    g1 = await store.create_account("gemini", refresh_token="g-refresh", project="p")
    k1 = await store.create_account("gemini_api", api_key="AIzaSy-example-key-000")
    await store.set_account_status(g1.id, "suspended", "TEMPORARILY_SUSPENDED")

    def ids(accounts: list[Account]) -> set[str]:
        return {a.id for a in accounts}

    assert ids(await store.list_accounts()) == {q1.id, q2.id, g1.id, k1.id}
    assert ids(await store.list_accounts(provider="amazonq")) == {q1.id, q2.id}
    assert ids(await store.list_accounts(enabled=False)) == {q2.id}
    assert ids(await store.list_accounts(status="suspended")) == {g1.id}
    assert ids(await store.list_accounts(provider="amazonq", enabled=True, status="active")) == {q1.id}
    assert await store.list_accounts(provider="gemini", status="active") == []


async def test_list_sorts_by_creation_success_count_or_id_in_either_order(
    store: Store, clock: FakeClock
) -> None:
    created = []
    for successes in (2, 0, 5):
        account = await _amazonq(store)
        clock.advance(1)
        created.append(account)
        if successes:
            await store.record_usage_events([
                UsageEvent(event_id=f"{account.id}-{i}", at=clock.now, account_id=account.id, key_id=None,
                           model="m", outcome="success") for i in range(successes)
            ])

    def ids(accounts: list[Account]) -> list[str]:
        return [a.id for a in accounts]

    oldest_first = [a.id for a in created]
    assert ids(await store.list_accounts()) == oldest_first
    assert ids(await store.list_accounts(sort="created_at", order="desc")) == oldest_first[::-1]
    assert ids(await store.list_accounts(sort="success_count", order="desc")) == [
        created[2].id, created[0].id, created[1].id]
    assert ids(await store.list_accounts(sort="success_count")) == [created[1].id, created[0].id, created[2].id]
    assert ids(await store.list_accounts(sort="id")) == sorted(oldest_first)
    assert ids(await store.list_accounts(sort="id", order="desc")) == sorted(oldest_first, reverse=True)
    assert ids(await store.list_accounts(limit=2)) == oldest_first[:2]
    assert ids(await store.list_accounts(offset=1)) == oldest_first[1:]
    assert ids(await store.list_accounts(limit=1, offset=2)) == oldest_first[2:]


async def test_unknown_sort_column_is_rejected(store: Store) -> None:
    with pytest.raises(InvalidValueError):
        await store.list_accounts(sort="label; DROP TABLE accounts")  # type: ignore[arg-type]


async def test_status_change_records_reason_and_time(store: Store, clock: FakeClock) -> None:
    account = await _amazonq(store)
    clock.advance(5)

    suspended = await store.set_account_status(account.id, "suspended", "TEMPORARILY_SUSPENDED")

    assert suspended.status == "suspended"
    assert suspended.status_reason == "TEMPORARILY_SUSPENDED"
    assert suspended.status_at == clock.now
    assert suspended.enabled is True  # the operator's switch is separate from the system's verdict
    assert suspended.version == account.version + 1
    with pytest.raises(InvalidValueError):
        await store.set_account_status(account.id, "banned")  # type: ignore[arg-type]


async def test_reactivation_clears_consecutive_errors(store: Store, clock: FakeClock) -> None:
    account = await _amazonq(store)
    await store.record_usage_events([
        UsageEvent(event_id=f"e{i}", at=clock.now, account_id=account.id, key_id=None, model="m",
                   outcome="error") for i in range(3)
    ])
    await store.set_account_status(account.id, "disabled", "3 consecutive errors")

    active = await store.set_account_status(account.id, "active")

    assert active.error_count == 0 and active.total_error_count == 3
    assert active.status_reason is None


async def test_reenabling_clears_consecutive_errors(store: Store, clock: FakeClock) -> None:
    account = await _amazonq(store)
    await store.record_usage_events([UsageEvent(event_id="e1", at=clock.now, account_id=account.id,
                                                key_id=None, model="m", outcome="error")])
    still_enabled = await store.update_account(account.id, enabled=True)
    assert still_enabled.error_count == 1  # enabling an enabled account changes nothing
    await store.update_account(account.id, enabled=False)

    reenabled = await store.update_account(account.id, enabled=True)

    assert reenabled.enabled is True and reenabled.error_count == 0


async def test_update_tokens_keeps_the_refresh_token_unless_a_new_one_is_given(
    store: Store, clock: FakeClock
) -> None:
    account = await _amazonq(store)
    clock.advance(60)

    refreshed = await store.update_tokens(account.id, "access-1", clock.now + 3600)

    secrets = await store.get_account_secrets(account.id)
    assert secrets is not None
    assert (secrets.access_token, secrets.refresh_token) == ("access-1", REFRESH)
    assert secrets.access_token_expires_at == refreshed.access_token_expires_at == clock.now + 3600
    assert refreshed.last_refresh_at == clock.now
    assert refreshed.version == account.version + 1

    rotated = await store.update_tokens(account.id, "access-2", None, refresh_token="rotated-refresh-token-xyz")

    secrets = await store.get_account_secrets(account.id)
    assert secrets is not None
    assert (secrets.access_token, secrets.refresh_token) == ("access-2", "rotated-refresh-token-xyz")
    assert rotated.access_token_expires_at is None
    assert rotated.refresh_token_last4 == "-xyz"


async def test_other_json_round_trips_nested_values(store: Store) -> None:
    other = {"creditsInfo": {"models": {"gemini-2.5-pro": {"remainingFraction": 0.25, "recommended": True}},
                             "summary": {"totalModels": 1}},
             "api_test": {"proxy": {"errors": ["TEMPORARILY_SUSPENDED"]}}, "n": None}
    account = await store.create_account("gemini", other=other)
    assert (await store.get_account(account.id)).other == other  # type: ignore[union-attr]
    replaced = await store.update_account(account.id, other={"note": "replaced"})
    assert replaced.other == {"note": "replaced"}


async def test_list_account_secrets_returns_requested_accounts(store: Store) -> None:
    a = await _amazonq(store)
    b = await store.create_account("gemini_api", api_key="AIzaSy-example-key-111")
    await _amazonq(store)

    picked = await store.list_account_secrets([a.id, b.id])

    assert {s.account_id for s in picked} == {a.id, b.id}
    assert {s.api_key for s in picked} == {None, "AIzaSy-example-key-111"}
    assert len(await store.list_account_secrets()) == 3
    assert await store.list_account_secrets([]) == []
