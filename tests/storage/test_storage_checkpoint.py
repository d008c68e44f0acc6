"""Checkpoints run on their own thread and connection, not inside the writer's commits,
and the WAL stays bounded: checkpointed while votes come in, truncated once quiet."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

from storage_helpers import POLL, at, choose, request, user

from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite.files import read_only_uri


def wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def cast_batches(store: SqliteStore, batches: int, size: int = 100, first: int = 0) -> None:
    """batches x size new voters, numbered from first; each batch in one commit."""
    for b in range(batches):
        voters = range(first + b * size, first + (b + 1) * size)
        await asyncio.gather(
            *(store.cast(request(user(n), choose("aero"), when=at(1))) for n in voters)
        )


async def until(condition: object, timeout: float = 10.0) -> None:
    async def wait() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), timeout)


async def test_the_wal_is_checkpointed_while_voting_and_truncated_when_quiet(db_path: Path) -> None:
    store = SqliteStore(db_path)
    store.checkpointer.idle_seconds = 0.2
    store.checkpointer.every_changes = 2_000  # a few times in 4,000 votes
    await store.open()
    try:
        await store.ensure_polls([POLL])
        await store.open_poll(POLL, at(0), None, "test")
        await cast_batches(store, 40)
        assert store.checkpointer.checkpoints > 0  # ran during the votes, by rows changed
        await until(lambda: store.checkpointer.truncations > 0)
        assert wal_size(db_path) == 0
        # Everything is in the database file itself now: read it ignoring the WAL.
        conn = sqlite3.connect(read_only_uri(db_path) + "&immutable=1", uri=True)
        try:
            (count,) = conn.execute("SELECT COUNT(*) FROM ballots").fetchone()
        finally:
            conn.close()
        assert count == 4000
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
        # Votes after the truncation still count (the writer starts the WAL over).
        await store.cast(request(user("late"), choose("urban"), when=at(2)))
        assert (await store.tally(POLL)).counts == {"aero": 4000, "urban": 1}
    finally:
        await store.close()


async def test_the_wal_does_not_grow_without_bound_under_steady_votes(db_path: Path) -> None:
    store = SqliteStore(db_path)
    store.checkpointer.idle_seconds = 3600  # never quiet here: no TRUNCATE to help
    store.checkpointer.every_changes = 1
    await store.open()
    try:
        await store.ensure_polls([POLL])
        await store.open_poll(POLL, at(0), None, "test")
        sizes = []
        for step in range(40):
            await cast_batches(store, 1, 200, first=step * 200)
            sizes.append(wal_size(db_path))
            await asyncio.sleep(0.02)  # votes keep coming, a little at a time
        # Without checkpoints the WAL grows with every batch (8,000 new voters: ~8x the
        # size after the first 1,000); checkpointed, the writer starts it over and over.
        early, late = max(sizes[:5]), max(sizes)
        assert late < 2 * early, (early, late)
        assert store.checkpointer.checkpoints > 0
    finally:
        await store.close()
