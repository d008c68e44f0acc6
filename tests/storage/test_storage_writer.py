"""The group-commit writer on its own: isolation of a failing operation, ordering."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
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


def _connect_wal(path: Path, **extra: object) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=5.0, check_same_thread=False, **extra
    )
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    return conn


async def test_a_redone_batch_waits_for_another_writers_lock(tmp_path: Path) -> None:
    """A batch redone with savepoints (an operation failed after writing) gives up the
    write lock between its ROLLBACK and its second BEGIN. Another writer (the CLI, the
    checkpointer's RESTART) that takes the lock in that gap must be waited for, as for
    the batch's first BEGIN, not fail the whole batch at once."""
    path = tmp_path / "w.db"
    other = _connect_wal(path)
    rolled_back = threading.Event()
    releases: list[threading.Timer] = []

    def release() -> None:
        other.execute("COMMIT")

    def trace(statement: str) -> None:
        # Another connection takes the lock right after the writer's ROLLBACK, the moment
        # the writer asks for it again, and lets go of it 200 ms later.
        if statement == "ROLLBACK":
            rolled_back.set()
        elif statement == "BEGIN IMMEDIATE" and rolled_back.is_set() and not releases:
            other.execute("BEGIN IMMEDIATE")
            releases.append(threading.Timer(0.2, release))
            releases[0].start()

    def connect() -> sqlite3.Connection:
        conn = _connect_wal(path)
        conn.set_trace_callback(trace)
        return conn

    writer = GroupCommitWriter(connect, busy_timeout=5.0)
    await writer.start()
    try:
        ops = [insert("a", 1), write_then_fail("b"), insert("c", 3)]
        results = await asyncio.gather(
            *(writer.submit(op) for op in ops),  # type: ignore[arg-type]
            return_exceptions=True,
        )
        assert releases, "the gap between ROLLBACK and BEGIN was never reached"
        assert isinstance(results[1], ValueError)
        assert not isinstance(results[0], Exception), results[0]
        assert not isinstance(results[2], Exception), results[2]
        assert writer.stats.failed_batches == 0
        assert await writer.submit(rows) == [("a", 1), ("c", 3)]
    finally:
        for timer in releases:
            timer.join()
        await writer.close()
        other.close()


async def test_a_cancelled_close_lets_the_write_waiting_for_a_lock_finish(
    tmp_path: Path,
) -> None:
    """close() cancelled while a write waits (on the writer thread) for another writer's
    lock: the write must not have its connection closed under it by the thread while
    its statements run on the loop. It is stored and acknowledged, as when the whole
    batch ran on the thread, or refused, but never run against a closing connection."""
    path = tmp_path / "w.db"
    writer = GroupCommitWriter(lambda: _connect_wal(path), busy_timeout=5.0)
    await writer.start()
    other = _connect_wal(path)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    seen: list[BaseException] = []

    def many(conn: sqlite3.Connection) -> str:
        try:
            for n in range(200):
                conn.execute("INSERT INTO t VALUES (?, ?)", (f"k{n}", n))
        except BaseException as exc:
            seen.append(exc)
            raise
        return "stored"

    writing = asyncio.ensure_future(writer.submit(many))
    await asyncio.sleep(0.1)  # BEGIN failed at once on the loop; now waiting on the thread
    closing = asyncio.ensure_future(writer.close())
    await asyncio.sleep(0.05)
    closing.cancel()
    asyncio.get_running_loop().call_later(0.1, other.execute, "COMMIT")
    with pytest.raises(asyncio.CancelledError):
        await closing
    outcome = await asyncio.gather(writing, return_exceptions=True)
    other.close()
    assert not seen, seen  # no statement ran on a connection being closed
    check = sqlite3.connect(path)
    stored = check.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    check.close()
    if outcome[0] == "stored":
        assert stored == 200
    else:
        assert isinstance(outcome[0], StorageError) and stored == 0
        assert not isinstance(outcome[0].__cause__, sqlite3.ProgrammingError), outcome[0]


async def test_a_failing_commit_listener_does_not_fail_a_stored_batch(tmp_path: Path) -> None:
    """on_commit (the app's metrics) runs after the COMMIT: if it raises, the writes are
    stored all the same and their callers must hear so."""
    path = tmp_path / "w.db"
    writer = GroupCommitWriter(lambda: _connect_wal(path))

    def listener(size: int) -> None:
        raise RuntimeError("metrics down")

    writer.stats.on_commit = listener
    await writer.start()
    try:
        assert await writer.submit(insert("a", 1)) == 1  # type: ignore[arg-type]
        assert writer.stats.failed_batches == 0 and writer.stats.commits == 1
    finally:
        await writer.close()
    check = sqlite3.connect(path)
    assert check.execute("SELECT k, v FROM t").fetchall() == [("a", 1)]
    check.close()
