"""A restart loses nothing: the next process sees every acknowledged write."""

from __future__ import annotations

from conftest import MakeStore
from storage_helpers import POLL, T0, at, user, vote

from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import CastStatus, PollState


async def test_votes_polls_and_deliveries_survive_a_restart(make_store: MakeStore) -> None:
    first = make_store()
    await first.open()
    await first.ensure_polls([POLL])
    await first.open_poll(POLL, T0, at(3600), "schedule")
    await first.record_message(POLL, MessageRef(ChannelRef("discord", "1"), "m"), T0)
    for n in range(20):
        await vote(first, user(n), "aero" if n % 2 else "urban", delivery=f"discord:{n}")
    tally = await first.tally(POLL)
    ballots = await first.ballots(POLL)
    await first.close()

    second = make_store()
    await second.open()
    try:
        assert await second.tally(POLL) == tally
        assert await second.ballots(POLL) == ballots
        record = await second.get_poll(POLL)
        assert record is not None and record.state is PollState.OPEN
        assert record.closes_at == at(3600)
        assert await second.poll_messages(POLL) == [MessageRef(ChannelRef("discord", "1"), "m")]
        # A replay delivered after the restart is still recognised.
        replay = await vote(second, user(3), "urban", delivery="discord:3")
        assert replay.status is CastStatus.DUPLICATE
        assert await second.tally(POLL) == tally
    finally:
        await second.close()


async def test_close_without_open_and_twice_is_harmless(make_store: MakeStore) -> None:
    store = make_store()
    await store.close()
    await store.open()
    await store.close()
    await store.close()


async def test_the_same_store_can_be_reopened(make_store: MakeStore) -> None:
    store = make_store()
    await store.open()
    await store.ensure_polls([POLL])
    await store.open_poll(POLL, T0, None, "test")
    await vote(store, user(1), "aero")
    await store.close()
    await store.open()
    try:
        await vote(store, user(2), "urban")
        assert (await store.tally(POLL)).counts == {"aero": 1, "urban": 1}
    finally:
        await store.close()
