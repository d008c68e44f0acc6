"""Fixtures for the storage contract suite: every test that takes `store`, `voting_store`
or `make_store` runs against real SQLite (a file under tmp_path) and real PostgreSQL (a
fresh database per test, dropped afterwards). Nothing mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import POLL, T0

from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from bot.storage.urls import postgres_url
from tests.pg import create_database, drop_database

AnyStore = SqliteStore | PostgresStore
MakeStore = Callable[..., AnyStore]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "engagebot.db"


@pytest.fixture(params=["sqlite", "postgres"])
async def make_store(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[MakeStore]:
    """make_store(**options) -> an unopened store on this test's database; every call
    names the same database, so closing one and making another is a restart."""
    if request.param == "sqlite":
        yield lambda **options: SqliteStore(db_path, **_sqlite_options(options))
        return
    url = await create_database()
    try:
        yield lambda **options: PostgresStore(postgres_url(url), **_pg_options(options))
    finally:
        await drop_database(url)


def _sqlite_options(options: dict[str, Any]) -> dict[str, Any]:
    return options


def _pg_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k in {"clock", "max_batch", "read_only"}}


@pytest.fixture
async def store(make_store: MakeStore) -> AsyncIterator[AnyStore]:
    store = make_store()
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def voting_store(store: AnyStore) -> AnyStore:
    """A store whose poll POLL is open."""
    await store.ensure_polls([POLL])
    assert await store.open_poll(POLL, T0, None, "test")
    return store


def fixed_clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment
