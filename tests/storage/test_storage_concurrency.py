"""Group commit under load: exact tallies, real batching, failures that stay local."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import pytest
from storage_helpers import POLL, T0, at, choose, request, user, vote

from bot.errors import StorageError
from bot.storage.base import Ballot, CastResult, CastStatus
from bot.storage.sqlite import SqliteStore

OPTIONS = ("aero", "urban", "trail")


async def test_a_thousand_concurrent_voters_are_counted_exactly(
    voting_store: SqliteStore,
) -> None:
    rng = random.Random(1)
    picks = [rng.choice(OPTIONS) for _ in range(1000)]
    commits_before = voting_store.writer_stats.commits

    async def one(n: int) -> CastResult:
        await asyncio.sleep(rng.random() * 0.05)  # arrivals spread over time, like clicks
        return await vote(voting_store, user(n), picks[n], when=at(n / 1000))

    results = await asyncio.gather(*(one(n) for n in range(1000)))
    assert {r.status for r in results} == {CastStatus.ACCEPTED}
    tally = await voting_store.tally(POLL)
    assert tally.counts == {o: picks.count(o) for o in OPTIONS}
    assert tally.voters == 1000
    assert await voting_store.recount(POLL) == tally
    commits = voting_store.writer_stats.commits - commits_before
    assert 1 < commits < 1000, commits  # several batches, and votes really shared them
    assert voting_store.writer_stats.largest_batch > 1


async def test_revotes_keep_one_ballot_per_voter_and_the_newest_click(
    voting_store: SqliteStore,
) -> None:
    rng = random.Random(2)
    clicks = []  # 200 voters x 5 clicks, delivered in random order
    for n in range(200):
        for k in range(5):
            clicks.append((n, k, rng.choice(OPTIONS)))
    rng.shuffle(clicks)

    async def one(n: int, k: int, option: str) -> CastResult:
        await asyncio.sleep(rng.random() * 0.02)
        return await vote(voting_store, user(n), option, when=at(k), delivery=f"d:{n}:{k}")

    results = await asyncio.gather(*(one(*click) for click in clicks))
    statuses = {r.status for r in results}
    assert statuses <= {CastStatus.ACCEPTED, CastStatus.UNCHANGED, CastStatus.STALE}

    newest = {n: option for n, k, option in clicks if k == 4}
    ballots = await voting_store.ballots(POLL)
    assert len(ballots) == 200
    assert {b.voter.id: b.options for b in ballots} == {str(n): (o,) for n, o in newest.items()}
    tally = await voting_store.tally(POLL)
    assert tally.voters == 200 and tally.total_votes == 200
    chosen = list(newest.values())
    assert tally.counts == {o: chosen.count(o) for o in OPTIONS if o in chosen}
    assert await voting_store.recount(POLL) == tally


async def test_a_failing_decide_loses_no_other_vote_in_its_batch(
    voting_store: SqliteStore,
) -> None:
    def explode(current: Ballot | None) -> tuple[str, ...]:
        raise RuntimeError("bug in a vote rule")

    commits_before = voting_store.writer_stats.commits
    requests = [request(user(n), choose("aero"), when=at(n)) for n in range(50)]
    requests[37] = request(user(37), explode)
    # gather() queues all 50 before the writer runs: they share one transaction, or on
    # SQLite two (an idle writer takes half, see writer.py): 25 around the failing one.
    results = await asyncio.gather(
        *(voting_store.cast(r) for r in requests), return_exceptions=True
    )
    assert voting_store.writer_stats.commits - commits_before in (1, 2)
    assert isinstance(results[37], RuntimeError)
    assert all(
        isinstance(r, CastResult) and r.status is CastStatus.ACCEPTED
        for i, r in enumerate(results)
        if i != 37
    )
    tally = await voting_store.tally(POLL)
    assert tally.counts == {"aero": 49} and tally.voters == 49
    assert await voting_store.get_ballot(POLL, user(37)) is None


async def test_concurrent_transitions_and_votes_serialize(voting_store: SqliteStore) -> None:
    async def close_later() -> bool:
        await asyncio.sleep(0.01)
        return await voting_store.close_poll(POLL, at(100), "merchant")

    async def one(n: int) -> CastResult:
        await asyncio.sleep(random.random() * 0.02)
        return await vote(voting_store, user(n), "aero")

    closing = asyncio.ensure_future(close_later())
    results = await asyncio.gather(*(one(n) for n in range(300)))
    closed = await closing
    assert closed is True
    accepted = sum(r.status is CastStatus.ACCEPTED for r in results)
    refused = sum(r.status is CastStatus.NOT_OPEN for r in results)
    assert accepted + refused == 300
    # Every vote acknowledged before the close counts, none after it does.
    assert (await voting_store.tally(POLL)).total_votes == accepted


async def test_a_locked_database_fails_the_batch_and_recovers(db_path: Path) -> None:
    store = SqliteStore(db_path, busy_timeout=0.05)
    await store.open()
    try:
        await store.ensure_polls([POLL])
        await store.open_poll(POLL, T0, None, "test")
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StorageError, match="could not write"):
            await vote(store, user(1), "aero", delivery="discord:1")
        other.execute("ROLLBACK")
        other.close()
        assert store.writer_stats.failed_batches == 1
        retry = await vote(store, user(1), "aero", delivery="discord:1")
        assert retry.status is CastStatus.ACCEPTED
    finally:
        await store.close()


async def test_a_vote_waits_for_another_writer_without_stopping_the_loop(
    db_path: Path,
) -> None:
    """The writer's statements run on the event loop, but a lock held by another process
    (the CLI, a backup) is waited for on the writer thread: the loop goes on meanwhile,
    and the vote is stored once the lock is released."""
    store = SqliteStore(db_path, busy_timeout=5.0)
    await store.open()
    try:
        await store.ensure_polls([POLL])
        await store.open_poll(POLL, T0, None, "test")
        other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        voting = asyncio.ensure_future(vote(store, user(1), "aero", delivery="discord:1"))
        ticks = 0
        while ticks < 20:  # the loop keeps turning while the vote waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert not voting.done()
        other.execute("COMMIT")
        other.close()
        stored = await voting
        assert stored.status is CastStatus.ACCEPTED
        assert store.writer_stats.failed_batches == 0
        assert (await store.tally(POLL)).counts == {"aero": 1}
    finally:
        await store.close()


async def test_close_drains_queued_votes(db_path: Path) -> None:
    store = SqliteStore(db_path, max_batch=7)
    await store.open()
    await store.ensure_polls([POLL])
    await store.open_poll(POLL, T0, None, "test")
    pending = [asyncio.ensure_future(vote(store, user(n), "aero")) for n in range(100)]
    await asyncio.sleep(0)  # all queued, few or none written yet
    await store.close()
    results = await asyncio.gather(*pending)
    assert all(r.status is CastStatus.ACCEPTED for r in results)
    with pytest.raises(StorageError):
        await vote(store, user(999), "aero")

    reopened = SqliteStore(db_path)
    await reopened.open()
    try:
        assert (await reopened.tally(POLL)).total_votes == 100
    finally:
        await reopened.close()
