"""Credentials are sealed at rest, a wrong key is named as such, and secrets resist serialisation."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import threading
from pathlib import Path

import msgspec
import orjson
import pytest
from store_support import Opener, RawFetch, Target

from shared.store import (
    AccountSecrets,
    CredentialCipher,
    CredentialsKeyError,
    Store,
    StoreConfigError,
    open_store,
    parse_credentials_key,
)
from shared.store.crypto import KEY_FILE_NAME, load_or_create_key_file

WRONG_KEY_MESSAGE = (
    "cannot decrypt account credentials: the credentials key differs from the one they were written with"
)
SECRETS = {
    "client_id": "client-id-Plaintext-1",
    "client_secret": "client-secret-Plaintext-2",
    "refresh_token": "refresh-token-Plaintext-3",
    "access_token": "access-token-Plaintext-4",
    "api_key": "api-key-Plaintext-5",
}


async def test_raw_rows_hold_no_plaintext_credential(store: Store, raw_fetch: RawFetch) -> None:
    account = await store.create_account("amazonq", **SECRETS)  # type: ignore[arg-type]
    await store.update_tokens(account.id, "access-token-Plaintext-6", None, refresh_token="refresh-Plaintext-7")

    dump = repr(await raw_fetch("SELECT * FROM accounts"))

    assert account.id in dump
    for needle in (*SECRETS.values(), "access-token-Plaintext-6", "refresh-Plaintext-7", "Plaintext"):
        assert needle not in dump
    sealed = await raw_fetch("SELECT refresh_token_sealed FROM accounts")
    assert sealed[0][0].startswith("v1:")


async def test_secrets_decrypt_to_what_was_stored(store: Store) -> None:
    account = await store.create_account("amazonq", access_token_expires_at=1_800_000_000, **SECRETS)  # type: ignore[arg-type]

    got = await store.get_account_secrets(account.id)

    assert got == AccountSecrets(account_id=account.id, access_token_expires_at=1_800_000_000.0, **SECRETS)


async def test_the_same_secret_seals_differently_each_time(store: Store, raw_fetch: RawFetch) -> None:
    await store.create_account("amazonq", refresh_token="same-refresh-token")
    await store.create_account("amazonq", refresh_token="same-refresh-token")

    rows = await raw_fetch("SELECT refresh_token_sealed FROM accounts")

    assert len({row[0] for row in rows}) == 2  # a fresh nonce per value


async def test_opening_with_a_different_key_is_refused_with_a_clear_error(
    store: Store, open_target: Opener
) -> None:
    await store.create_account("amazonq", refresh_token="refresh-token-abc")

    with pytest.raises(CredentialsKeyError) as caught:
        await open_target(key=secrets.token_bytes(32))

    assert str(caught.value) == WRONG_KEY_MESSAGE


async def test_reopening_with_the_same_key_reads_the_credentials(store: Store, open_target: Opener) -> None:
    account = await store.create_account("amazonq", refresh_token="refresh-token-abc")

    again = await open_target()

    got = await again.get_account_secrets(account.id)
    assert got is not None and got.refresh_token == "refresh-token-abc"


async def test_a_sealed_value_does_not_open_under_another_key_or_in_another_place() -> None:
    cipher = CredentialCipher(secrets.token_bytes(32))
    sealed = cipher.encrypt("refresh-token", context="account:a:refresh_token")

    assert cipher.decrypt(sealed, context="account:a:refresh_token") == "refresh-token"
    with pytest.raises(CredentialsKeyError, match="credentials key differs"):
        CredentialCipher(secrets.token_bytes(32)).decrypt(sealed, context="account:a:refresh_token")
    with pytest.raises(CredentialsKeyError):  # copied into another account's row
        cipher.decrypt(sealed, context="account:b:refresh_token")


def test_account_secrets_cannot_be_serialised_or_logged_by_accident() -> None:
    secrets_ = AccountSecrets(account_id="a1", access_token_expires_at=None, **SECRETS)

    for encode in (msgspec.json.encode, orjson.dumps, json.dumps):
        with pytest.raises(TypeError):
            encode(secrets_)
    assert "Plaintext" not in repr(secrets_) and "Plaintext" not in str(secrets_)
    assert "refresh_token" in repr(secrets_)  # says what is present, not what it is


async def test_without_a_configured_key_a_private_key_file_is_created_and_reused(target: Target) -> None:
    key_file = target.data_dir / KEY_FILE_NAME
    first = await open_store(target.database_url, data_dir=target.data_dir, credentials_key=None)
    try:
        account = await first.create_account("amazonq", refresh_token="refresh-token-abc")
    finally:
        await first.close()

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(parse_credentials_key(key_file.read_text())) == 32

    second = await open_store(target.database_url, data_dir=target.data_dir, credentials_key=None)
    try:
        got = await second.get_account_secrets(account.id)
        assert got is not None and got.refresh_token == "refresh-token-abc"
    finally:
        await second.close()


def test_racing_processes_agree_on_one_key_file(tmp_path: Path) -> None:
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def load() -> None:
        barrier.wait()
        keys.append(load_or_create_key_file(tmp_path))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no temporary files left behind


def test_credentials_key_setting_accepts_base64_and_hex() -> None:
    raw = os.urandom(32)
    for text in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("="),
                 raw.hex(), f"  {base64.b64encode(raw).decode()}\n"):
        assert parse_credentials_key(text) == raw


@pytest.mark.parametrize("text", ["", "not base64 at all!", base64.b64encode(b"short").decode()])
def test_a_malformed_credentials_key_setting_says_how_to_make_one(text: str) -> None:
    with pytest.raises(StoreConfigError, match=r"CREDENTIALS_KEY .*32 .*secrets\.token_bytes\(32\)"):
        parse_credentials_key(text)
