"""Database URLs from the config: SQLite paths, PostgreSQL servers, and a clear refusal
of everything else; never a password in a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import DatabaseUnreachable, StorageError, UnsupportedDatabase
from bot.storage import open_store, sqlite_path
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from bot.storage.urls import describe, postgres_url


def test_three_slashes_is_relative_four_is_absolute() -> None:
    assert sqlite_path("sqlite:///data/engagebot.db") == Path("data/engagebot.db")
    assert sqlite_path("sqlite:////srv/bot/engagebot.db") == Path("/srv/bot/engagebot.db")
    assert sqlite_path("SQLite:///x.db") == Path("x.db")
    assert sqlite_path("sqlite+aiosqlite:///x.db") == Path("x.db")
    assert sqlite_path("sqlite:////tmp/my%20shop.db") == Path("/tmp/my shop.db")


async def test_open_store_creates_the_folder_and_returns_an_unopened_store(
    tmp_path: Path,
) -> None:
    target = tmp_path / "deep" / "er" / "bot.db"
    store = open_store(f"sqlite:///{target}")  # an absolute path gives four slashes
    assert isinstance(store, SqliteStore)
    assert store.path == target
    assert target.parent.is_dir() and not target.exists()
    await store.open()
    await store.close()
    assert target.exists()


def test_relative_paths_are_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///data/engagebot.db")
    assert isinstance(store, SqliteStore)
    assert (tmp_path / "data").is_dir()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://shop:s3cr3t-pa55@db.example.com:5432/engagebot",
        "postgres://shop:s3cr3t-pa55@db.example.com/engagebot",
        "postgresql+asyncpg://shop:s3cr3t-pa55@db.example.com/engagebot?pool=3",
    ],
)
def test_postgres_urls_choose_the_postgres_store(url: str) -> None:
    store = open_store(url)
    assert isinstance(store, PostgresStore)
    assert store.url.where == "db.example.com:5432/engagebot"
    assert store.url.dsn.startswith("postgresql://shop:s3cr3t-pa55@db.example.com")
    assert "pool" not in store.url.dsn
    assert store.url.pool == (3 if "pool=3" in url else 10)
    assert describe(url) == "postgresql://db.example.com:5432/engagebot"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://shop:hunter2@db:5432/", "names no database"),
        ("postgresql://shop:hunter2@db:port/x", "port is not a number"),
        ("postgresql://shop:hunter2@db/x?pool=0", "from 1 to"),
        ("postgresql://shop:hunter2@db/x?pool=many", "from 1 to"),
    ],
)
def test_malformed_postgres_urls_never_echo_the_password(url: str, expected: str) -> None:
    with pytest.raises(StorageError, match=expected) as caught:
        postgres_url(url)
    assert "hunter2" not in str(caught.value)


async def test_an_unreachable_server_is_named_by_host_and_port_only() -> None:
    # Port 9 (discard) on the loopback: nothing listens, the connection is refused at once.
    store = open_store("postgresql://shop:s3cr3t-pa55@127.0.0.1:9/engagebot")
    with pytest.raises(DatabaseUnreachable) as caught:
        await store.open()
    message = str(caught.value)
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:9")
    assert "\n" not in message and "s3cr3t" not in message and "shop" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root:hunter2@localhost/shop", "'mysql' databases are not supported"),
        ("data/engagebot.db", "not a database URL"),
        ("", "not a database URL"),
    ],
)
def test_other_engines_get_a_hint(url: str, expected: str) -> None:
    with pytest.raises(UnsupportedDatabase) as caught:
        open_store(url)
    assert expected in str(caught.value)
    assert "sqlite:///data/engagebot.db" in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite://host/engagebot.db", "no host"),
        ("sqlite:///", "names no file"),
        ("sqlite:///data/", "names no file"),
        ("sqlite:///:memory:", "in-memory"),
        ("sqlite:///x.db?mode=ro", "not supported"),
        ("sqlite:x.db", "three slashes"),
    ],
)
def test_malformed_sqlite_urls(url: str, expected: str) -> None:
    with pytest.raises(StorageError, match=expected):
        sqlite_path(url)
