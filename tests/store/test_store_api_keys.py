"""Client API keys: shown once, stored hashed, found by the plaintext a client presents."""

from __future__ import annotations

import hashlib
import re

import pytest
from store_support import FakeClock, RawFetch

from shared.store import ConflictError, InvalidValueError, NotFoundError, Store


async def test_a_new_key_is_returned_once_in_the_documented_format(store: Store) -> None:
    key, plaintext = await store.create_api_key("ci")

    assert re.fullmatch(r"sk-q2a-[A-Za-z0-9_-]{43}", plaintext)
    assert key.prefix == plaintext[:11] and key.prefix.startswith("sk-q2a-")
    assert key.name == "ci" and key.enabled and not key.is_admin
    assert "plaintext" not in str(key) and plaintext not in repr(await store.list_api_keys())


async def test_only_the_hash_of_a_key_is_stored(store: Store, raw_fetch: RawFetch) -> None:
    _, plaintext = await store.create_api_key("ci")

    dump = repr(await raw_fetch("SELECT * FROM api_keys"))

    assert plaintext not in dump and plaintext[11:] not in dump
    assert hashlib.sha256(plaintext.encode()).hexdigest() in dump


async def test_a_key_is_found_by_its_plaintext(store: Store) -> None:
    key, plaintext = await store.create_api_key("ci")
    await store.create_api_key("other")

    assert await store.get_api_key_by_plaintext(plaintext) == key
    assert await store.get_api_key_by_plaintext(plaintext + "x") is None
    assert await store.get_api_key_by_plaintext("") is None


async def test_every_field_round_trips_including_expired_and_disabled(store: Store, clock: FakeClock) -> None:
    key, plaintext = await store.create_api_key(
        "limited", enabled=False, expires_at=clock.now - 1, allowed_models=["claude-sonnet-4.5", "gemini-2.5-pro"],
        requests_per_minute=60, tokens_per_minute=100_000, max_concurrent=3, is_admin=True,
    )

    # expiry and `enabled` are data: the lookup still finds the key, edge refuses it
    found = await store.get_api_key_by_plaintext(plaintext)

    assert found == key == await store.get_api_key(key.id)
    assert (found.enabled, found.expires_at, found.is_admin) == (False, clock.now - 1, True)
    assert found.allowed_models == ["claude-sonnet-4.5", "gemini-2.5-pro"]
    assert (found.requests_per_minute, found.tokens_per_minute, found.max_concurrent) == (60, 100_000, 3)


async def test_partial_update_and_clearing_limits(store: Store, clock: FakeClock) -> None:
    key, _ = await store.create_api_key("k", requests_per_minute=10, allowed_models=["m"], expires_at=clock.now + 60)
    clock.advance(1)

    updated = await store.update_api_key(key.id, name="renamed", requests_per_minute=None, allowed_models=None)

    assert updated.name == "renamed"
    assert updated.requests_per_minute is None and updated.allowed_models is None
    assert updated.expires_at == key.expires_at
    assert updated.version == key.version + 1 and updated.updated_at == clock.now
    assert await store.update_api_key(key.id) == updated
    with pytest.raises(InvalidValueError):
        await store.update_api_key(key.id, max_concurrent=0)
    with pytest.raises(InvalidValueError):
        await store.update_api_key(key.id, allowed_models="claude")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        await store.update_api_key("missing", enabled=False)


async def test_keys_are_listed_oldest_first_and_can_be_deleted(store: Store, clock: FakeClock) -> None:
    first, _ = await store.create_api_key("first")
    clock.advance(1)
    second, plaintext = await store.create_api_key("second")

    assert [k.id for k in await store.list_api_keys()] == [first.id, second.id]
    assert set((await store.api_key_hashes()).values()) >= {hashlib.sha256(plaintext.encode()).hexdigest()}
    assert await store.delete_api_key(second.id) is True
    assert await store.get_api_key_by_plaintext(plaintext) is None
    assert await store.delete_api_key(second.id) is False


async def test_touch_records_last_use_without_going_backwards(store: Store, clock: FakeClock) -> None:
    key, _ = await store.create_api_key("k")

    await store.touch_api_key(key.id, at=clock.now + 10)
    await store.touch_api_key(key.id, at=clock.now + 5)

    touched = await store.get_api_key(key.id)
    assert touched is not None and touched.last_used_at == clock.now + 10
    assert touched.version == key.version  # use is not a configuration change


async def test_an_imported_key_keeps_working_and_shows_little_of_itself(store: Store) -> None:
    key, plaintext = await store.create_api_key("seed", plaintext="legacy-openai-key-123")

    assert plaintext == "legacy-openai-key-123"
    assert await store.get_api_key_by_plaintext("legacy-openai-key-123") == key
    assert len(key.prefix) <= len(plaintext) // 3
    with pytest.raises(ConflictError):
        await store.create_api_key("again", plaintext="legacy-openai-key-123")
