"""Votes on PostgreSQL with group commit: one transaction and one round trip per batch.

The decisions are Python, the same rules as the SQLite writer's (bot/storage/
ballot_rules.py), including several clicks of one voter, or one delivery twice, inside
the same batch: each sees the ones before it. They need each voter's stored ballot, which
would cost a round trip to read before the one that writes. Instead a batch is decided
against the state it *expects* (KnownVoters: what this process last wrote for a voter,
or "no ballot yet, delivery new, poll open" for one it has not seen) and sent as one
statement, engagebot_cast_batch, which takes the batch's locks, compares the expectation
with what is stored and applies the net writes only if it holds. When it does not (the
voter changed their vote through another process, a replayed delivery, a closed poll,
a restart), nothing was written and the stored state came back with the answer: the
batch is decided again on it, a second round trip. Callers hear their answer after the
statement that wrote their vote has committed."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import StorageError
from bot.storage.ballot_rules import BatchPlan, LookupRow, Stored
from bot.storage.base import BallotRequest, CastResult, PollState
from bot.storage.sqlite.writer import WriterStats

log = logging.getLogger(__name__)

Now = Callable[[], int]


# What engagebot_cast_lookup returns for one request, and what a batch is decided against:
# (replayed, poll state, options as stored, cast_at, recorded_at, user_name, withdrawn_at).
Row = LookupRow
NOTHING_STORED: Stored = (None, None, None, None, None)


def apply_args(plan: BatchPlan) -> list[list[Any]]:
    """The batch's net writes as engagebot_cast_batch takes them, in its order."""
    net = plan.net()
    upserts = sorted([*net.added, *net.changed, *net.touched])  # in key order, as locked
    return [
        *columns(upserts, 8),
        *columns(net.removed, 2),
        *columns(net.withdrawn, 3),
        *columns(net.unwithdrawn, 2),
        *columns(net.deliveries, 3),
        [k[0] for k, _ in net.voter_delta],
        [k[1] for k, _ in net.voter_delta],
        [d for _, d in net.voter_delta],
        [k[0] for k, _ in net.option_delta],
        [k[1] for k, _ in net.option_delta],
        [k[2] for k, _ in net.option_delta],
        [d for _, d in net.option_delta],
    ]


def columns(rows: list[Any], width: int) -> list[list[Any]]:
    """Rows -> one list per column (how the batch's arrays are passed)."""
    return [[row[i] for row in rows] for i in range(width)]


class KnownVoters:
    """What this process last wrote for each (poll, voter): the state its next batch with
    that voter is decided against. Only a guess (another process may have written since),
    which engagebot_cast_batch checks; bounded, least recently used first out."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._stored: collections.OrderedDict[tuple[str, str], Stored] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._stored)

    def expected(self, requests: list[tuple[BallotRequest, int]]) -> list[Row]:
        """Each request as it would read if our guess holds: a new delivery on an open poll."""
        get = self._stored.get
        return [
            (False, OPEN, *get((req.poll_id, req.voter.key), NOTHING_STORED)) for req, _ in requests
        ]

    def remember(self, plan: BatchPlan) -> None:
        """After a batch was applied: its voters' rows as they now are."""
        stored = self._stored
        for key, voter in plan.voters.items():
            stored[key] = voter.stored()
            stored.move_to_end(key)
        while len(stored) > self.limit:
            stored.popitem(last=False)

    def forget(self, requests: list[tuple[BallotRequest, int]]) -> None:
        """The batch's outcome is unknown (the connection broke): guess nothing about it."""
        for req, _ in requests:
            self._stored.pop((req.poll_id, req.voter.key), None)


OPEN = PollState.OPEN.value


@dataclass
class VoteStats:
    """How the batches went on PostgreSQL (beside the WriterStats every backend keeps)."""

    statements: int = 0  # engagebot_cast_batch calls: one round trip each
    decided_again: int = 0  # an expectation did not hold: decided again on what is stored
    locked: int = 0  # decided under the batch's locks after expectations kept failing
    split: int = 0  # a batch PostgreSQL refused, run again one vote at a time


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
