"""Several votes in one batch (one transaction), on both backends: each sees the ones
before it, as if they had been cast one after another; and on SQLite a vote whose write
fails takes no other vote of its batch down with it."""

from __future__ import annotations

import asyncio

from conftest import AnyStore
from storage_helpers import POLL, at, choose, request, user

from bot.storage.base import BallotRequest, CastResult, CastStatus
from bot.storage.sqlite import SqliteStore


async def in_one_batch(store: AnyStore, *requests: BallotRequest) -> list[CastResult]:
    """gather() queues every request before the writer runs: they share one commit."""
    before = store.writer_stats.commits
    results = await asyncio.gather(*(store.cast(r) for r in requests))
    assert store.writer_stats.commits - before == 1, "the votes did not share a batch"
    return results


async def test_two_votes_of_one_voter_in_a_batch_apply_in_order(voting_store: AnyStore) -> None:
    alice, bob = user("alice"), user("bob")
    first, second, other = await in_one_batch(
        voting_store,
        request(alice, choose("aero"), when=at(1)),
        request(alice, choose("urban"), when=at(2)),
        request(bob, choose("aero"), when=at(1)),
    )
    assert first.status is CastStatus.ACCEPTED and first.previous is None
    assert second.status is CastStatus.ACCEPTED and second.previous == ("aero",)
    assert second.ballot is not None and second.ballot.options == ("urban",)
    assert other.status is CastStatus.ACCEPTED
    ballot = await voting_store.get_ballot(POLL, alice)
    assert ballot is not None and ballot.options == ("urban",) and ballot.cast_at == at(2)
    tally = await voting_store.tally(POLL)
    assert tally.counts == {"aero": 1, "urban": 1} and tally.voters == 2
    assert await voting_store.recount(POLL) == tally


async def test_a_delivery_repeated_in_the_same_batch_counts_once(voting_store: AnyStore) -> None:
    alice = user("alice")
    first, replay = await in_one_batch(
        voting_store,
        request(alice, choose("aero"), when=at(1), delivery="discord:42"),
        request(alice, choose("urban"), when=at(2), delivery="discord:42"),
    )
    assert first.status is CastStatus.ACCEPTED
    assert replay.status is CastStatus.DUPLICATE
    assert replay.ballot is not None and replay.ballot.options == ("aero",)
    tally = await voting_store.tally(POLL)
    assert tally.counts == {"aero": 1} and tally.voters == 1
    # The delivery is remembered: delivered once more later, it is still a replay.
    again = await voting_store.cast(
        request(alice, choose("trail"), when=at(3), delivery="discord:42")
    )
    assert again.status is CastStatus.DUPLICATE


async def test_an_older_click_after_a_newer_one_in_the_same_batch_is_stale(
    voting_store: AnyStore,
) -> None:
    alice = user("alice")
    newer, older = await in_one_batch(
        voting_store,
        request(alice, choose("urban"), when=at(5)),
        request(alice, choose("aero"), when=at(4)),
    )
    assert newer.status is CastStatus.ACCEPTED
    assert older.status is CastStatus.STALE
    assert older.ballot is not None and older.ballot.options == ("urban",)
    ballot = await voting_store.get_ballot(POLL, alice)
    assert ballot is not None and ballot.options == ("urban",) and ballot.cast_at == at(5)
    assert (await voting_store.tally(POLL)).counts == {"urban": 1}


async def test_withdraw_and_vote_again_in_one_batch(voting_store: AnyStore) -> None:
    alice = user("alice")
    await voting_store.cast(request(alice, choose("aero"), when=at(1)))
    withdrawn, stale, back = await in_one_batch(
        voting_store,
        request(alice, choose(), when=at(3)),
        request(alice, choose("trail"), when=at(2)),  # older than the withdrawal
        request(alice, choose("urban"), when=at(4)),
    )
    assert withdrawn.status is CastStatus.WITHDRAWN
    assert stale.status is CastStatus.STALE and stale.ballot is None
    assert back.status is CastStatus.ACCEPTED and back.previous is None
    tally = await voting_store.tally(POLL)
    assert tally.counts == {"urban": 1} and tally.voters == 1
    assert await voting_store.recount(POLL) == tally


async def test_a_vote_whose_write_fails_fails_alone_in_its_batch(db_path: object) -> None:
    """A selection SQLite cannot store (a rule bug: an option id with a lone UTF-16
    surrogate) makes the batch's write fail: the batch is redone with each vote alone in
    a savepoint, and only that vote fails."""
    store = SqliteStore(db_path)  # type: ignore[arg-type]
    await store.open()
    try:
        await store.ensure_polls([POLL])
        await store.open_poll(POLL, at(0), None, "test")
        requests = [request(user(n), choose("aero"), when=at(1)) for n in range(20)]
        requests[7] = request(user(7), choose("urban\ud800"), when=at(1))
        before = store.writer_stats.redone_batches
        results = await asyncio.gather(*(store.cast(r) for r in requests), return_exceptions=True)
        assert store.writer_stats.redone_batches == before + 1
        assert isinstance(results[7], Exception)
        assert all(
            isinstance(r, CastResult) and r.status is CastStatus.ACCEPTED
            for i, r in enumerate(results)
            if i != 7
        )
        tally = await store.tally(POLL)
        assert tally.counts == {"aero": 19} and tally.voters == 19
        assert await store.recount(POLL) == tally
        assert await store.get_ballot(POLL, user(7)) is None
    finally:
        await store.close()
