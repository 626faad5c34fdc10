"""Admin state: meta values, the store generation, console sessions."""

from __future__ import annotations

import pytest
from store_support import FakeClock, Opener, RawFetch

from shared.store import InvalidValueError, Store
from shared.store.records import DEFAULT_SESSION_TTL


async def test_meta_values_can_be_set_replaced_and_deleted(store: Store) -> None:
    assert await store.get_meta("admin_password_hash") is None
    await store.set_meta("admin_password_hash", "h1")
    await store.set_meta("admin_password_hash", "h2")
    assert await store.get_meta("admin_password_hash") == "h2"
    assert await store.delete_meta("admin_password_hash") is True
    assert await store.get_meta("admin_password_hash") is None


async def test_the_generation_is_fixed_when_the_store_is_created(store: Store, open_target: Opener) -> None:
    generation = await store.generation()

    assert len(generation) == 36
    assert await (await open_target()).generation() == generation


async def test_a_session_is_valid_until_it_expires(store: Store, clock: FakeClock) -> None:
    token = await store.create_session()

    session = await store.validate_session(token)
    assert session is not None
    assert session.expires_at - session.created_at == DEFAULT_SESSION_TTL == 30 * 86_400

    clock.advance(DEFAULT_SESSION_TTL - 1)
    assert await store.validate_session(token) is not None
    clock.advance(1)
    assert await store.validate_session(token) is None


async def test_a_revoked_session_is_invalid(store: Store) -> None:
    token = await store.create_session(ttl=60)
    other = await store.create_session(ttl=60)

    assert await store.revoke_session(token) is True
    assert await store.revoke_session(token) is False
    assert await store.validate_session(token) is None
    assert await store.validate_session(other) is not None
    assert await store.revoke_all_sessions() == 1
    assert await store.validate_session(other) is None


async def test_unknown_tokens_are_invalid(store: Store) -> None:
    assert await store.validate_session("forged-token") is None
    assert await store.validate_session("") is None


async def test_session_tokens_are_stored_hashed(store: Store, raw_fetch: RawFetch) -> None:
    token = await store.create_session()
    assert token not in repr(await raw_fetch("SELECT * FROM admin_sessions"))


async def test_purge_removes_expired_and_revoked_sessions_only(store: Store, clock: FakeClock) -> None:
    short = await store.create_session(ttl=10)
    revoked = await store.create_session(ttl=100)
    live = await store.create_session(ttl=100)
    await store.revoke_session(revoked)
    clock.advance(10)

    assert await store.purge_sessions() == 2
    assert await store.validate_session(live) is not None
    assert await store.validate_session(short) is None


async def test_a_session_needs_a_positive_lifetime(store: Store) -> None:
    with pytest.raises(InvalidValueError):
        await store.create_session(ttl=0)
