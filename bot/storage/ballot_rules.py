"""The vote rules of a whole batch, in plain Python, shared by both backends.

A backend reads, for every request of a batch and in one go, what the decision needs
(replayed? the poll's state, the voter's ballot and last withdrawal), then `plan_batch`
decides each request in order: several clicks of one voter (or one delivery twice) in
the same batch each see the ones before them (the overlay kept in `VoterState`). The
plan's `net()` is what the batch changes, one row per voter however many clicks it had,
plus the running totals' net change, for the backend to write in a few statements."""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bot.core.refs import UserRef
from bot.storage.base import (
    Ballot,
    BallotRequest,
    CastResult,
    CastStatus,
    PollState,
    Rejection,
)
from bot.storage.codec import dump_options, from_micros, load_options, normalize_selection

Now = Callable[[], int]  # microseconds since the epoch
# What a backend read for one request: replayed, poll state, the ballot's options (JSON),
# cast_at, recorded_at and user_name, and the last withdrawal's cast_at.
LookupRow = tuple[bool, str | None, str | None, int | None, int | None, str | None, int | None]
# (True, CastResult) or (False, the exception that failed this request alone).
Outcome = tuple[bool, Any]


_OPEN: str = PollState.OPEN.value  # an enum member's .value costs ~1 us per vote

# One voter's stored state: the last five fields of a LookupRow.
Stored = tuple[str | None, int | None, int | None, str | None, int | None]


@dataclass
class VoterState:
    """One (poll, voter) as the batch has changed it so far."""

    ballot: Ballot | None
    cast_at: int | None  # the ballot's cast_at in microseconds
    recorded_at: int | None
    withdrawn_at: int | None
    options_text: str | None = None  # the options column as it was read
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


# A ballot row: poll, voter key, platform, user id, user name, options JSON, cast_at,
# recorded_at.
BallotRow = tuple[str, str, str, str, str, str, int, int]


@dataclass
class NetWrites:
    """What a batch changes, one row per voter (see BatchPlan.net)."""

    added: list[BallotRow] = field(default_factory=list)  # no ballot before the batch
    changed: list[BallotRow] = field(default_factory=list)  # another selection
    touched: list[BallotRow] = field(default_factory=list)  # same selection, newer click
    removed: list[tuple[str, str]] = field(default_factory=list)
    withdrawn: list[tuple[str, str, int]] = field(default_factory=list)
    unwithdrawn: list[tuple[str, str]] = field(default_factory=list)
    deliveries: list[tuple[str, str, int]] = field(default_factory=list)
    # Running totals' net change, in key order (so concurrent batches never deadlock):
    voter_delta: list[tuple[tuple[str, str], int]] = field(default_factory=list)
    option_delta: list[tuple[tuple[str, str, str], int]] = field(default_factory=list)


@dataclass
class BatchPlan:
    """What one batch decided: an outcome per request, and the voters it changed."""

    outcomes: list[Outcome]
    voters: dict[tuple[str, str], VoterState]
    deliveries: list[tuple[str, str, int]]

    def net(self) -> NetWrites:
        writes = NetWrites(deliveries=self.deliveries)
        voter_delta: collections.Counter[tuple[str, str]] = collections.Counter()
        option_delta: collections.Counter[tuple[str, str, str]] = collections.Counter()
        for (poll_id, key), voter in sorted(self.voters.items()):
            old, old_cast, old_recorded, old_withdrawn = voter.original
            new = voter.ballot
            if new is not None:
                assert voter.cast_at is not None and voter.recorded_at is not None
                row = (
                    poll_id,
                    key,
                    new.voter.platform,
                    new.voter.id,
                    new.voter.name,
                    dump_options(new.options),
                    voter.cast_at,
                    voter.recorded_at,
                )
                if old is None:
                    writes.added.append(row)
                elif (new.options, new.voter.name) != (old.options, old.voter.name):
                    writes.changed.append(row)
                elif (voter.cast_at, voter.recorded_at) != (old_cast, old_recorded):
                    writes.touched.append(row)
            elif old is not None:
                writes.removed.append((poll_id, key))
            if voter.withdrawn_at != old_withdrawn:
                if voter.withdrawn_at is None:
                    writes.unwithdrawn.append((poll_id, key))
                else:
                    writes.withdrawn.append((poll_id, key, voter.withdrawn_at))
            if old is not None and (new is None or new.options != old.options):
                voter_delta[(poll_id, old.voter.platform)] -= 1
                for option in old.options:
                    option_delta[(poll_id, option, old.voter.platform)] -= 1
            if new is not None and (old is None or new.options != old.options):
                voter_delta[(poll_id, new.voter.platform)] += 1
                for option in new.options:
                    option_delta[(poll_id, option, new.voter.platform)] += 1
        writes.voter_delta = sorted((k, d) for k, d in voter_delta.items() if d)
        writes.option_delta = sorted((k, d) for k, d in option_delta.items() if d)
        return writes


