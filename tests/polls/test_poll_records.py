"""A click reads no poll record from the database: PollService keeps them in memory. The
store still refuses a vote on a poll closed by someone else (another bot process on the
same database, or `engagebot close`), and the service then reads the record again. Real
SQLite files and real PostgreSQL, two stores on one database as two processes would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.polls.service import CloseOutcome, PollService
from bot.storage.base import PollState, Store
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from bot.storage.urls import postgres_url
from tests.cli_runner import engagebot
from tests.conftest import WriteConfig
from tests.fakes import Replies, click
from tests.harness import running_app
from tests.pg import create_database, drop_database

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")
CLOSED = "Sorry, voting on “Which helmet should we stock?” has closed."
COUNTED = "✅ Your vote for"


@pytest.fixture(params=["sqlite", "postgres"])
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Store]]:
    """Two open stores on one database: what two bot processes share."""
    stores: list[SqliteStore | PostgresStore]
    url = ""
    if request.param == "sqlite":
        stores = [SqliteStore(tmp_path / "shared.db") for _ in range(2)]
    else:
        url = await create_database()
        stores = [PostgresStore(postgres_url(url)) for _ in range(2)]
    try:
        for store in stores:
            await store.open()
        yield stores[0], stores[1]
    finally:
        for store in stores:
            await store.close()
        if url:
            await drop_database(url)


async def services(
    write_config: WriteConfig, stores: tuple[Store, Store]
) -> tuple[PollService, PollService]:
    config = load_config(write_config())
    clock = FakeClock(NOW)
    here, there = (PollService(config, store, clock) for store in stores)
    await here.sync_config()
    await there.sync_config()
    return here, there


async def test_a_poll_closed_by_another_process_is_refused_by_the_store_then_read_again(
    write_config: WriteConfig, two_stores: tuple[Store, Store]
) -> None:
    here, there = await services(write_config, two_stores)
    assert await here.open("helmets", "test")
    replies = Replies()
    reply = await here.vote(click("ann", AERO, NOW, replies))
    assert reply.text.startswith(COUNTED)
    remembered = here.records.get("helmets")
    assert remembered is not None and remembered.state is PollState.OPEN

    assert await there.close("helmets", "another process") is CloseOutcome.CLOSED
    # This process still remembers the poll open: the vote goes to the store, which
    # refuses it inside its transaction.
    reply = await here.vote(click("bob", URBAN, NOW, replies))
    assert reply.text.startswith(CLOSED) and reply.outcome == "refused"
    assert (await two_stores[0].tally("helmets")).counts == {"aero": 1}
    assert await two_stores[0].get_ballot("helmets", click("bob", URBAN, NOW, replies).user) is None
    # ...and the service looks again: the next click is refused from what it read.
    reply = await here.vote(click("cy", URBAN, NOW, replies))
    assert reply.text.startswith(CLOSED)
    remembered = here.records.get("helmets")
    assert remembered is not None and remembered.state is PollState.CLOSED


async def test_a_poll_opened_by_another_process_takes_votes_at_once(
    write_config: WriteConfig, two_stores: tuple[Store, Store]
) -> None:
    here, there = await services(write_config, two_stores)
    replies = Replies()
    reply = await here.vote(click("ann", AERO, NOW, replies))
    assert reply.text.startswith("Voting on “Which helmet should we stock?” opens soon")
    remembered = here.records.get("helmets")
    assert remembered is not None and remembered.state is PollState.SCHEDULED

    assert await there.open("helmets", "another process")
    # Remembered as not open yet: looked up again before refusing, and counted.
    reply = await here.vote(click("ann", AERO, NOW, replies))
    assert reply.text.startswith(COUNTED)
    assert (await two_stores[0].tally("helmets")).counts == {"aero": 1}


async def test_each_scheduling_pass_reloads_the_records(
    write_config: WriteConfig, two_stores: tuple[Store, Store]
) -> None:
    here, there = await services(write_config, two_stores)
    assert await here.open("helmets", "test")
    await here.vote(click("ann", AERO, NOW, Replies()))
    assert await there.close("helmets", "another process") is CloseOutcome.CLOSED
    await here.apply_due()
    remembered = here.records.get("helmets")
    assert remembered is not None and remembered.state is PollState.CLOSED


async def test_engagebot_close_while_the_bot_runs_refuses_the_next_click(
    write_config: WriteConfig,
) -> None:
    config = write_config()
    clock = FakeClock(datetime.now(UTC))
    async with running_app(config, clock) as (app, _):
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        assert replies.last.startswith(COUNTED)
        done = await asyncio.to_thread(engagebot, "close", "helmets", "-c", str(config))
        assert done.returncode == 0, done.stderr
        await app.handle(click("bob", URBAN, clock.now(), replies))
        assert replies.last.startswith(CLOSED)
        assert (await app.store.tally("helmets")).counts == {"aero": 1}
        remembered = app.polls.records.get("helmets")
        assert remembered is None or remembered.state is PollState.CLOSED
