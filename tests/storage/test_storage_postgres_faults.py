"""PostgreSQL going away under a running bot (a restart, a failover, pg_terminate_backend):
clicks in flight are told "could not record your vote, please try again" instead of a
false confirmation, the store reconnects by itself, and no acknowledged vote is lost."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import asyncpg
from storage_helpers import POLL, T0, user, vote

from bot import messages
from bot.clock import FakeClock
from bot.core.actions import encode_vote
from bot.errors import StorageError
from bot.storage.base import CastResult, CastStatus
from bot.storage.postgres import PostgresStore
from bot.storage.urls import postgres_url
from tests.conftest import BASIC_CONFIG, WriteConfig
from tests.fakes import Replies, click
from tests.harness import running_app
from tests.pg import pg_url  # noqa: F401  (fixture)

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def _terminate_bot_connections(url: str) -> int:
    """Kill every engagebot connection to the database, as an operator or failover would."""
    conn = await asyncpg.connect(url)
    try:
        killed = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'engagebot' "
            "AND pid <> pg_backend_pid()"
        )
        return len(killed)
    finally:
        await conn.close()


async def test_connections_killed_mid_burst_lose_no_acknowledged_vote(
    pg_url: str,  # noqa: F811
) -> None:
    store = PostgresStore(postgres_url(pg_url + "?pool=4"))
    await store.open()
    try:
        await store.ensure_polls([POLL])
        await store.open_poll(POLL, T0, None, "test")
        rng = random.Random(5)

        async def one(n: int) -> CastResult | BaseException:
            await asyncio.sleep(rng.random() * 0.3)
            try:
                return await vote(store, user(n), "aero", delivery=f"d:{n}")
            except StorageError as error:
                return error

        async def kill_twice() -> int:
            await asyncio.sleep(0.08)
            first = await _terminate_bot_connections(pg_url)
            await asyncio.sleep(0.08)
            return first + await _terminate_bot_connections(pg_url)

        outcomes, killed = await asyncio.gather(
            asyncio.gather(*(one(n) for n in range(600))), kill_twice()
        )
        assert killed >= 1
        acknowledged = {
            str(n)
            for n, o in enumerate(outcomes)
            if isinstance(o, CastResult) and o.status is CastStatus.ACCEPTED
        }
        refused = [o for o in outcomes if isinstance(o, StorageError)]
        assert len(acknowledged) + len(refused) == 600
        # Every refusal says the connection went (or is being re-made), never more.
        assert all("PostgreSQL" in str(e) for e in refused), {str(e) for e in refused}

        # It reconnects by itself: the next votes count, once the back-off has passed.
        for attempt in range(100):
            try:
                late = await vote(store, user("late"), "aero", delivery="d:late")
                break
            except StorageError:
                await asyncio.sleep(0.05 * (attempt + 1))
        assert late.status is CastStatus.ACCEPTED
        stored = {b.voter.id for b in await store.ballots(POLL)}
        assert acknowledged | {"late"} <= stored  # nothing acknowledged is lost
        # (A refused vote may still be stored when the reply, not the COMMIT, was lost.)
        tally = await store.tally(POLL)
        assert tally == await store.recount(POLL)
        assert tally.voters == len(stored)
    finally:
        await store.close()


async def test_a_click_caught_by_a_lost_connection_is_told_to_try_again(
    write_config: WriteConfig,
    pg_url: str,  # noqa: F811
) -> None:
    config = write_config(
        BASIC_CONFIG.format(
            timing="duration: 7d", max_choices=1, allow_change="true", results="live"
        )
        + f"database: {pg_url}\n"
    )
    clock = FakeClock(START)
    aero = encode_vote("helmets", "aero")
    async with running_app(config, clock) as (app, _platform):
        admin = await asyncpg.connect(pg_url)
        try:
            # Hold alice's voter lock, so her click waits inside its transaction...
            await admin.execute(
                "SELECT pg_advisory_lock(hashtextextended($1, 0))",
                "v:helmets" + chr(31) + "console:alice",
            )
            replies = Replies()
            pending = asyncio.create_task(app.handle(click("alice", aero, clock.now(), replies)))
            for _ in range(500):
                waiting = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'engagebot'"
                    " AND wait_event_type = 'Lock' AND datname = current_database()"
                )
                if waiting:
                    break
                await asyncio.sleep(0.01)
            assert waiting == 1
            # ...and the connection goes away under it.
            assert await _terminate_bot_connections(pg_url) >= 1
            await pending
            assert replies.texts == [messages.VOTE_NOT_RECORDED.format()]
            await admin.execute("SELECT pg_advisory_unlock_all()")
        finally:
            await admin.close()

        # The bot reconnects on its own: the same customer's next click counts.
        again = Replies()
        await app.handle(click("alice", aero, clock.now(), again))
        assert again.texts[0].startswith("✅ Your vote for AeroLite MIPS is counted")
        assert (await app.store.tally("helmets")).counts == {"aero": 1}
