"""Votes on PostgreSQL with group commit: one transaction per batch of cast() calls.

A batch costs a fixed four round trips whatever its size (BEGIN, lookup, apply, COMMIT):
engagebot_cast_lookup locks the batch's voters and deliveries and reads their ballots,
the decisions run here (decide() is Python), and engagebot_cast_apply writes the net
result with the running totals' net change. Callers hear their answer after COMMIT.

The decisions mirror the SQLite writer's CastOp exactly, including several clicks of one
voter (or one delivery twice) inside the same batch: each sees the ones before it."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.refs import UserRef
from bot.errors import StorageError
from bot.storage.base import (
    Ballot,
    BallotRequest,
    CastResult,
    CastStatus,
    PollState,
    Rejection,
)
from bot.storage.codec import dump_options, from_micros, load_options, normalize_selection
from bot.storage.sqlite.writer import WriterStats

log = logging.getLogger(__name__)

Now = Callable[[], int]


@dataclass
class _Voter:
    """One (poll, voter) as the batch has changed it so far."""

    ballot: Ballot | None
    cast_at: int | None  # the ballot's cast_at in microseconds
    recorded_at: int | None
    withdrawn_at: int | None
    original: tuple[Ballot | None, int | None, int | None, int | None] = field(init=False)

    def __post_init__(self) -> None:
        self.original = (self.ballot, self.cast_at, self.recorded_at, self.withdrawn_at)


@dataclass
class BatchPlan:
    """What one batch decided: an outcome per request, and the net writes."""

    outcomes: list[tuple[bool, Any]]
    voters: dict[tuple[str, str], _Voter]
    deliveries: list[tuple[str, str, int]]

    def apply_args(self) -> list[list[Any]]:
        """The arguments of engagebot_cast_apply, in its order."""
        upserts: list[tuple[Any, ...]] = []
        removed: list[tuple[str, str]] = []
        withdrawn: list[tuple[str, str, int]] = []
        unwithdrawn: list[tuple[str, str]] = []
        voter_delta: collections.Counter[tuple[str, str]] = collections.Counter()
        option_delta: collections.Counter[tuple[str, str, str]] = collections.Counter()
        for (poll_id, key), voter in sorted(self.voters.items()):
            old, old_cast, old_recorded, old_withdrawn = voter.original
            new = voter.ballot
            if new is not None and (
                old is None
                or (new.options, new.voter.name) != (old.options, old.voter.name)
                or (voter.cast_at, voter.recorded_at) != (old_cast, old_recorded)
            ):
                assert voter.cast_at is not None and voter.recorded_at is not None
                upserts.append(
                    (
                        poll_id,
                        key,
                        new.voter.platform,
                        new.voter.id,
                        new.voter.name,
                        dump_options(new.options),
                        voter.cast_at,
                        voter.recorded_at,
                    )
                )
            elif new is None and old is not None:
                removed.append((poll_id, key))
            if voter.withdrawn_at != old_withdrawn:
                if voter.withdrawn_at is None:
                    unwithdrawn.append((poll_id, key))
                else:
                    withdrawn.append((poll_id, key, voter.withdrawn_at))
            if old is not None and (new is None or new.options != old.options):
                voter_delta[(poll_id, old.voter.platform)] -= 1
                for option in old.options:
                    option_delta[(poll_id, option, old.voter.platform)] -= 1
            if new is not None and (old is None or new.options != old.options):
                voter_delta[(poll_id, new.voter.platform)] += 1
                for option in new.options:
                    option_delta[(poll_id, option, new.voter.platform)] += 1
        voters = sorted((k, d) for k, d in voter_delta.items() if d)
        options = sorted((k, d) for k, d in option_delta.items() if d)
        return [
            *_columns(upserts, 8),
            *_columns(removed, 2),
            *_columns(withdrawn, 3),
            *_columns(unwithdrawn, 2),
            *_columns(self.deliveries, 3),
            [k[0] for k, _ in voters],
            [k[1] for k, _ in voters],
            [d for _, d in voters],
            [k[0] for k, _ in options],
            [k[1] for k, _ in options],
            [k[2] for k, _ in options],
            [d for _, d in options],
        ]


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def plan_batch(requests: list[tuple[BallotRequest, int]], rows: list[Any], now: Now) -> BatchPlan:
    """Decide every request of a batch in order, given engagebot_cast_lookup's rows."""
    voters: dict[tuple[str, str], _Voter] = {}
    seen: set[str] = set()
    deliveries: list[tuple[str, str, int]] = []
    outcomes: list[tuple[bool, Any]] = []
    for (req, occurred), row in zip(requests, rows, strict=True):
        replayed, state, options, cast_at, recorded_at, name, withdrawn_at = row
        key = (req.poll_id, req.voter.key)
        voter = voters.get(key)
        if voter is None:
            ballot = None
            if options is not None:
                ballot = Ballot(
                    req.poll_id,
                    UserRef(req.voter.platform, req.voter.id, name),
                    load_options(options),
                    from_micros(cast_at),
                    from_micros(recorded_at),
                )
            voter = voters[key] = _Voter(ballot, cast_at, recorded_at, withdrawn_at)

        def record(at: int | None = None, req: BallotRequest = req) -> None:
            seen.add(req.delivery_id)
            deliveries.append((req.delivery_id, req.poll_id, now() if at is None else at))

        try:
            result = _decide(
                req, occurred, replayed or req.delivery_id in seen, state, voter, now, record
            )
        except Exception as exc:  # decide() failed: this request alone fails
            outcomes.append((False, exc))
        else:
            outcomes.append((True, result))
    return BatchPlan(outcomes, voters, deliveries)


def _decide(
    req: BallotRequest,
    occurred: int,
    replayed: bool,
    state: str | None,
    voter: _Voter,
    now: Now,
    record: Callable[..., None],
) -> CastResult:
    current = voter.ballot
    previous = current.options if current else None
    if replayed:
        return CastResult(CastStatus.DUPLICATE, current, previous)
    if state != PollState.OPEN.value:
        return CastResult(CastStatus.NOT_OPEN, current, previous)
    latest = voter.cast_at if current else voter.withdrawn_at
    if latest is not None and occurred < latest:
        record()
        return CastResult(CastStatus.STALE, current, previous)

    decision = req.decide(current)
    if isinstance(decision, Rejection):
        return CastResult(CastStatus.REJECTED, current, previous, decision)
    selection = normalize_selection(decision)

    if not selection:
        voter.ballot = voter.cast_at = voter.recorded_at = None
        voter.withdrawn_at = occurred
        record()
        status = CastStatus.WITHDRAWN if current else CastStatus.UNCHANGED
        return CastResult(status, None, previous)

    if current is not None and set(selection) == set(current.options):
        kept = replace(current, cast_at=from_micros(occurred))
        voter.ballot, voter.cast_at = kept, occurred
        record()
        return CastResult(CastStatus.UNCHANGED, kept, previous)

    at = now()
    stored = Ballot(req.poll_id, req.voter, selection, from_micros(occurred), from_micros(at))
    voter.ballot, voter.cast_at, voter.recorded_at = stored, occurred, at
    voter.withdrawn_at = None
    record(at)
    return CastResult(CastStatus.ACCEPTED, stored, previous)


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
