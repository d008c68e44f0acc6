"""Every post exactly once, whatever crashes, refusals or restarts happen: a poll post,
its results, a run-off and a daily prompt, with the real App and SQLite file, and a chat
platform whose messages outlive the bot process (tests/app/chat_server.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.core.adapter import PlatformLimits
from bot.core.content import PollMessage, PromptMessage, ResultsMessage
from bot.publisher import HOLD
from bot.storage import open_store
from bot.storage.base import PostKind
from tests.app.chat_server import ChatServer, ServerBackedPlatform
from tests.conftest import SHOP_HEADER, WriteConfig
from tests.fakes import Replies, click
from tests.harness import until

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris
AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")


def make_app(path: Path, clock: FakeClock, server: ChatServer) -> App:
    config = load_config(path)
    platform = ServerBackedPlatform(server=server, clock_now=clock.now)
    return App(config, open_store(config.database_url), [platform], clock, None)


@asynccontextmanager
async def running(path: Path, clock: FakeClock, server: ChatServer) -> AsyncIterator[App]:
    app = make_app(path, clock, server)
    await app.start()
    try:
        yield app
    finally:
        await app.shutdown()


async def crash_during(app: App, server: ChatServer) -> None:
    """Start the app; kill it (nothing after this line of its code runs) once the
    platform hangs mid-post, as `kill -9` would at that moment."""
    starting = asyncio.create_task(app.start())
    await until(server.hung.is_set)
    starting.cancel()
    with suppress(asyncio.CancelledError):
        await starting
    server.hung.clear()
    server.hang_after_create = server.hang_before_create = False
    await app.store.close()  # the file stays as the dead process left it


async def vote(app: App, clock: FakeClock, user: str, action: str) -> None:
    replies = Replies()
    await app.handle(click(user, action, clock.now(), replies))
    assert replies.last.startswith("✅"), replies.last


@pytest.mark.parametrize("landed", [True, False], ids=["after-create", "before-create"])
async def test_killed_while_posting_a_poll_ends_with_one_working_message(
    write_config: WriteConfig, landed: bool
) -> None:
    clock = FakeClock(START)
    path = write_config()
    server = ChatServer(hang_after_create=landed, hang_before_create=not landed)
    await crash_during(make_app(path, clock, server), server)
    assert len(server.of(PollMessage)) == (1 if landed else 0)

    # Restarted at once: the dead process's claim is still held, so nothing is posted
    # twice; once the hold runs out, the claim is resolved.
    async with running(path, clock, server) as app:
        assert len(server.of(PollMessage)) == (1 if landed else 0)
        await clock.advance(HOLD + timedelta(seconds=1))
        await app.reconcile()
        [poll] = server.of(PollMessage)
        assert await app.store.poll_messages("helmets") == [poll.ref]

        await vote(app, clock, "ann", AERO)  # the live tally reaches the message
        shown = server.content_of(poll.ref)
        assert isinstance(shown, PollMessage)
        assert [c.tally.votes for c in shown.cards if c.tally] == [1, 0, 0]

        await app.polls.close("helmets", "test")
        await app.reconcile()
        final = server.content_of(poll.ref)
        assert isinstance(final, PollMessage) and final.state == "closed"
        assert len(server.of(ResultsMessage)) == 1
    assert len(server.of(PollMessage)) == 1


async def test_a_lost_answer_is_resolved_by_finding_the_post(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    server = ChatServer(lose_answer=True)
    async with running(write_config(), clock, server) as app:
        assert len(server.of(PollMessage)) == 1  # created, but we never heard its id
        assert await app.store.poll_messages("helmets") == []
        await clock.advance(timedelta(minutes=5))
        await app.reconcile()
        assert len(server.of(PollMessage)) == 1
        assert await app.store.poll_messages("helmets") == [server.of(PollMessage)[0].ref]


async def test_unreadable_history_means_waiting_rather_than_posting_twice(
    write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    server = ChatServer(lose_answer=True, history_readable=False)
    async with running(write_config(), clock, server) as app:
        for _ in range(3):
            await clock.advance(timedelta(minutes=5))
            await app.reconcile()
        assert len(server.of(PollMessage)) == 1  # the first send landed; never a second
        assert await app.store.poll_messages("helmets") == []
        server.history_readable = True  # the merchant granted Read Message History
        await clock.advance(timedelta(minutes=30))
        await app.reconcile()
        assert len(server.of(PollMessage)) == 1
        assert await app.store.poll_messages("helmets") == [server.of(PollMessage)[0].ref]
    warnings = [r.message for r in caplog.records if "cannot tell" in r.message]
    assert warnings == [
        "could not post poll helmets in console channel general: cannot tell whether it was "
        "posted before (403 Forbidden: Read Message History is missing); not posting it "
        "again until the bot can read the channel's history; trying again later"
    ]


async def test_inside_the_platforms_key_window_a_post_is_sent_again_blind(
    write_config: WriteConfig,
) -> None:
    """Discord returns the first message for a reused nonce for a few minutes: there,
    an unknown outcome is resolved by sending again with the same key."""
    clock = FakeClock(START)
    server = ChatServer(lose_answer=True, history_readable=False)
    app = make_app(write_config(), clock, server)
    platform = app.adapters["console"]
    assert isinstance(platform, ServerBackedPlatform)
    platform.limits = PlatformLimits(50, 200, edit_interval=0.0, resend_window=120.0)
    await app.start()
    try:
        await clock.advance(HOLD + timedelta(seconds=1))
        await app.reconcile()
        assert platform.sends == 2
        assert len(server.of(PollMessage)) == 1
        assert await app.store.poll_messages("helmets") == [server.of(PollMessage)[0].ref]
    finally:
        await app.shutdown()


async def test_killed_during_the_results_post_announces_once(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    path = write_config()
    server = ChatServer()
    async with running(path, clock, server) as app:
        await vote(app, clock, "ann", AERO)
        await app.polls.close("helmets", "test")
    server.hang_after_create = True
    await crash_during(make_app(path, clock, server), server)  # announcing at start-up
    assert len(server.of(ResultsMessage)) == 1

    async with running(path, clock, server) as app:
        await clock.advance(HOLD + timedelta(seconds=1))
        await app.reconcile()
        record = await app.store.get_poll("helmets")
        assert record is not None and record.announced_at is not None
    assert len(server.of(ResultsMessage)) == 1
    assert len(server.of(PollMessage)) == 1


async def test_killed_right_after_closing_still_posts_results_and_runoff(
    write_config: WriteConfig,
) -> None:
    """The old code marked a poll announced before posting: a crash there lost both the
    results and the run-off post."""
    clock = FakeClock(START)
    path = write_config(timing="duration: 7d\n    runoff: true\n    decision: {min_votes: 1}")
    server = ChatServer()
    async with running(path, clock, server) as app:
        await vote(app, clock, "ann", AERO)
        await vote(app, clock, "bob", URBAN)
        await app.polls.close("helmets", "test")
    server.hang_before_create = True
    await crash_during(make_app(path, clock, server), server)
    assert server.of(ResultsMessage) == []

    async with running(path, clock, server) as app:
        await clock.advance(HOLD + timedelta(seconds=1))
        await app.reconcile()
        await app.reconcile()
    assert len(server.of(ResultsMessage)) == 1
    posted_polls = [m.content.poll_id for m in server.of(PollMessage)]
    assert sorted(posted_polls) == ["helmets", "helmets-r2"]


async def test_a_refused_results_post_is_retried_with_backoff_and_logged_once(
    write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    clock = FakeClock(START)
    path = write_config()
    server = ChatServer()
    async with running(path, clock, server) as app:
        await vote(app, clock, "ann", AERO)
        server.refuse_posts = 3
        await app.polls.close("helmets", "test")
        await app.reconcile()
        assert server.of(ResultsMessage) == []
        retry = app.publisher.next_retry()
        assert retry == clock.now() + timedelta(seconds=30)
        assert await app.next_wake(clock.now()) == retry  # the loop wakes for it

        await app.reconcile()  # too early: not even tried
        platform = app.adapters["console"]
        assert isinstance(platform, ServerBackedPlatform)
        tries = platform.sends
        await clock.advance(timedelta(seconds=10))
        await app.reconcile()
        assert platform.sends == tries

        for wait in (30, 60):  # second and third refusals back off further
            await clock.advance(timedelta(seconds=wait))
            await app.reconcile()
        assert server.of(ResultsMessage) == []
        assert app.publisher.next_retry() == clock.now() + timedelta(seconds=120)
    warnings = [r for r in caplog.records if "could not post the results" in r.message]
    assert len(warnings) == 1 and "403 Forbidden" in warnings[0].message

    # A restart keeps the back-off and then posts it: exactly once.
    async with running(path, clock, server) as app:
        assert server.of(ResultsMessage) == []
        await clock.advance(timedelta(seconds=121))
        await app.reconcile()
        record = await app.store.get_poll("helmets")
        assert record is not None and record.announced_at is not None
        claim = await app.store.get_post(PostKind.RESULTS, "helmets", app.targets("helmets")[0])
        assert claim is not None and claim.attempts == 3
    assert len(server.of(ResultsMessage)) == 1
    assert "posted the results of helmets in console channel general after 4 tries" in (caplog.text)


async def test_a_refused_poll_post_stops_when_its_channel_leaves_the_config(
    write_config: WriteConfig,
) -> None:
    clock = FakeClock(START)
    path = write_config()
    server = ChatServer(refuse_posts=1)
    async with running(path, clock, server) as app:
        assert server.of(PollMessage) == []
        assert app.publisher.next_retry() == clock.now() + timedelta(seconds=30)
        path.write_text(path.read_text().replace("console: general", "console: lounge"))
        await app.reload(load_config(path))
        assert [m.ref.channel.id for m in server.of(PollMessage)] == ["lounge"]
        # general is no longer asked for: not retried, and not waking the loop.
        assert app.publisher.next_retry() is None
        await clock.advance(timedelta(hours=1))
        await app.reconcile()
        assert [m.ref.channel.id for m in server.of(PollMessage)] == ["lounge"]


PROMPT_SHOP = (
    SHOP_HEADER
    + """\
prompts:
  - id: daily
    channels: [community]
    at: "10:00"
    questions:
      - text: What was your best ride this week?
"""
)


async def test_killed_while_posting_a_prompt_posts_it_once_the_same_day(
    write_config: WriteConfig,
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC))  # 10:00:30 in Paris
    path = write_config(PROMPT_SHOP)
    # Running since before 10:00 (a set first seen after its time is not caught up).
    async with running(path, FakeClock(clock.now() - timedelta(hours=1)), ChatServer()):
        pass
    server = ChatServer(hang_before_create=True)
    await crash_during(make_app(path, clock, server), server)
    async with running(path, clock, server) as app:
        await clock.advance(HOLD)
        await app.post_due_prompts()
        await app.post_due_prompts()
        [prompt] = server.of(PromptMessage)
        [post] = await app.store.prompt_posts("daily")
        assert post.message == prompt.ref
    async with running(path, clock, server):
        assert len(server.of(PromptMessage)) == 1
