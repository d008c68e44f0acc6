"""Discord's limits: Retry-After, the hidden budget for old messages, refused edits, and
the 3 s acknowledgement window."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.limits import DISCORD
from bot.clock import FakeClock
from bot.core.events import Event
from bot.core.refs import ChannelRef, MessageRef
from tests.adapters.discord.discord_harness import (
    AERO,
    RATE_LIMIT_WAIT,
    TRAIL,
    URBAN,
    poll_message,
    running_app,
    shown_after_edits,
    write_config,
)
from tests.adapters.discord.fake_discord import FakeDiscord


async def test_429_retry_after_is_honoured_and_the_final_tally_lands(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC))
    config = write_config(tmp_path, fake)
    async with running_app(config, clock=clock) as (app, _):
        message_id = poll_message(fake)
        # Short enough for discord.py to wait it out itself (it sleeps in real time).
        fake.fail_next_edits(("429", 0.3))
        for n, action in enumerate([AERO, URBAN, AERO, TRAIL, AERO], start=1):
            click = await fake.click(message_id, action, fake.customer(n))
            await click.answered()
        await fake.wait_until(lambda: any(call.status == 200 for call in fake.edits(message_id)))
        # The app times the next edit from when it saw this one answered: move the clock
        # only after that (moved between the fake's answer and the app's, the clock would
        # leave the next edit a whole interval away).
        ref = MessageRef(ChannelRef("discord", str(fake.channel_id)), str(message_id))
        await fake.wait_until(lambda: app.live.edits_sent(ref) >= 1)
        await clock.advance(timedelta(seconds=DISCORD.edit_interval))  # the next tally edit
        await fake.wait_until(lambda: "**3** votes · 60%" in shown_after_edits(fake, message_id))
        edits = fake.edits(message_id)
        limited = next(i for i, call in enumerate(edits) if call.status == 429)
        retry = edits[limited + 1]
        print(f"\nretried {retry.at - edits[limited].at:.3f}s after a 429 with retry_after 0.3")
        assert retry.at - edits[limited].at >= 0.3 - 0.01  # never before Retry-After
        assert retry.status == 200
        assert sum(call.status == 429 for call in edits) == 1
        assert (await app.store.tally("helmets")).counts == {"aero": 3, "urban": 1, "trail": 1}


async def test_old_messages_are_edited_sparingly_and_30046_backs_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Messages posted two hours ago (as after a restart): the hidden edit budget applies.
    clock = FakeClock(datetime.now(UTC))
    async with FakeDiscord(message_age=7200) as fake:
        config = write_config(tmp_path, fake)
        async with running_app(config, clock=clock) as (app, adapter):
            policy = adapter.edits.policy
            message_id = poll_message(fake)
            # A 30046 asking for longer than discord.py may wait itself (RATE_LIMIT_WAIT):
            # discord.py raises RateLimited and the edit queue backs off, on the app clock.
            retry_after = timedelta(seconds=RATE_LIMIT_WAIT + 0.5)
            fake.fail_next_edits(("30046", retry_after.total_seconds()))
            for n in range(12):
                click = await fake.click(message_id, AERO, fake.customer(n))
                await click.answered()
            await fake.wait_until(lambda: len(fake.edits(message_id)) == 1)
            assert fake.edits(message_id)[0].status == 429
            await clock.advance(retry_after - timedelta(milliseconds=100))
            await asyncio.sleep(0.1)  # a retry before Retry-After would show up now
            assert len(fake.edits(message_id)) == 1
            await clock.advance(timedelta(milliseconds=100))
            await fake.wait_until(lambda: len(fake.edits(message_id)) == 2)
            assert fake.edits(message_id)[1].status == 200
            # The edit queue did the waiting (its slot stayed free), not discord.py.
            postponed = [r for r in caplog.records if r.name == "bot.adapters.discord.edits"]
            assert any("postponed" in r.getMessage() for r in postponed)
            assert "Retrying in" not in caplog.text
            await clock.advance(timedelta(seconds=DISCORD.edit_interval))
            await app.live.flush()
            await fake.wait_until(lambda: "**12** votes" in shown_after_edits(fake, message_id))
            edits = fake.edits(message_id)
            assert [call.status for call in edits].count(429) == 1
            assert len(edits) <= 3  # 12 votes, well spaced edits

            # Edits arriving faster than the budget allows are held for it and coalesced:
            # the newest content is the one that lands, once the clock allows.
            ref = (await app.store.poll_messages("helmets"))[0]
            before = len(fake.edits(message_id))
            content = await app.polls.content("helmets")
            await asyncio.gather(*(adapter.edit(ref, content) for _ in range(5)))
            await asyncio.sleep(0.1)
            assert len(fake.edits(message_id)) == before
            await clock.advance(timedelta(seconds=policy.old_message_interval))
            await fake.wait_until(lambda: not adapter.edits.undelivered())
            await fake.wait_until(lambda: len(fake.edits(message_id)) == before + 1)
            await asyncio.sleep(0.1)
            assert len(fake.edits(message_id)) == before + 1
            print(f"\nold message: 12 votes + 5 edits -> {len(fake.edits(message_id))} PATCHes")
        assert fake.unknown == []


async def test_a_deleted_message_is_not_edited_again(fake: FakeDiscord, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        fake.deleted.add(message_id)  # a moderator deletes the poll while clicks arrive
        for n in range(3):
            click = await fake.click(message_id, AERO, fake.customer(n))
            await click.answered()
            await app.live.flush()
        refused = [call for call in fake.edits(message_id) if call.status == 404]
        assert len(refused) == 1  # one 10008 Unknown Message, then no more attempts
        assert (await app.store.tally("helmets")).counts == {"aero": 3}


class SlowApp:
    """The app behind a slow disk: every event takes `delay` before it is handled."""

    def __init__(self, sink: object, delay: float) -> None:
        self.sink = sink
        self.delay = delay

    async def handle(self, event: Event) -> None:
        await asyncio.sleep(self.delay)
        await self.sink.handle(event)  # type: ignore[attr-defined]


async def test_a_slow_store_is_covered_by_an_ephemeral_defer(tmp_path: Path) -> None:
    # Window shortened from 3 s to keep the test quick; the rule is the same.
    async with FakeDiscord(response_window=0.5) as fake:
        config = write_config(tmp_path, fake)
        async with running_app(config, defer_after=0.2) as (app, adapter):
            adapter.client.sink = SlowApp(app, 0.8)
            message_id = poll_message(fake)
            started = time.monotonic()
            click = await fake.click(message_id, AERO, fake.customer(1))
            await click.answered()
            assert click.deferred and click.ephemeral
            assert click.responses[0]["data"]["flags"] & 64
            assert click.reply.startswith("✅ Your vote for AeroLite MIPS is counted")
            assert time.monotonic() - started >= 0.8
            assert (await app.store.tally("helmets")).counts == {"aero": 1}
        assert fake.unknown == []
