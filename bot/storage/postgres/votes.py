"""Votes on PostgreSQL with group commit: one transaction and one round trip per batch.

The decisions are Python (decide() and the checks below mirror the SQLite writer's
CastOp exactly, including several clicks of one voter, or one delivery twice, inside the
same batch: each sees the ones before it). They need each voter's stored ballot, which
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


# What engagebot_cast_lookup returns for one request, and what a batch is decided against:
# (replayed, poll state, options as stored, cast_at, recorded_at, user_name, withdrawn_at).
Row = tuple[bool, str | None, str | None, int | None, int | None, str | None, int | None]
# One voter's stored state: the last five fields of a Row.
Stored = tuple[str | None, int | None, int | None, str | None, int | None]
NOTHING_STORED: Stored = (None, None, None, None, None)


@dataclass
class _Voter:
    """One (poll, voter) as the batch has changed it so far."""

    ballot: Ballot | None
    cast_at: int | None  # the ballot's cast_at in microseconds
    recorded_at: int | None
    withdrawn_at: int | None
    options_text: str | None  # the options column as it was read
    original: tuple[Ballot | None, int | None, int | None, int | None] = field(init=False)

    def __post_init__(self) -> None:
        self.original = (self.ballot, self.cast_at, self.recorded_at, self.withdrawn_at)

    def upserted(self) -> bool:
        """Whether the batch writes this voter's ballot row."""
        old, old_cast, old_recorded, _ = self.original
        new = self.ballot
        return new is not None and (
            old is None
            or (new.options, new.voter.name) != (old.options, old.voter.name)
            or (self.cast_at, self.recorded_at) != (old_cast, old_recorded)
        )

    def stored(self) -> Stored:
        """The voter's row as it is once the batch is applied."""
        new = self.ballot
        if new is None:
            return (None, None, None, None, self.withdrawn_at)
        text = dump_options(new.options) if self.upserted() else self.options_text
        return (text, self.cast_at, self.recorded_at, new.voter.name, self.withdrawn_at)


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
            old, _, _, old_withdrawn = voter.original
            new = voter.ballot
            if new is not None and voter.upserted():
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
            *columns(upserts, 8),
            *columns(removed, 2),
            *columns(withdrawn, 3),
            *columns(unwithdrawn, 2),
            *columns(self.deliveries, 3),
            [k[0] for k, _ in voters],
            [k[1] for k, _ in voters],
            [d for _, d in voters],
            [k[0] for k, _ in options],
            [k[1] for k, _ in options],
            [k[2] for k, _ in options],
            [d for _, d in options],
        ]


def columns(rows: list[Any], width: int) -> list[list[Any]]:
    """Rows -> one list per column (how the batch's arrays are passed)."""
    return [[row[i] for row in rows] for i in range(width)]


def plan_batch(requests: list[tuple[BallotRequest, int]], rows: list[Row], now: Now) -> BatchPlan:
    """Decide every request of a batch in order, given the state each one sees (stored or
    expected: engagebot_cast_lookup's rows)."""
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
            if options is not None:  # a ballot row: its columns are NOT NULL
                assert name is not None and cast_at is not None and recorded_at is not None
                ballot = Ballot(
                    req.poll_id,
                    UserRef(req.voter.platform, req.voter.id, name),
                    load_options(options),
                    from_micros(cast_at),
                    from_micros(recorded_at),
                )
            voter = voters[key] = _Voter(ballot, cast_at, recorded_at, withdrawn_at, options)

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
