"""Poll lifecycle and posted messages: compare-and-set transitions, exact times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from storage_helpers import T0, at

from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import PollState, PostKind
from bot.storage.sqlite import SqliteStore


async def test_ensure_polls_creates_scheduled_records_once(store: SqliteStore) -> None:
    await store.ensure_polls(["b", "a", "a"])
    await store.open_poll("a", T0, None, "test")
    await store.ensure_polls(["a", "b", "c"])  # must not reset "a"
    polls = await store.list_polls()
    assert [(p.poll_id, p.state) for p in polls] == [
        ("a", PollState.OPEN),
        ("b", PollState.SCHEDULED),
        ("c", PollState.SCHEDULED),
    ]
    assert await store.get_poll("missing") is None


async def test_transitions_happen_once(store: SqliteStore) -> None:
    await store.ensure_polls(["p"])
    assert await store.open_poll("p", at(0), at(3600), "merchant") is True
    assert await store.open_poll("p", at(1), at(7200), "schedule") is False
    assert await store.close_poll("p", at(10), "merchant") is True
    assert await store.close_poll("p", at(11), "schedule") is False
    assert await store.open_poll("p", at(12), None, "merchant") is False
    assert await store.mark_announced("p", at(20)) is True
    assert await store.mark_announced("p", at(21)) is False

    record = await store.get_poll("p")
    assert record is not None
    assert record.state is PollState.CLOSED
    assert (record.opened_at, record.closes_at, record.closed_at) == (at(0), at(3600), at(10))
    assert record.announced_at == at(20)
    assert (record.opened_by, record.closed_by) == ("merchant", "merchant")


async def test_close_a_scheduled_poll_and_unknown_polls(store: SqliteStore) -> None:
    await store.ensure_polls(["p"])
    assert await store.close_poll("p", T0, "merchant") is True
    assert await store.open_poll("unknown", T0, None, "merchant") is False
    assert await store.close_poll("unknown", T0, "merchant") is False
    assert await store.mark_announced("unknown", T0) is False


async def test_concurrent_closes_close_once(store: SqliteStore) -> None:
    import asyncio

    await store.ensure_polls(["p"])
    await store.open_poll("p", T0, None, "test")
    results = await asyncio.gather(*(store.close_poll("p", at(i), f"c{i}") for i in range(20)))
    assert results.count(True) == 1
    record = await store.get_poll("p")
    assert record is not None and record.closed_by == f"c{results.index(True)}"


async def test_times_round_trip_exactly_as_aware_utc(store: SqliteStore) -> None:
    paris = timezone(timedelta(hours=1))
    opened = datetime(2025, 3, 30, 2, 30, 0, 999999, tzinfo=paris)
    await store.ensure_polls(["p"])
    await store.open_poll("p", opened, None, "test")
    record = await store.get_poll("p")
    assert record is not None and record.opened_at is not None
    assert record.opened_at == opened
    assert record.opened_at.tzinfo is UTC
    assert record.opened_at.microsecond == 999999


async def test_naive_datetimes_are_refused(store: SqliteStore) -> None:
    await store.ensure_polls(["p"])
    with pytest.raises(ValueError, match="naive"):
        await store.open_poll("p", datetime(2025, 1, 1, 12, 0), None, "test")


async def test_record_message_replaces_a_repost(store: SqliteStore) -> None:
    await store.ensure_polls(["p", "q"])
    discord = ChannelRef("discord", "100")
    slack = ChannelRef("slack", "C42")
    await store.record_message("p", MessageRef(discord, "m1"), at(0))
    await store.record_message("p", MessageRef(slack, "1700000000.000100"), at(1))
    await store.record_message("q", MessageRef(discord, "other"), at(1))
    await store.record_message("p", MessageRef(discord, "m2"), at(2))  # re-posted
    assert await store.poll_messages("p") == [
        MessageRef(discord, "m2"),
        MessageRef(slack, "1700000000.000100"),
    ]
    assert await store.poll_messages("q") == [MessageRef(discord, "other")]
    assert await store.poll_messages("none") == []


async def test_a_post_is_claimed_held_taken_over_and_confirmed_once(store: SqliteStore) -> None:
    await store.ensure_polls(["p"])
    channel = ChannelRef("discord", "c1")
    claim = await store.take_post(PostKind.POLL, "p", channel, at(0), at(90))
    assert claim is not None and not claim.resumed and len(claim.key) == 24
    # Held: a second process (or a restart) cannot take it until the hold runs out.
    assert await store.take_post(PostKind.POLL, "p", channel, at(89), at(179)) is None
    assert await store.poll_messages("p") == []  # claimed, not yet confirmed
    again = await store.take_post(PostKind.POLL, "p", channel, at(90), at(180))
    assert again is not None and again.resumed and again.key == claim.key

    await store.post_failed(again, "403 Forbidden", at(120))  # refused: back off
    assert await store.take_post(PostKind.POLL, "p", channel, at(119), at(209)) is None
    third = await store.take_post(PostKind.POLL, "p", channel, at(120), at(210))
    assert third is not None and third.attempts == 1 and third.last_error == "403 Forbidden"
    assert [c.key for c in await store.unconfirmed_posts()] == [claim.key]

    await store.confirm_post(third, MessageRef(channel, "m1"), at(121))
    assert await store.poll_messages("p") == [MessageRef(channel, "m1")]
    assert await store.unconfirmed_posts() == []
    assert await store.take_post(PostKind.POLL, "p", channel, at(999), at(9999)) is None
    confirmed = await store.get_post(PostKind.POLL, "p", channel)
    assert confirmed is not None and confirmed.message == MessageRef(channel, "m1")
    # Other kinds and channels are separate posts.
    assert await store.take_post(PostKind.RESULTS, "p", channel, at(0), at(90)) is not None
    other = ChannelRef("discord", "c2")
    assert await store.take_post(PostKind.POLL, "p", other, at(0), at(90)) is not None
