"""cast(): the order of checks (replay, poll state, staleness, decide) and what each stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import MakeStore
from storage_helpers import (
    POLL,
    T0,
    at,
    choose,
    refuse,
    request,
    toggle,
    user,
    vote,
)

from bot.storage.base import Ballot, CastStatus, Rejection, Tally
from bot.storage.sqlite import SqliteStore

EMPTY = Tally(POLL, {}, 0, {}, {})


async def test_first_vote_is_stored_and_counted(voting_store: SqliteStore) -> None:
    alice = user(1, name="Alice")
    result = await vote(voting_store, alice, "aero", when=at(5))
    assert result.status is CastStatus.ACCEPTED
    assert result.previous is None
    assert result.ballot is not None
    assert result.ballot.options == ("aero",) and result.ballot.cast_at == at(5)

    stored = await voting_store.get_ballot(POLL, alice)
    assert stored == result.ballot
    assert stored is not None and stored.voter == alice
    tally = await voting_store.tally(POLL)
    assert tally == Tally(POLL, {"aero": 1}, 1, {"discord": 1}, {"discord": 1})


@pytest.mark.parametrize("state", ["scheduled", "closed", "unknown"])
async def test_a_poll_that_is_not_open_stores_nothing(store: SqliteStore, state: str) -> None:
    if state != "unknown":
        await store.ensure_polls([POLL])
    if state == "closed":
        await store.open_poll(POLL, T0, None, "test")
        await store.close_poll(POLL, at(1), "test")
    result = await vote(store, user(1), "aero", delivery="discord:1")
    assert result.status is CastStatus.NOT_OPEN
    assert await store.get_ballot(POLL, user(1)) is None
    assert await store.tally(POLL) == EMPTY

    if state == "scheduled":  # the delivery was not recorded: it may count once the poll opens
        await store.open_poll(POLL, T0, None, "test")
        retry = await vote(store, user(1), "aero", delivery="discord:1")
        assert retry.status is CastStatus.ACCEPTED


async def test_single_choice_vote_is_replaced(voting_store: SqliteStore) -> None:
    bob = user(2)
    await vote(voting_store, bob, "aero", when=at(1))
    changed = await vote(voting_store, bob, "urban", when=at(2))
    assert changed.status is CastStatus.ACCEPTED
    assert changed.previous == ("aero",)
    assert changed.ballot is not None and changed.ballot.options == ("urban",)
    assert (await voting_store.tally(POLL)).counts == {"urban": 1}
    assert len(await voting_store.ballots(POLL)) == 1


async def test_same_selection_is_unchanged(voting_store: SqliteStore) -> None:
    await vote(voting_store, user(3), "aero", when=at(1))
    again = await vote(voting_store, user(3), "aero", when=at(2))
    assert again.status is CastStatus.UNCHANGED
    assert again.ballot is not None and again.ballot.cast_at == at(2)
    assert (await voting_store.tally(POLL)).counts == {"aero": 1}
    # The unchanged click is still the newest: an older different click is stale.
    late = await vote(voting_store, user(3), "urban", when=at(1.5))
    assert late.status is CastStatus.STALE


async def test_rejection_stores_nothing_and_keeps_the_delivery_usable(
    voting_store: SqliteStore,
) -> None:
    carol = user(4)
    await vote(voting_store, carol, "aero", when=at(1))
    refused = await voting_store.cast(
        request(carol, refuse("too_many"), when=at(2), delivery="discord:77")
    )
    assert refused.status is CastStatus.REJECTED
    assert refused.rejection == Rejection("too_many", "refused in a test")
    assert refused.ballot is not None and refused.ballot.options == ("aero",)
    assert (await voting_store.tally(POLL)).counts == {"aero": 1}
    # Not recorded as a delivery, so the same id is judged afresh (not DUPLICATE).
    retry = await voting_store.cast(
        request(carol, choose("urban"), when=at(2), delivery="discord:77")
    )
    assert retry.status is CastStatus.ACCEPTED


async def test_duplicate_delivery_changes_nothing(voting_store: SqliteStore) -> None:
    await vote(voting_store, user(5), "aero", when=at(1), delivery="discord:900")
    before = await voting_store.tally(POLL)
    replay = await vote(voting_store, user(5), "trail", when=at(9), delivery="discord:900")
    assert replay.status is CastStatus.DUPLICATE
    assert replay.ballot is not None and replay.ballot.options == ("aero",)
    assert await voting_store.tally(POLL) == before
    # A replay of a delivery from another voter is also dropped.
    other = await vote(voting_store, user(6), "trail", when=at(9), delivery="discord:900")
    assert other.status is CastStatus.DUPLICATE
    assert await voting_store.get_ballot(POLL, user(6)) is None


async def test_an_older_click_never_overwrites_a_newer_one(voting_store: SqliteStore) -> None:
    dave = user(7)
    await vote(voting_store, dave, "urban", when=at(10), delivery="discord:new")
    old = await vote(voting_store, dave, "aero", when=at(9), delivery="discord:old")
    assert old.status is CastStatus.STALE
    assert old.ballot is not None and old.ballot.options == ("urban",)
    assert (await voting_store.tally(POLL)).counts == {"urban": 1}
    # The stale delivery was recorded: its replay is a duplicate.
    replay = await vote(voting_store, dave, "aero", when=at(9), delivery="discord:old")
    assert replay.status is CastStatus.DUPLICATE
    # Same instant is not older.
    same = await vote(voting_store, dave, "trail", when=at(10))
    assert same.status is CastStatus.ACCEPTED


async def test_withdraw_removes_the_ballot(voting_store: SqliteStore) -> None:
    erin = user(8)
    await voting_store.cast(request(erin, toggle("aero"), when=at(1)))
    withdrawn = await voting_store.cast(request(erin, toggle("aero"), when=at(2)))
    assert withdrawn.status is CastStatus.WITHDRAWN
    assert withdrawn.ballot is None and withdrawn.previous == ("aero",)
    assert await voting_store.get_ballot(POLL, erin) is None
    assert await voting_store.tally(POLL) == EMPTY
    # A click older than the withdrawal cannot bring the ballot back...
    late = await vote(voting_store, erin, "urban", when=at(1.5))
    assert late.status is CastStatus.STALE
    assert await voting_store.get_ballot(POLL, erin) is None
    # ...a newer one can.
    back = await vote(voting_store, erin, "urban", when=at(3))
    assert back.status is CastStatus.ACCEPTED and back.previous is None
    assert (await voting_store.tally(POLL)).counts == {"urban": 1}


async def test_withdrawing_nothing_is_unchanged(voting_store: SqliteStore) -> None:
    result = await voting_store.cast(request(user(9), choose(), when=at(1)))
    assert result.status is CastStatus.UNCHANGED and result.ballot is None
    assert await voting_store.tally(POLL) == EMPTY


async def test_multiple_choice_ballot(voting_store: SqliteStore) -> None:
    frank = user(10)
    await voting_store.cast(request(frank, toggle("aero"), when=at(1)))
    second = await voting_store.cast(request(frank, toggle("trail"), when=at(2)))
    assert second.ballot is not None and second.ballot.options == ("aero", "trail")
    await vote(voting_store, user(11), "trail", "urban", when=at(2))
    tally = await voting_store.tally(POLL)
    assert tally.counts == {"aero": 1, "trail": 2, "urban": 1}
    assert tally.voters == 2 and tally.total_votes == 4
    # Swap one option: counts move, voters stay.
    await vote(voting_store, frank, "urban", "trail", when=at(3))
    tally = await voting_store.tally(POLL)
    assert tally.counts == {"trail": 2, "urban": 2} and tally.voters == 2
    assert await voting_store.recount(POLL) == tally


async def test_decide_sees_the_current_ballot_and_duplicates_are_dropped(
    voting_store: SqliteStore,
) -> None:
    seen: list[Ballot | None] = []

    def decide(current: Ballot | None) -> tuple[str, ...]:
        seen.append(current)
        return ("aero", "trail", "aero")

    grace = user(12, name="Grace")
    await vote(voting_store, grace, "urban", when=at(1))
    result = await voting_store.cast(request(grace, decide, when=at(2)))
    assert seen[0] is not None and seen[0].options == ("urban",)
    assert seen[0].voter.name == "Grace" and seen[0].cast_at == at(1)
    assert result.ballot is not None and result.ballot.options == ("aero", "trail")
    assert (await voting_store.tally(POLL)).counts == {"aero": 1, "trail": 1}


async def test_decide_returning_garbage_fails_that_request(voting_store: SqliteStore) -> None:
    def decide(current: Ballot | None) -> tuple[str, ...]:
        return ["aero"]  # type: ignore[return-value]

    with pytest.raises(TypeError, match="tuple of option ids"):
        await voting_store.cast(request(user(13), decide))
    assert await voting_store.tally(POLL) == EMPTY


async def test_tally_per_platform(voting_store: SqliteStore) -> None:
    for n in range(3):
        await vote(voting_store, user(n, "discord"), "aero")
    for n in range(2):
        await vote(voting_store, user(n, "slack"), "aero", "urban")
    await vote(voting_store, user("local", "console"), "trail")
    tally = await voting_store.tally(POLL)
    assert tally.counts == {"aero": 5, "urban": 2, "trail": 1}
    assert tally.voters == 6
    assert tally.votes_by_platform == {"discord": 3, "slack": 4, "console": 1}
    assert tally.voters_by_platform == {"discord": 3, "slack": 2, "console": 1}
    assert await voting_store.recount(POLL) == tally
    # Other polls are not mixed in.
    assert await voting_store.tally("other") == Tally("other", {}, 0, {}, {})


async def test_ballots_are_listed_in_recording_order(make_store: MakeStore) -> None:
    ticks = iter(range(100, 0, -1))  # a clock that runs backwards, to prove the sort

    def clock() -> datetime:
        return at(next(ticks))

    store = make_store(clock=clock)
    await store.open()
    try:
        await store.ensure_polls([POLL])
        await store.open_poll(POLL, T0, None, "test")
        for n in range(4):
            await vote(store, user(n), "aero", when=at(n))
        ballots = await store.ballots(POLL)
        assert [b.voter.id for b in ballots] == ["3", "2", "1", "0"]
        assert [b.recorded_at for b in ballots] == sorted(b.recorded_at for b in ballots)
    finally:
        await store.close()


async def test_old_delivery_ids_are_pruned_and_replays_still_count_once(
    voting_store: SqliteStore,
) -> None:
    await vote(voting_store, user(5), "aero", when=at(1), delivery="discord:900")
    now = datetime.now(UTC)
    assert await voting_store.prune_deliveries(now - timedelta(days=7)) == 0  # still fresh
    assert await voting_store.prune_deliveries(now + timedelta(hours=1)) == 1
    before = await voting_store.tally(POLL)
    late = await vote(voting_store, user(5), "aero", when=at(1), delivery="discord:900")
    assert late.status is CastStatus.UNCHANGED  # the ballot itself still holds the vote
    assert await voting_store.tally(POLL) == before
