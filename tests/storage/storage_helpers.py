"""Small builders for storage tests: voters, decide() rules and cast() shortcuts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.core.refs import UserRef
from bot.storage.base import Ballot, BallotRequest, CastResult, Decide, Rejection, Store

T0 = datetime(2025, 11, 20, 9, 30, 0, 123456, tzinfo=UTC)
POLL = "helmets"

_deliveries = itertools.count(1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def user(n: int | str, platform: str = "discord", name: str = "") -> UserRef:
    return UserRef(platform, str(n), name or f"user {n}")


def choose(*options: str) -> Decide:
    """Whole-selection vote: the ballot becomes exactly these options."""

    def decide(current: Ballot | None) -> tuple[str, ...] | Rejection:
        return tuple(options)

    return decide


def toggle(option: str) -> Decide:
    """Multiple-choice click: adds or removes one option."""

    def decide(current: Ballot | None) -> tuple[str, ...] | Rejection:
        chosen = list(current.options) if current else []
        if option in chosen:
            chosen.remove(option)
        else:
            chosen.append(option)
        return tuple(chosen)

    return decide


def refuse(code: str = "change_not_allowed") -> Decide:
    def decide(current: Ballot | None) -> tuple[str, ...] | Rejection:
        return Rejection(code, "refused in a test")

    return decide


def request(
    voter: UserRef,
    decide: Decide,
    *,
    when: datetime = T0,
    delivery: str | None = None,
    poll: str = POLL,
) -> BallotRequest:
    delivery_id = delivery or f"{voter.platform}:delivery-{next(_deliveries)}"
    return BallotRequest(poll, voter, delivery_id, when, decide)


async def vote(
    store: Store,
    voter: UserRef,
    *options: str,
    when: datetime = T0,
    delivery: str | None = None,
    poll: str = POLL,
) -> CastResult:
    ballot = request(voter, choose(*options), when=when, delivery=delivery, poll=poll)
    return await store.cast(ballot)
