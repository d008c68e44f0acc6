"""The group-commit writer on its own: isolation of a failing operation, ordering."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import StorageError
from bot.storage.sqlite.writer import GroupCommitWriter


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[GroupCommitWriter]:
    path = tmp_path / "w.db"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
        return conn

    writer = GroupCommitWriter(connect)
    await writer.start()
    yield writer
    await writer.close()


def insert(key: str, value: int | None) -> object:
    def run(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (?, ?)", (key, value))
        return conn.total_changes

    return run


def write_then_fail(key: str) -> object:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (?, 1)", (key,))
        raise ValueError("failed after writing")

    return run


def rows(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    return conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()


async def test_an_operation_that_fails_after_writing_is_undone_alone(
    writer: GroupCommitWriter,
) -> None:
    ops = [insert("a", 1), write_then_fail("b"), insert("c", 3), insert("c", 4)]
    results = await asyncio.gather(
        *(writer.submit(op) for op in ops),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    assert isinstance(results[3], StorageError)  # UNIQUE constraint, reported as storage
    assert writer.stats.redone_batches == 1 and writer.stats.commits == 1
    read = await writer.submit(rows)
    assert read == [("a", 1), ("c", 3)]


async def test_a_failed_statement_alone_needs_no_redo(writer: GroupCommitWriter) -> None:
    ops = [insert("a", 1), insert("b", None), insert("c", 3)]  # NOT NULL fails cleanly
    results = await asyncio.gather(
        *(writer.submit(op) for op in ops),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert isinstance(results[1], StorageError)
    assert writer.stats.redone_batches == 0
    assert await writer.submit(rows) == [("a", 1), ("c", 3)]


async def test_operations_run_in_submission_order(writer: GroupCommitWriter) -> None:
    order: list[int] = []

    def op(n: int) -> object:
        def run(conn: sqlite3.Connection) -> None:
            order.append(n)

        return run

    await asyncio.gather(*(writer.submit(op(n)) for n in range(200)))  # type: ignore[arg-type]
    assert order == list(range(200))


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError):
        GroupCommitWriter(lambda: sqlite3.connect(":memory:"), max_batch=0)
