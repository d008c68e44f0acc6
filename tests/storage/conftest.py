"""Fixtures for storage tests: real SQLite files under tmp_path, nothing mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from storage_helpers import POLL, T0

from bot.storage.sqlite import SqliteStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "engagebot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(db_path)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def voting_store(store: SqliteStore) -> SqliteStore:
    """A store whose poll POLL is open."""
    await store.ensure_polls([POLL])
    assert await store.open_poll(POLL, T0, None, "test")
    return store
