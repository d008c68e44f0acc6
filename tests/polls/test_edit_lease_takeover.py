"""EditLeases on a shared database (PostgreSQL), with the injectable clock: a lease of a
process on another machine is taken over when it runs out, one of a process gone on this
machine at once, a released one at the next renewal; a holder that could not renew
stops editing before its lease runs out."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.core.content import Content, TextMessage
from bot.core.refs import ChannelRef, MessageRef
from bot.polls.leases import EditLeases
from bot.polls.live import LiveTally
from bot.polls.tally_watch import TallyWatch
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from bot.storage.urls import postgres_url
from tests.fakes import RecordingPlatform
from tests.pg import pg_url  # noqa: F401  (fixture)
from tests.storage.storage_helpers import POLL, user, vote

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
M = MessageRef(ChannelRef("discord", "900"), "1")
WANTED = {M: "helmets"}


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[PostgresStore]:  # noqa: F811
    store = PostgresStore(postgres_url(pg_url))
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_a_lease_held_on_another_machine_runs_out_then_is_taken_over(
    store: PostgresStore,
) -> None:
    clock = FakeClock(T0)
    far = EditLeases(store, clock, holder="other-machine:41:7")
    near = EditLeases(store, clock)
    assert await far.mine("helmets", [M]) == [M]
    assert await near.mine("helmets", [M]) == []
    assert far.may_edit(M) and not near.may_edit(M)

    await clock.advance(timedelta(seconds=15))  # `far` could not renew since
    assert not far.may_edit(M)  # it stops editing before its lease runs out
    assert await near.renew(WANTED) == []  # not run out yet: not taken
    await clock.advance(timedelta(seconds=5))
    assert await near.renew(WANTED) == [M]
    assert near.may_edit(M)
    # `far` comes back: the lease stays with its new holder.
    assert await far.renew(WANTED) == []
    assert not far.may_edit(M) and near.may_edit(M)


async def test_a_lease_of_a_process_gone_from_this_machine_is_taken_at_once(
    store: PostgresStore,
) -> None:
    clock = FakeClock(T0)
    dead = EditLeases(store, clock, holder=f"{socket.gethostname()}:999999999:1")
    near = EditLeases(store, clock)
    assert await dead.mine("helmets", [M]) == [M]
    assert await near.renew(WANTED) == [M]  # no need to wait 20 s
    assert near.may_edit(M)


async def test_a_released_lease_is_taken_at_the_next_renewal(store: PostgresStore) -> None:
    clock = FakeClock(T0)
    first, second = EditLeases(store, clock, holder="a:1:1"), EditLeases(store, clock)
    assert await first.renew(WANTED) == [M]
    assert await second.renew(WANTED) == []
    await first.release()
    assert not first.may_edit(M)
    assert await second.renew(WANTED) == [M]
    # The final tally: whoever holds the lease or can take it shows it.
    assert await first.take("helmets", [M]) == []
    assert await second.take("helmets", [M]) == [M]


async def test_one_process_on_sqlite_holds_every_lease_without_asking(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "engagebot.db")
    await store.open()
    try:
        leases = EditLeases(store, FakeClock(T0))
        assert await leases.mine("helmets", [M]) == [M] and leases.may_edit(M)
        assert await leases.renew(WANTED) == []
        # Nothing was written (the SQLite path costs nothing): the lease is still free.
        [lease] = await store.take_edit_leases(WANTED, "someone-else", T0, T0)
        assert lease.holder == "someone-else"
    finally:
        await store.close()


async def test_slack_messages_share_one_lease_as_they_share_one_edit_budget(
    store: PostgresStore,
) -> None:
    clock = FakeClock(T0)
    first = MessageRef(ChannelRef("slack", "C1"), "1700000000.000100")
    second = MessageRef(ChannelRef("slack", "C2"), "1700000000.000200")
    a = EditLeases(store, clock, holder="a:1:1", per_workspace={"slack"})
    b = EditLeases(store, clock, holder="b:2:2", per_workspace={"slack"})
    assert await a.mine("helmets", [first]) == [first]
    # Another poll's Slack message is in a's workspace lease; a Discord one is its own.
    assert await b.mine("lights", [second, M]) == [M]
    assert a.may_edit(second) and not b.may_edit(second)
    # Done with one message while the other is still edited: the lease stays.
    await a.release([first], keep=[second])
    assert a.may_edit(second)
    await a.release([first, second])
    assert await b.renew({second: "lights"}) == [second]
    assert b.may_edit(first) and not a.may_edit(first)


async def test_a_vote_through_another_process_shows_after_a_lease_taken_on_the_vote_path(
    pg_url: str,  # noqa: F811
) -> None:
    """This process takes the lease when its own vote edits the message; a vote cast
    through another process before the next tick must still reach the message."""
    here, there = PostgresStore(postgres_url(pg_url)), PostgresStore(postgres_url(pg_url))
    await here.open()
    await there.open()
    try:
        await here.ensure_polls([POLL])
        await here.open_poll(POLL, T0, None, "test")
        clock = FakeClock(T0)
        platform = RecordingPlatform(name="discord")
        message = MessageRef(ChannelRef("discord", "900"), "1")

        async def render(poll_id: str) -> Content:
            return TextMessage(str((await here.tally(poll_id)).total_votes))

        live = LiveTally(render, {"discord": platform}, clock)
        leases = EditLeases(here, clock)
        watch = TallyWatch(leases, live, here, clock, lambda: {message: POLL}, lambda poll_id: True)
        await vote(here, user(1), "aero")
        assert await leases.mine(POLL, [message]) == [message]  # the vote path's edit
        await live.touch(POLL, [message])
        await vote(there, user(2), "urban")  # another process, before the next tick
        await watch.step()
        assert [content.text for _, content in platform.edits] == ["1", "2"]
    finally:
        await here.close()
        await there.close()
