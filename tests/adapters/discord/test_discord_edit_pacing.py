"""Edits of one Discord message keep their pace after a slow or retried edit: the
interval counts from when the previous edit finished. Time is a FakeClock: the test moves
it instead of sleeping."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from tests.adapters.discord.discord_harness import (
    FAST_EDITS,
    poll_message,
    running_app,
    write_config,
)
from tests.adapters.discord.fake_discord import FakeDiscord

INTERVAL = timedelta(seconds=2)


async def test_an_edit_queued_behind_a_retried_edit_waits_the_full_interval(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC))
    config = write_config(tmp_path, fake)
    # submit() hands slow edits to the background after wait_limit (10 s in production):
    # the caller goes on, and its next edit queues up behind the one being retried.
    policy = replace(FAST_EDITS, min_interval=INTERVAL.total_seconds(), wait_limit=0.1)
    async with running_app(config, clock=clock, edit_policy=policy) as (app, adapter):
        message_id = poll_message(fake)
        [ref] = await app.store.poll_messages("helmets")
        content = await app.polls.content("helmets")

        # Discord answers 429 with Retry-After; discord.py waits it out and retries.
        fake.fail_next_edits(("429", 0.3))
        await adapter.edit(ref, content)  # returns after wait_limit, still being retried
        await adapter.edit(ref, content)  # the next edit of the message queues up
        await fake.wait_until(lambda: any(c.status == 200 for c in fake.edits(message_id)))

        # The queued edit does not follow at once: it waits for the clock.
        await asyncio.sleep(0.2)
        assert [c.status for c in fake.edits(message_id)] == [429, 200]
        await clock.advance(INTERVAL - timedelta(milliseconds=100))
        await asyncio.sleep(0.1)
        assert len(fake.edits(message_id)) == 2
        await clock.advance(timedelta(milliseconds=100))
        await fake.wait_until(lambda: len(fake.edits(message_id)) == 3)
        assert fake.edits(message_id)[-1].status == 200
