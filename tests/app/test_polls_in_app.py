"""The app end to end in-process: real config loader, real SQLite file, a recording
platform in place of a chat service, and a clock the test moves."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.core.actions import encode_vote
from bot.core.adapter import PlatformLimits
from bot.core.content import Content, PollMessage, ResultsMessage
from bot.core.events import CommandInvoked
from bot.core.refs import ChannelRef, MessageRef, UserRef
from bot.errors import StorageError
from bot.storage.base import PollState
from tests.conftest import WriteConfig
from tests.fakes import RecordingPlatform, Replies, click
from tests.harness import running_app, until

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris
AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")


def staff_command(name: str, *args: str, staff: bool = True) -> tuple[CommandInvoked, Replies]:
    replies = Replies()
    user = UserRef("console", "merchant" if staff else "eve", "x")
    return CommandInvoked(
        user, ChannelRef("console", "general"), name, args, staff, replies
    ), replies


async def test_vote_is_confirmed_privately_and_tally_goes_live(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(), clock) as (app, platform):
        polls = platform.posts_of(PollMessage)
        assert [p.poll_id for p in polls] == ["helmets"]
        assert platform.sent[0][0] == ChannelRef("console", "general")
        assert [c.price for c in polls[0].cards] == ["€89.00", "€65.00", None]

        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        assert replies.last.startswith("✅ Your vote for AeroLite MIPS is counted")
        assert "You can change it until Sun 8 Mar 09:00 CET" in replies.last
        edited = platform.edits[-1][1]
        assert isinstance(edited, PollMessage)
        assert [(c.option_id, c.tally.votes if c.tally else None) for c in edited.cards] == [
            ("aero", 1),
            ("urban", 0),
            ("trail", 0),
        ]

        await app.handle(click("ann", URBAN, clock.now(), replies))
        assert replies.last.startswith(
            "✅ Vote changed in “Which helmet should we stock?”: AeroLite MIPS → Urban Shell."
        )
        tally = await app.store.tally("helmets")
        assert tally.counts == {"urban": 1} and tally.voters == 1


async def test_hidden_results_are_not_shown_before_close(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(results="on_close"), clock) as (app, platform):
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        assert "Results are shown when the poll closes." in replies.last
        assert platform.edits == []
        assert all(card.tally is None for card in platform.posts_of(PollMessage)[0].cards)

        command, _ = staff_command("close", "helmets")
        await app.handle(command)
        final = platform.edits[-1][1]
        assert isinstance(final, PollMessage) and final.state == "closed"
        assert [c.tally.votes for c in final.cards if c.tally] == [1, 0, 0]


async def test_forged_and_stale_clicks_change_nothing(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(allow_change="false"), clock) as (app, _):
        replies = Replies()
        for action in ("v1:vote:nope:aero", "garbage", "v1:vote:helmets:" + "x" * 200, ""):
            await app.handle(click("eve", action, clock.now(), replies))
            assert replies.last.startswith("Sorry, this button doesn't belong to a poll I know")
        await app.handle(click("eve", "v1:vote:helmets:zzz", clock.now(), replies))
        assert replies.last.startswith("Sorry, that option isn't part of")

        await app.handle(click("ann", AERO, clock.now(), replies, delivery_id="console:1"))
        first = replies.last
        assert first.startswith("✅ Your vote for AeroLite MIPS is counted")
        # The same delivery again (a platform's retry): the same answer, nothing changed.
        await app.handle(click("ann", AERO, clock.now(), replies, delivery_id="console:1"))
        assert replies.last == first
        await app.handle(click("ann", URBAN, clock.now(), replies))
        assert replies.last.startswith("Your vote for AeroLite MIPS in")
        assert "is final in this poll" in replies.last
        tally = await app.store.tally("helmets")
        assert tally.counts == {"aero": 1} and tally.voters == 1


async def test_older_click_never_overwrites_newer(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(), clock) as (app, _):
        replies = Replies()
        await app.handle(click("ann", URBAN, START + timedelta(seconds=5), replies))
        await app.handle(click("ann", AERO, START + timedelta(seconds=1), replies))
        assert replies.last.startswith("A newer vote of yours is already recorded")
        assert (await app.store.tally("helmets")).counts == {"urban": 1}


async def test_close_happens_once_and_results_are_posted_once(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(), clock) as (app, platform):
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        await app.handle(click("bob", AERO, clock.now(), replies))
        await app.handle(click("cy", URBAN, clock.now(), replies))

        refused, refusal = staff_command("close", "helmets", staff=False)
        await app.handle(refused)
        assert refusal.last == "Sorry, only the shop's staff can close polls."
        assert (await app.store.get_poll("helmets")).state is PollState.OPEN  # type: ignore[union-attr]

        first, first_reply = staff_command("close", "helmets")
        second, second_reply = staff_command("close", "helmets")
        await asyncio.gather(app.handle(first), app.handle(second))
        replies_text = sorted([first_reply.last, second_reply.last])
        assert replies_text[0] == "Poll helmets is already closed."
        assert replies_text[1].startswith(
            "Poll “Which helmet should we stock?” (helmets) is closed"
        )
        results = platform.posts_of(ResultsMessage)
        assert len(results) == 1
        assert results[0].headline == "AeroLite MIPS leads with 67% of the votes."  # 3 < min_votes
        assert [(r.option_id, r.votes) for r in results[0].rows] == [
            ("aero", 2),
            ("urban", 1),
            ("trail", 0),
        ]

        await app.handle(click("dan", URBAN, clock.now(), replies))
        assert replies.last.startswith(
            "Sorry, voting on “Which helmet should we stock?” has closed"
        )
        assert (await app.store.tally("helmets")).total_votes == 3


async def test_schedule_opens_and_closes_in_store_time(write_config: WriteConfig) -> None:
    path = write_config(timing="opens: 2026-03-01 10:00\n    closes: 2026-03-01 18:00")
    clock = FakeClock(START)  # 09:00 Paris: an hour before opening
    async with running_app(path, clock) as (app, platform):
        assert platform.sent == []
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        assert replies.last == (
            "Voting on “Which helmet should we stock?” opens on Sun 1 Mar 10:00 CET. "
            "Please come back then!"
        )
        loop = asyncio.create_task(app.run())
        await clock.advance(timedelta(hours=1))
        await until(lambda: len(platform.sent) == 1)
        await app.handle(click("ann", AERO, clock.now(), replies))
        assert "You can change it until Sun 1 Mar 18:00 CET" in replies.last
        record = await app.store.get_poll("helmets")
        assert record is not None and record.closes_at == datetime(2026, 3, 1, 17, tzinfo=UTC)

        await clock.advance(timedelta(hours=8))
        await until(lambda: len(platform.posts_of(ResultsMessage)) == 1)
        app.stop()
        await loop
        assert (await app.store.get_poll("helmets")).state is PollState.CLOSED  # type: ignore[union-attr]


async def test_votes_survive_restart_and_missed_close_happens_at_start(
    write_config: WriteConfig,
) -> None:
    path = write_config(timing="duration: 2d")
    clock = FakeClock(START)
    async with running_app(path, clock) as (app, _):
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        await app.handle(click("bob", URBAN, clock.now(), replies))

    # Down for a week: the poll's close time passes while nothing runs.
    later = FakeClock(START + timedelta(days=7))
    async with running_app(path, later) as (app, platform):
        record = await app.store.get_poll("helmets")
        assert record is not None and record.state is PollState.CLOSED
        assert record.closed_at == START + timedelta(days=2)  # when voting really ended
        results = platform.posts_of(ResultsMessage)
        assert len(results) == 1 and results[0].total_votes == 2
        assert platform.posts_of(PollMessage) == []

    async with running_app(path, later) as (_, platform):
        assert platform.sent == []  # announced once, not again on the next start


async def test_thousand_concurrent_voters_exact_tally_and_few_edits(
    write_config: WriteConfig,
) -> None:
    clock = FakeClock(START)
    # A minute between edits: however long the burst takes, one edit may start at once and
    # everything else is coalesced into the final edit the flush sends.
    slow = RecordingPlatform(limits=PlatformLimits(50, 200, edit_interval=60.0))
    async with running_app(write_config(), clock, slow) as (app, platform):
        replies = Replies()
        actions = [AERO, URBAN, encode_vote("helmets", "trail")]
        await asyncio.gather(
            *(app.handle(click(f"u{i}", actions[i % 3], clock.now(), replies)) for i in range(1000))
        )
        tally = await app.store.tally("helmets")
        assert tally.counts == {"aero": 334, "urban": 333, "trail": 333}
        assert tally.voters == 1000
        assert all(text.startswith("✅") for text in replies.texts)
        await app.live.flush()
        last = platform.edits[-1][1]
        assert isinstance(last, PollMessage) and last.total_votes == 1000
        assert 1 <= len(platform.edits) <= 2


async def test_a_counted_vote_is_never_followed_by_an_error_reply(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(START)
    async with running_app(write_config(), clock) as (app, _):

        async def database_read_fails(poll_id: str) -> list[object]:
            raise StorageError("disk I/O error")  # injected fault: reading messages fails

        monkeypatch.setattr(app.store, "poll_messages", database_read_fails)
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        assert len(replies.texts) == 1 and replies.last.startswith("✅ Your vote for AeroLite")
        assert (await app.store.tally("helmets")).counts == {"aero": 1}


async def test_the_edit_interval_counts_from_when_a_slow_edit_finished(
    write_config: WriteConfig,
) -> None:
    """An edit the platform library held for 10 s (waiting out a 429) must not be
    followed by the next edit at once: 5 s pass after it finished."""
    clock = FakeClock(START)

    class RateLimitedPlatform(RecordingPlatform):
        async def edit(self, message: MessageRef, content: Content) -> None:
            self.edit_started.append(clock.now())
            await clock.advance(timedelta(seconds=10))  # the 429's Retry-After
            await super().edit(message, content)

    slow = RateLimitedPlatform(limits=PlatformLimits(50, 200, edit_interval=5.0))
    slow.edit_started = []
    async with running_app(write_config(), clock, slow) as (app, platform):
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        await until(lambda: len(platform.edits) == 1)
        assert slow.edit_started == [START]
        await app.handle(click("bob", URBAN, clock.now(), replies))  # at START + 10 s
        await asyncio.sleep(0.1)  # the edit task renders from the database (a thread)
        await clock.advance(timedelta(seconds=4))
        await asyncio.sleep(0.1)
        await clock.advance(timedelta(seconds=1))
        await until(lambda: len(slow.edit_started) == 2)
        # Old behaviour: at START + 10 s, the moment the slow edit finished.
        assert slow.edit_started[1] == START + timedelta(seconds=15)


async def test_flush_ends_even_when_the_platform_swallows_a_cancelled_edit(
    write_config: WriteConfig,
) -> None:
    """aiohttp/slack_sdk under Python 3.11 can swallow the cancellation of a request
    that completes at the same moment (asyncio.wait_for): shutdown must not hang."""
    clock = FakeClock(START)
    editing = asyncio.Event()

    class SwallowingPlatform(RecordingPlatform):
        async def edit(self, message: MessageRef, content: Content) -> None:
            if not editing.is_set():  # the first edit is in flight when flush() comes
                editing.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(3600)
            await super().edit(message, content)

    slow = SwallowingPlatform(limits=PlatformLimits(50, 200, edit_interval=5.0))
    async with running_app(write_config(), clock, slow) as (app, platform):
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        await asyncio.wait_for(editing.wait(), 5)
        await app.handle(click("bob", URBAN, clock.now(), replies))  # another edit due
        flushing = asyncio.ensure_future(app.live.flush())
        done, _ = await asyncio.wait({flushing}, timeout=2)
        if not done:  # stuck on the test clock: release it so the app can shut down
            await clock.advance(timedelta(hours=1))
            await flushing
        assert done, "flush() waited for a clock nobody moves"
        assert platform.edits[-1][1].total_votes == 2  # type: ignore[union-attr]
