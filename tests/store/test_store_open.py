"""open_store: DATABASE_URL selects the backend, and anything else is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.store import StoreConfigError, open_store, resolve_database_url


def test_an_empty_url_means_the_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    assert resolve_database_url("", tmp_path) == ("sqlite", str(tmp_path / "q2api.sqlite3"))
    assert resolve_database_url(None, tmp_path) == ("sqlite", str(tmp_path / "q2api.sqlite3"))


def test_sqlite_urls_follow_sqlalchemy_slashes(tmp_path: Path) -> None:
    assert resolve_database_url("sqlite:///data/q.db", tmp_path) == ("sqlite", "data/q.db")
    assert resolve_database_url("sqlite:////var/lib/q2api/q.db", tmp_path) == ("sqlite", "/var/lib/q2api/q.db")


@pytest.mark.parametrize("url", ["postgres://u:p@db:5432/q2api", "postgresql://u@db/q2api",
                                 "POSTGRESQL://u@db/q2api"])
def test_postgres_urls_select_postgres(url: str, tmp_path: Path) -> None:
    assert resolve_database_url(url, tmp_path) == ("postgres", url)


@pytest.mark.parametrize("url", ["mysql://u:secret@db:3306/q2api", "sqlite://", "/var/lib/q.db", "redis://x"])
def test_unsupported_urls_are_an_error_naming_the_setting_and_the_choices(url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError) as caught:
        resolve_database_url(url, tmp_path)
    message = str(caught.value)
    assert "DATABASE_URL" in message and "postgresql://" in message and "sqlite:///" in message
    assert "secret" not in message


async def test_an_empty_url_opens_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    store = await open_store("", data_dir=tmp_path / "data", credentials_key=None)
    try:
        assert store.dialect == "sqlite"
        await store.create_account("amazonq")
    finally:
        await store.close()
    assert (tmp_path / "data" / "q2api.sqlite3").exists()
    assert (tmp_path / "data" / "credentials.key").exists()


async def test_an_unreachable_postgres_is_an_error_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError) as caught:
        await open_store("postgresql://q2api:hunter2@127.0.0.1:1/q2api", data_dir=tmp_path,
                         credentials_key=b"k" * 32)
    message = str(caught.value)
    assert "cannot connect to PostgreSQL at postgresql://q2api:***@127.0.0.1:1/q2api" in message
    assert "hunter2" not in message


async def test_a_wrong_length_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError, match="credentials key is 16 bytes"):
        await open_store("", data_dir=tmp_path, credentials_key=b"k" * 16)
