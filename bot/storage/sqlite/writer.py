"""Group commit: every write runs on one thread and one connection, many per transaction.

Callers queue an operation (a plain function of the sqlite3 connection) and await its
future. The writer task takes everything queued (up to max_batch), hops to its thread once,
runs them all inside one BEGIN IMMEDIATE ... COMMIT (an operation that fails is undone and
fails alone), and resolves the futures only after the COMMIT: nobody hears "stored" before
it is durable. One fsync covers the whole batch: under load that is ~5x the votes/s of one
commit per vote (see bench/vote_path.py)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.errors import StorageError

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], T]


@dataclass
class WriterStats:
    batches: int = 0  # transactions attempted
    commits: int = 0  # transactions committed
    operations: int = 0  # operations that ran (succeeded or failed alone)
    largest_batch: int = 0
    failed_batches: int = 0  # BEGIN or COMMIT failed: every operation in it failed
    redone_batches: int = 0  # rerun with a savepoint per operation after a partial failure
    # Told each committed batch's size (the app's metrics); called on the writer thread.
    on_commit: Callable[[int], None] | None = field(default=None, repr=False, compare=False)


@dataclass
class _Job:
    operation: Operation[Any]
    future: asyncio.Future[Any]


# How long the loop waits for the writer thread to take up a COMMIT (microseconds, as a
# rule); past it the loop just goes on, and the COMMIT starts when the loop next waits.
HANDOFF_WAIT = 0.05

# An idle writer woken with at least this many writes queued takes half (_take_batch).
SPLIT_AT = 16

# (True, result) or (False, exception), per operation, in batch order.
_Outcome = tuple[bool, Any]


class GroupCommitWriter:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        max_batch: int = 256,
        committed: Callable[[int], None] | None = None,
        busy_timeout: float = 5.0,
    ) -> None:
        """connect: runs on the writer thread, and makes its connection with
        check_same_thread=False (statements run on the event loop, COMMIT on the thread).
        committed: called on the writer thread after each COMMIT with the number of rows
        it changed (the checkpointer). busy_timeout: seconds a write waits for another
        process's lock."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._connect = connect
        self._committed = committed
        self._busy_ms = round(busy_timeout * 1000)
        self.max_batch = max_batch
        self.stats = WriterStats()
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._queue: collections.deque[_Job] = collections.deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._abandoned = False  # close() was cancelled: stop after the batch under way

    async def start(self) -> None:
        """Connect on the writer thread (sqlite3 objects stay on the thread that made them)."""
        if self._task is not None:
            return
        self._closing = False
        self._abandoned = False
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engagebot-writer")
        loop = asyncio.get_running_loop()
        try:
            self._conn = await loop.run_in_executor(self._executor, self._connect)
            # BEGIN on the event loop must not wait: a busy lock is waited for on the
            # thread (see _write_batch).
            self._conn.execute("PRAGMA busy_timeout = 0")
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise
        self._task = loop.create_task(self._run(), name="engagebot-writer")

    async def submit(self, operation: Operation[T]) -> T:
        """Run operation in the next batch; returns once its transaction has committed."""
        if self._task is None or self._closing:
            raise StorageError("the store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(operation, future))
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Refuse new work, finish everything queued, then close the connection."""
        if self._task is None:
            return
        self._closing = True
        self._wakeup.set()
        try:
            await asyncio.wait({self._task})
        finally:
            task, self._task = self._task, None
            if not task.done():
                # close() was cancelled. The batch under way runs its statements on the
                # loop between its BEGIN and COMMIT on the thread: closing the connection
                # on the thread now would close it under them. Let that batch finish
                # (its callers hear how it went), fail the rest, then close.
                self._abandoned = True
                self._wakeup.set()
                await asyncio.wait({task})
            if task.done() and not task.cancelled():
                task.exception()  # a crash was already reported to every waiting caller
            executor, self._executor = self._executor, None
            if executor is not None:
                conn, self._conn = self._conn, None
                if conn is not None:
                    await asyncio.get_running_loop().run_in_executor(executor, conn.close)
                executor.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        batch: list[_Job] = []
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                woken = True
                while self._queue:
                    if self._abandoned:
                        raise StorageError("the store was closed")
                    batch = self._take_batch(split=woken)
                    woken = False
                    if batch:
                        outcomes = await self._write_batch(loop, [job.operation for job in batch])
                        # The callers run once this task next waits: on the following
                        # batch's COMMIT, which they overlap with their replies.
                        _resolve(batch, outcomes)
                        batch = []
                if self._closing:
                    return
        except BaseException as exc:
            # The writer itself died (cancelled at shutdown, executor gone): nobody waits
            # forever, and nobody is told a vote counted when we cannot know it did.
            error = StorageError("the database writer stopped; the write may not be stored")
            error.__cause__ = exc
            for job in [*batch, *self._queue]:
                if not job.future.done():
                    job.future.set_exception(error)
            self._queue.clear()
            self._closing = True
            raise

    def _take_batch(self, split: bool = False) -> list[_Job]:
        """The next batch: everything queued, up to max_batch. split: the writer was idle,
        so everybody waiting is queued; take half, so that while one half's COMMIT runs
        on the thread, the other half's callers (answered by the batch before) run on
        the loop. Once two halves take turns they go on doing so."""
        limit = self.max_batch
        if split and len(self._queue) >= SPLIT_AT:
            limit = min(limit, (len(self._queue) + 1) // 2)
        batch: list[_Job] = []
        while self._queue and len(batch) < limit:
            job = self._queue.popleft()
            # A cancelled caller was never acknowledged: don't store what nobody awaits.
            if not job.future.cancelled():
                batch.append(job)
        return batch

    async def _write_batch(
        self, loop: asyncio.AbstractEventLoop, operations: list[Operation[Any]]
    ) -> list[_Outcome]:
        """The whole batch in one transaction. Its statements run here on the event loop
        (each is microseconds against cached pages, and the writer thread would wait for
        the loop's lock on Python at every statement); only what waits runs on the
        writer thread: BEGIN when another process holds the lock, and the COMMIT's WAL
        writes and fsync, while the loop goes on with the previous batch's callers."""
        conn = self._conn
        assert conn is not None
        stats = self.stats
        stats.batches += 1
        stats.largest_batch = max(stats.largest_batch, len(operations))
        changes = conn.total_changes
        try:
            await self._begin(loop, conn)
            outcomes = _run_operations(conn, operations, isolate=False)
            if outcomes is None:
                # An operation failed after writing. Start over with a SAVEPOINT around each
                # operation so exactly its own writes are undone (operations are re-runnable:
                # they read their inputs from the database and decide() is pure).
                stats.redone_batches += 1
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                # The lock was let go: another writer may hold it now.
                await self._begin(loop, conn)
                outcomes = _run_operations(conn, operations, isolate=True)
                assert outcomes is not None
            started = threading.Event()
            committed = loop.run_in_executor(
                self._executor, self._commit, conn, changes, len(operations), started
            )
            # Hand the lock on Python to the writer thread until its COMMIT is under way
            # (then it needs none): otherwise it could not start before this loop next
            # waits, and the COMMIT would not overlap the replies the loop sends meanwhile.
            started.wait(HANDOFF_WAIT)
            await committed
        except Exception as exc:
            # BEGIN or COMMIT failed (locked, disk full, I/O): nothing in the batch is stored.
            stats.failed_batches += 1
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            error = StorageError(f"could not write to the database: {exc}")
            error.__cause__ = exc
            return [(False, error)] * len(operations)
        stats.operations += len(operations)
        return outcomes

    async def _begin(self, loop: asyncio.AbstractEventLoop, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE here if the lock is free; else wait for it on the thread."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            # Busy (the CLI or a backup is writing): wait for the lock on the thread.
            await loop.run_in_executor(self._executor, self._begin_waiting, conn)

    def _begin_waiting(self, conn: sqlite3.Connection) -> None:
        """On the writer thread: BEGIN, waiting up to busy_timeout for the lock."""
        conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        finally:
            conn.execute("PRAGMA busy_timeout = 0")

    def _commit(
        self, conn: sqlite3.Connection, changes: int, size: int, started: threading.Event
    ) -> None:
        """On the writer thread."""
        started.set()
        conn.execute("COMMIT")
        self.stats.commits += 1
        # Stored now, whatever a listener does: its failure must not tell the callers
        # their writes failed.
        try:
            if self._committed is not None:
                self._committed(conn.total_changes - changes)
            if self.stats.on_commit is not None:
                self.stats.on_commit(size)
        except Exception:
            log.exception("a commit listener failed (the batch is stored)")


def _run_operations(
    conn: sqlite3.Connection, operations: list[Operation[Any]], *, isolate: bool
) -> list[_Outcome] | None:
    """Run each operation; one that raises fails alone and the others go on.

    Without isolate there are no savepoints: they cost ~40 us per vote here, because every
    page a savepoint touches is first copied to a sub-journal. That is safe as long as a
    failing operation wrote nothing, which total_changes tells us (operations write only
    with INSERT/UPDATE/DELETE; a failed statement undoes itself and counts no change).
    Consecutive operations that share a `run_many` (votes) run in one call of it, which
    decides them all from one read and writes them in a few statements; if it raises, a
    write failed and nobody can tell whose.
    Returns None when an operation failed after writing, and the caller redoes the batch
    isolated: each operation alone, in a savepoint."""
    if isolate:
        return [_run_isolated(conn, operation) for operation in operations]
    outcomes: list[_Outcome] = []
    start = 0
    while start < len(operations):
        run_many = getattr(operations[start], "run_many", None)
        end = start + 1
        if run_many is not None:
            while end < len(operations) and getattr(operations[end], "run_many", None) is run_many:
                end += 1
            try:
                together = run_many(conn, operations[start:end])
            except Exception:
                return None
            outcomes += [(ok, value if ok else _as_storage_error(value)) for ok, value in together]
        else:
            before = conn.total_changes
            try:
                outcomes.append((True, operations[start](conn)))
            except Exception as exc:  # this operation alone fails; the batch goes on
                if conn.total_changes != before or not conn.in_transaction:
                    return None
                outcomes.append((False, _as_storage_error(exc)))
        start = end
    return outcomes


def _run_isolated(conn: sqlite3.Connection, operation: Operation[Any]) -> _Outcome:
    conn.execute("SAVEPOINT op")
    try:
        result = operation(conn)
    except Exception as exc:  # this operation alone fails; the batch goes on
        conn.execute("ROLLBACK TO op")
        conn.execute("RELEASE op")
        return (False, _as_storage_error(exc))
    conn.execute("RELEASE op")
    return (True, result)


def _resolve(batch: list[_Job], outcomes: list[_Outcome]) -> None:
    for job, (ok, value) in zip(batch, outcomes, strict=True):
        if job.future.done():  # the caller gave up while we were committing
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


def _as_storage_error(exc: Exception) -> Exception:
    """Database failures become StorageError; anything else (e.g. from decide) passes as is."""
    if isinstance(exc, sqlite3.Error):
        error = StorageError(f"database write failed: {exc}")
        error.__cause__ = exc
        return error
    return exc