def plan_batch(
    requests: list[tuple[BallotRequest, int]], rows: list[LookupRow], now: Now
) -> BatchPlan:
    """Decide every request of a batch in order, given what was read for each (rows[i]
    for requests[i]; occurred_at of each request in microseconds beside it). A voter's
    row is read once: later requests of the same voter see the batch's changes."""
    voters: dict[tuple[str, str], VoterState] = {}
    seen: set[str] = set()
    deliveries: list[tuple[str, str, int]] = []
    outcomes: list[Outcome] = []
    for (req, occurred), row in zip(requests, rows, strict=True):
        replayed, state, options, cast_at, recorded_at, name, withdrawn_at = row
        key = (req.poll_id, req.voter.key)
        voter = voters.get(key)
        if voter is None:
            ballot = None
            if options is not None:
                assert cast_at is not None and recorded_at is not None
                ballot = Ballot(
                    req.poll_id,
                    UserRef(req.voter.platform, req.voter.id, name or ""),
                    load_options(options),
                    from_micros(cast_at),
                    from_micros(recorded_at),
                )
            voter = VoterState(ballot, cast_at, recorded_at, withdrawn_at, options)
            voters[key] = voter

        try:
            result, recorded_at = decide(
                req, occurred, replayed or req.delivery_id in seen, state, voter, now
            )
        except Exception as exc:  # decide() failed: this request alone fails
            outcomes.append((False, exc))
            continue
        if recorded_at is not None:  # a judged delivery: a replay of it changes nothing
            seen.add(req.delivery_id)
            deliveries.append((req.delivery_id, req.poll_id, recorded_at))
        outcomes.append((True, result))
    return BatchPlan(outcomes, voters, deliveries)


def decide(
    req: BallotRequest,
    occurred: int,
    replayed: bool,
    state: str | None,
    voter: VoterState,
    now: Now,
) -> tuple[CastResult, int | None]:
    """One request against the voter as the batch left it: replays change nothing, a
    closed poll takes nothing, an older click never overwrites a newer one (nor brings
    back a withdrawn ballot), then the poll's own rules (req.decide). Returns the result
    and, when the delivery is to be remembered, the time to record it at."""
    current = voter.ballot
    previous = current.options if current else None
    if replayed:
        return CastResult(CastStatus.DUPLICATE, current, previous), None
    if state != _OPEN:
        return CastResult(CastStatus.NOT_OPEN, current, previous), None
    latest = voter.cast_at if current else voter.withdrawn_at
    if latest is not None and occurred < latest:
        return CastResult(CastStatus.STALE, current, previous), now()

    decision = req.decide(current)
    if isinstance(decision, Rejection):
        return CastResult(CastStatus.REJECTED, current, previous, decision), None
    selection = normalize_selection(decision)

    if not selection:
        voter.ballot = voter.cast_at = voter.recorded_at = None
        voter.withdrawn_at = occurred
        status = CastStatus.WITHDRAWN if current else CastStatus.UNCHANGED
        return CastResult(status, None, previous), now()

    cast_at = _utc(req.occurred_at, occurred)
    if current is not None and set(selection) == set(current.options):
        # Nothing to count, but remember this click as the newest so an older one
        # arriving late is still recognised as stale.
        kept = replace(current, cast_at=cast_at)
        voter.ballot, voter.cast_at = kept, occurred
        return CastResult(CastStatus.UNCHANGED, kept, previous), now()

    at = now()
    stored = Ballot(req.poll_id, req.voter, selection, cast_at, from_micros(at))
    voter.ballot, voter.cast_at, voter.recorded_at = stored, occurred, at
    voter.withdrawn_at = None
    return CastResult(CastStatus.ACCEPTED, stored, previous), at


def _utc(moment: datetime, micros: int) -> datetime:
    """The click's time as stored (UTC, whole microseconds): as given, when it is."""
    return moment if moment.tzinfo is UTC else from_micros(micros)
