"""Reconnecting to PostgreSQL. The back-off runs on the app's clock: while the database
is away, calls fail at once (no connection attempt each) until the clock has moved past
the back-off, then the store reconnects by itself. The database "goes away" behind a
TCP relay the test cuts and restores, as a failover or a network cut would. And one
dead connection costs one refusal, not one per connection in the pool."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from storage_helpers import POLL, T0, user, vote

from bot.clock import FakeClock
from bot.errors import StorageError
from bot.storage.postgres import PostgresStore
from bot.storage.urls import postgres_url
from tests.pg import pg_url  # noqa: F401  (fixture)

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Relay:
    """127.0.0.1:<port> -> PostgreSQL, until cut()."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        assert self._server is not None
        self._server.close()
        for writer in self._links:
            writer.transport.abort()
        await self._server.wait_closed()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def relay(pg_url: str) -> AsyncIterator[Relay]:  # noqa: F811
    relay = Relay(postgres_url(pg_url).port)
    await relay.start()
    yield relay
    with contextlib.suppress(Exception):
        await relay.cut()


async def test_the_reconnect_back_off_waits_for_the_apps_clock(
    relay: Relay,
    pg_url: str,  # noqa: F811
) -> None:
    clock = FakeClock(START)
    url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    store = PostgresStore(postgres_url(url), clock=clock.now)
    await store.open()
    try:
        assert await store.list_polls() == []
        await relay.cut()
        for _ in range(2):  # the open connection drops, then a new one is refused
            with pytest.raises(StorageError, match="PostgreSQL"):
                await store.list_polls()

        await relay.start()  # the database is back (same port)...
        await asyncio.sleep(0.5)  # ...and real time passes, more than the 0.1 s back-off
        with pytest.raises(StorageError, match="not answering; reconnecting in a moment"):
            await store.list_polls()  # the app's clock has not moved: no attempt yet

        await clock.advance(timedelta(seconds=0.1))
        assert await store.list_polls() == []  # reconnected by itself
    finally:
        await store.close()


async def test_a_connection_cut_mid_vote_costs_that_vote_only(
    pg_url: str,  # noqa: F811
) -> None:
    """A vote whose connection is terminated under it is refused; the next one counts,
    every time: the broken connection is not handed out again from the pool."""
    store = PostgresStore(postgres_url(pg_url))
    await store.open()
    admin = await asyncpg.connect(pg_url)
    try:
        await store.ensure_polls([POLL])
        assert await store.open_poll(POLL, T0, None, "test")
        outcomes: list[str] = []
        for round_ in range(8):
            # alice's vote waits inside its transaction on her voter lock...
            lock = "v:" + POLL + chr(31) + "discord:alice"
            await admin.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", lock)
            pending = asyncio.ensure_future(vote(store, user("alice"), "aero"))
            await asyncio.sleep(0.1)
            # ...when every connection of the bot is terminated.
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'engagebot'"
            )
            with pytest.raises(StorageError, match="lost the connection"):
                await pending
            await admin.execute("SELECT pg_advisory_unlock_all()")
            result = await vote(store, user(f"next{round_}"), "urban")
            outcomes.append(result.status.value)
            await asyncio.sleep(0.3)  # the pool settles (it re-opens what it lost)
        assert outcomes == ["accepted"] * 8
    finally:
        await admin.close()
        await store.close()
