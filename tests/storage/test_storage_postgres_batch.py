"""PostgreSQL vote batches: one round trip each (counted at the wire), decided again when
what a process expected was changed by another one, and one bad vote failing alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from storage_helpers import POLL, T0, at, choose, request, toggle, user, vote

from bot.errors import StorageError
from bot.storage.ballot_rules import plan_batch
from bot.storage.base import BallotRequest, CastResult, CastStatus, Decide
from bot.storage.postgres import PostgresStore
from bot.storage.postgres import store as pg_store
from bot.storage.postgres.votes import KnownVoters
from bot.storage.urls import postgres_url
from tests.pg import (
    SERVER,
    pg_url,  # noqa: F401  (fixture)
)
from tests.pg_proxy import RoundTripProxy, round_trip_proxy


@pytest.fixture
async def proxy() -> AsyncIterator[RoundTripProxy]:
    server = urlsplit(SERVER)
    async with round_trip_proxy(server.hostname or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


@contextlib.asynccontextmanager
async def _processes(*urls: str) -> AsyncIterator[list[PostgresStore]]:
    """A store per URL (each as one bot process would have it), with POLL open."""
    stores = [PostgresStore(postgres_url(url)) for url in urls]
    try:
        for store in stores:
            await store.open()
        await stores[0].ensure_polls([POLL])
        await stores[0].open_poll(POLL, T0, None, "test")
        yield stores
    finally:
        for store in stores:
            await store.close()


async def _batch(store: PostgresStore, requests: list[BallotRequest]) -> list[CastResult]:
    """All of requests in one batch: gather() queues them before the batcher runs."""
    commits = store.writer_stats.commits
    results = await asyncio.gather(*(store.cast(r) for r in requests))
    assert store.writer_stats.commits == commits + 1
    return list(results)


def _clicks(decide: Decide, voters: range, when: datetime) -> list[BallotRequest]:
    return [request(user(n), decide, when=when) for n in voters]


async def test_a_batch_is_one_round_trip(
    pg_url: str,  # noqa: F811
    proxy: RoundTripProxy,
) -> None:
    async with _processes(proxy.url(pg_url)) as [store]:
        await vote(store, user("first"), "aero")  # connects, prepares the statement
        before = proxy.round_trips
        # New voters; the same voters changing, withdrawing, coming back, clicking the same;
        # several clicks of one voter and a replayed delivery inside one batch.
        first = await _batch(store, _clicks(choose("aero"), range(50), at(1)))
        changed = await _batch(store, _clicks(choose("urban", "trail"), range(50), at(2)))
        withdrawn = await _batch(store, _clicks(toggle("urban"), range(25), at(3)))
        back = await _batch(store, _clicks(toggle("aero"), range(10), at(4)))
        same = await _batch(store, _clicks(choose("urban", "trail"), range(25, 50), at(5)))
        mixed = [request(user(60), choose("aero"), when=at(6), delivery="d:60")]
        mixed += [request(user(60), toggle("urban"), when=at(7), delivery="d:61")]
        mixed += [request(user(61), choose("aero"), when=at(6), delivery="d:60")]
        inside = await _batch(store, mixed)
        assert proxy.round_trips - before == 6  # one per batch, whatever it held

        assert {r.status for r in first} == {CastStatus.ACCEPTED}
        assert {r.status for r in changed} == {CastStatus.ACCEPTED}
        assert {r.status for r in withdrawn} == {CastStatus.ACCEPTED}  # trail is left
        assert {r.status for r in back} == {CastStatus.ACCEPTED}
        assert {r.status for r in same} == {CastStatus.UNCHANGED}
        assert [r.status for r in inside] == [
            CastStatus.ACCEPTED,
            CastStatus.ACCEPTED,
            CastStatus.DUPLICATE,
        ]
        assert store.vote_stats.decided_again == 0
        tally = await store.tally(POLL)
        assert tally == await store.recount(POLL)
        assert tally.counts == {"aero": 1 + 10 + 1, "urban": 25 + 1, "trail": 50}


async def test_a_vote_changed_through_another_process_is_decided_again(
    pg_url: str,  # noqa: F811
    proxy: RoundTripProxy,
) -> None:
    async with _processes(proxy.url(pg_url), pg_url) as [here, there]:
        await vote(here, user(1), "aero", when=at(1))
        await vote(there, user(1), "urban", when=at(2))  # `here` does not know
        before = proxy.round_trips
        result = await here.cast(request(user(1), toggle("trail"), when=at(3)))
        # The expectation (aero) failed: decided again on what is stored, in a second trip.
        assert proxy.round_trips - before == 2
        assert here.vote_stats.decided_again == 1
        assert result.status is CastStatus.ACCEPTED
        assert result.previous == ("urban",)
        assert result.ballot is not None and result.ballot.options == ("urban", "trail")
        tally = await there.tally(POLL)
        assert tally.counts == {"urban": 1, "trail": 1} and tally.voters == 1
        assert tally == await there.recount(POLL)

        # What it read is what it expects next time: one round trip again.
        before = proxy.round_trips
        again = await here.cast(request(user(1), toggle("trail"), when=at(4)))
        assert again.status is CastStatus.ACCEPTED and proxy.round_trips - before == 1


async def test_a_delivery_seen_by_another_process_is_a_duplicate(
    pg_url: str,  # noqa: F811
) -> None:
    async with _processes(pg_url, pg_url) as [here, there]:
        first = await vote(there, user(1), "aero", delivery="slack:retried")
        again = await vote(here, user(1), "aero", delivery="slack:retried")
        assert first.status is CastStatus.ACCEPTED
        assert again.status is CastStatus.DUPLICATE
        assert (await here.tally(POLL)).counts == {"aero": 1}


async def test_a_poll_closed_by_another_process_takes_no_more_votes(
    pg_url: str,  # noqa: F811
) -> None:
    async with _processes(pg_url, pg_url) as [here, there]:
        await vote(here, user(1), "aero")
        assert await there.close_poll(POLL, at(10), "merchant")
        late = await _batch(here, _clicks(choose("urban"), range(5), at(11)))
        assert {r.status for r in late} == {CastStatus.NOT_OPEN}
        assert (await there.tally(POLL)).counts == {"aero": 1}


async def test_expectations_that_keep_failing_are_decided_under_the_locks(
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg_store, "OPTIMISTIC_ATTEMPTS", 0)  # every batch takes that path
    async with _processes(pg_url) as [store]:
        first = await _batch(store, _clicks(choose("aero"), range(20), at(1)))
        second = await _batch(store, _clicks(toggle("urban"), range(10), at(2)))
        assert {r.status for r in first + second} == {CastStatus.ACCEPTED}
        assert store.vote_stats.locked == 2
        tally = await store.tally(POLL)
        assert tally.counts == {"aero": 20, "urban": 10}
        assert tally == await store.recount(POLL)


# PostgreSQL text cannot hold NUL (names are cleaned of it, ids are not): the server
# refuses the batch's statement. A lone surrogate cannot even be encoded: asyncpg refuses
# it before sending (a client-side DataError, which is no lost connection).
@pytest.mark.parametrize("delivery", ["discord:\x00", "discord:\ud800"], ids=["nul", "surrogate"])
async def test_a_vote_postgresql_cannot_store_fails_alone(
    pg_url: str,  # noqa: F811
    delivery: str,
) -> None:
    async with _processes(pg_url) as [store]:
        requests = _clicks(choose("aero"), range(20), at(1))
        requests[7] = request(user(7), choose("aero"), delivery=delivery)
        results = await asyncio.gather(*(store.cast(r) for r in requests), return_exceptions=True)
        assert isinstance(results[7], StorageError)
        assert "database write failed" in str(results[7])
        others = [r for i, r in enumerate(results) if i != 7]
        assert all(isinstance(r, CastResult) and r.status is CastStatus.ACCEPTED for r in others)
        assert store.vote_stats.split == 1
        tally = await store.tally(POLL)
        assert tally.counts == {"aero": 19} and tally == await store.recount(POLL)


def test_known_voters_are_bounded_and_forgotten() -> None:
    known = KnownVoters(limit=3)
    requests = [(request(user(n), choose("aero"), when=at(n)), n) for n in range(5)]
    plan = plan_batch(requests, known.expected(requests), lambda: 99)
    known.remember(plan)
    assert len(known) == 3  # the two least recently used went
    expected = known.expected(requests)
    assert [row[2] for row in expected] == [None, None, '["aero"]', '["aero"]', '["aero"]']
    assert all(row[:2] == (False, "open") for row in expected)
    known.forget(requests[3:4])
    assert [row[2] for row in known.expected(requests)][2:] == ['["aero"]', None, '["aero"]']
