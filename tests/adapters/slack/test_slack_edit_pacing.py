"""Edits of one Slack message keep their pace after a rate-limited edit: the next one
comes a full interval (limits.edit_interval) after the retried edit FINISHED. Time is the
app's FakeClock: the test moves it instead of sleeping."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.adapters.limits import SLACK
from bot.clock import FakeClock
from bot.core.actions import encode_vote
from tests.adapters.slack.harness import slack_app

AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")
INTERVAL = timedelta(seconds=SLACK.edit_interval)
RETRY_AFTER = timedelta(seconds=2)
A_MOMENT = timedelta(milliseconds=100)


async def test_the_edit_after_a_rate_limited_one_waits_the_full_interval(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake, clock = run.fake, run.clock
        assert isinstance(clock, FakeClock)
        fake.rate_limit("chat.update", retry_after=int(RETRY_AFTER.total_seconds()))
        await run.click("UANN", AERO)
        await fake.wait_for(lambda: any(c.status == 429 for c in fake.calls))
        await clock.advance(RETRY_AFTER)  # Slack's wait is over: the edit is retried
        await fake.wait_for(lambda: len(fake.calls_to("chat.update")) == 1)
        await run.app.idle()

        # A vote right after the retried edit finished: its edit waits the whole interval.
        await run.click("UBOB", URBAN)
        await run.app.idle()
        await clock.advance(INTERVAL - A_MOMENT)
        await asyncio.sleep(0.1)  # an early edit would show up now
        assert len(fake.calls_to("chat.update")) == 1
        await clock.advance(A_MOMENT)
        await fake.wait_for(lambda: len(fake.calls_to("chat.update")) == 2)
        assert "2 votes" in str(fake.calls_to("chat.update")[-1].args["blocks"])
