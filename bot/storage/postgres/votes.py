"""Votes on PostgreSQL with group commit: one transaction per batch of cast() calls.

A batch costs a fixed four round trips whatever its size (BEGIN, lookup, apply, COMMIT):
engagebot_cast_lookup locks the batch's voters and deliveries and reads their ballots,
the decisions run here (decide() is Python), and engagebot_cast_apply writes the net
result with the running totals' net change. Callers hear their answer after COMMIT.

The decisions are the SQLite writer's own (bot/storage/ballot_rules.py), including several
clicks of one voter (or one delivery twice) inside the same batch: each sees the ones
before it."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import StorageError
from bot.storage.ballot_rules import BatchPlan
from bot.storage.base import BallotRequest, CastResult
from bot.storage.sqlite.writer import WriterStats

log = logging.getLogger(__name__)


def apply_args(plan: BatchPlan) -> list[list[Any]]:
    """The arguments of engagebot_cast_apply, in its order."""
    net = plan.net()
    upserts = [*net.added, *net.changed, *net.touched]
    return [
        *_columns(upserts, 8),
        *_columns(net.removed, 2),
        *_columns(net.withdrawn, 3),
        *_columns(net.unwithdrawn, 2),
        *_columns(net.deliveries, 3),
        [k[0] for k, _ in net.voter_delta],
        [k[1] for k, _ in net.voter_delta],
        [d for _, d in net.voter_delta],
        [k[0] for k, _ in net.option_delta],
        [k[1] for k, _ in net.option_delta],
        [k[2] for k, _ in net.option_delta],
        [d for _, d in net.option_delta],
    ]


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


@dataclass
class _Job:
    request: BallotRequest
    occurred: int
    future: asyncio.Future[CastResult]


RunBatch = Callable[[list[tuple[BallotRequest, int]]], Awaitable[list[tuple[bool, Any]]]]


class VoteBatcher:
    """Queues cast() calls and runs them one batch at a time through run_batch."""

    def __init__(self, run_batch: RunBatch, max_batch: int = 256) -> None:
        self._run_batch = run_batch
        self.max_batch = max_batch
        self._queue: collections.deque[_Job] = collections.deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.stats = WriterStats()

    def start(self) -> None:
        if self._task is None:
            self._closing = False
            self._wakeup = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pg-votes")

    async def submit(self, request: BallotRequest, occurred: int) -> CastResult:
        if self._task is None or self._closing:
            raise StorageError("the store is not open")
        future: asyncio.Future[CastResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(request, occurred, future))
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Finish everything queued (each caller gets its answer), then stop."""
        if self._task is None:
            return
        self._closing = True
        self._wakeup.set()
        try:
            await asyncio.wait({self._task})
        finally:
            task, self._task = self._task, None
            if task.done() and not task.cancelled():
                task.exception()

    async def _commit(self, requests: list[tuple[BallotRequest, int]]) -> list[tuple[bool, Any]]:
        stats = self.stats
        stats.batches += 1
        stats.largest_batch = max(stats.largest_batch, len(requests))
        try:
            outcomes = await self._run_batch(requests)
        except Exception as exc:  # the batch as a whole failed: each of its votes fails
            stats.failed_batches += 1
            if not isinstance(exc, StorageError):
                log.error("a vote batch failed unexpectedly", exc_info=exc)
                error = StorageError(f"could not write to the database: {exc}")
                error.__cause__ = exc
                exc = error
            return [(False, exc)] * len(requests)
        stats.commits += 1
        stats.operations += len(requests)
        if stats.on_commit is not None:
            stats.on_commit(len(requests))
        return outcomes

    async def _run(self) -> None:
        batch: list[_Job] = []
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._queue:
                    batch = []
                    while self._queue and len(batch) < self.max_batch:
                        job = self._queue.popleft()
                        if not job.future.cancelled():
                            batch.append(job)
                    if not batch:
                        continue
                    outcomes = await self._commit([(j.request, j.occurred) for j in batch])
                    for job, (ok, value) in zip(batch, outcomes, strict=True):
                        if job.future.done():
                            continue
                        if ok:
                            job.future.set_result(value)
                        else:
                            job.future.set_exception(value)
                    batch = []
                if self._closing:
                    return
        except BaseException as exc:
            error = StorageError("the vote writer stopped; the vote may not be stored")
            error.__cause__ = exc
            for job in [*batch, *self._queue]:
                if not job.future.done():
                    job.future.set_exception(error)
            self._queue.clear()
            self._closing = True
            raise
