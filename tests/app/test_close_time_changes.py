"""A merchant who edits an open poll's closes: or duration: gets the new time: on reload
and on restart, in the poll's message, in `engagebot schedule`; a time already past
closes the poll now."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.core.content import PollMessage, ResultsMessage
from bot.storage.base import PollState
from tests.cli_runner import engagebot
from tests.conftest import WriteConfig
from tests.fakes import RecordingPlatform, Replies, click
from tests.harness import running_app, until
from tests.results.results_helpers import staff, write_shop

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # Sun 1 Mar 09:00 in Paris
AERO = encode_vote("helmets", "aero")


def last_footer(platform: RecordingPlatform) -> str:
    polls = [content for _, content in platform.edits if isinstance(content, PollMessage)]
    return polls[-1].footer


async def test_a_later_close_on_reload_keeps_the_poll_open_past_the_old_time(
    write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_config(timing="closes: 2026-03-01 18:00")
    clock = FakeClock(START)
    async with running_app(path, clock) as (app, platform):
        loop = asyncio.create_task(app.run())
        write_config(timing="closes: 2026-03-02 18:00")
        caplog.set_level(logging.INFO, logger="bot")
        await app.reload(load_config(path))
        record = await app.store.get_poll("helmets")
        assert record is not None and record.closes_at == datetime(2026, 3, 2, 17, tzinfo=UTC)
        assert "closes Mon 2 Mar 18:00 CET" in last_footer(platform)
        changes = [r.getMessage() for r in caplog.records if "now closes" in r.getMessage()]
        assert changes == ["poll helmets now closes on Mon 2 Mar 18:00 CET"]

        await clock.advance(timedelta(hours=10))  # Sun 19:00: past the old time
        replies = Replies()
        await app.handle(click("ann", AERO, clock.now(), replies))
        assert replies.last.startswith("✅ Your vote for AeroLite MIPS is counted")
        assert "You can change it until Mon 2 Mar 18:00 CET" in replies.last
        assert platform.posts_of(ResultsMessage) == []

        await clock.advance(timedelta(hours=23))  # Mon 18:00: the new time
        await until(lambda: len(platform.posts_of(ResultsMessage)) == 1)
        app.stop()
        await loop
        record = await app.store.get_poll("helmets")
        assert record is not None and record.state is PollState.CLOSED
        assert record.closed_at == datetime(2026, 3, 2, 17, tzinfo=UTC)
        assert platform.posts_of(ResultsMessage)[0].total_votes == 1


async def test_a_longer_duration_applies_at_restart_even_past_the_old_time(
    write_config: WriteConfig,
) -> None:
    path = write_config(timing="duration: 2d")
    async with running_app(path, FakeClock(START)) as (app, _):
        await app.handle(click("ann", AERO, START, Replies()))

    # Edited while the bot was down, and started again after the old closing time.
    write_config(timing="duration: 5d")
    later = FakeClock(START + timedelta(days=3))
    async with running_app(path, later) as (app, platform):
        record = await app.store.get_poll("helmets")
        assert record is not None and record.state is PollState.OPEN
        assert record.closes_at == START + timedelta(days=5)
        assert platform.posts_of(ResultsMessage) == []
        # The message posted by the previous run now shows the new time.
        assert "closes Fri 6 Mar 09:00 CET" in last_footer(platform)


async def test_a_closing_time_already_past_closes_the_poll_now_with_results(
    write_config: WriteConfig,
) -> None:
    path = write_config(timing="duration: 7d")
    clock = FakeClock(START)
    async with running_app(path, clock) as (app, platform):
        await app.handle(click("ann", AERO, clock.now(), Replies()))
        await clock.advance(timedelta(days=2))
        write_config(timing="duration: 1d")  # a day after it opened: yesterday
        await app.reload(load_config(path))
        record = await app.store.get_poll("helmets")
        assert record is not None and record.state is PollState.CLOSED
        # Closed now, not at the past instant: votes were taken in between.
        assert record.closed_at == START + timedelta(days=2)
        results = platform.posts_of(ResultsMessage)
        assert len(results) == 1 and results[0].total_votes == 1


async def test_removing_the_closing_time_keeps_the_poll_open_until_staff_close_it(
    write_config: WriteConfig,
) -> None:
    path = write_config(timing="duration: 1d")
    clock = FakeClock(START)
    async with running_app(path, clock) as (app, platform):
        write_config(timing="")
        await app.reload(load_config(path))
        record = await app.store.get_poll("helmets")
        assert record is not None and record.closes_at is None
        assert "closes" not in last_footer(platform)
        await clock.advance(timedelta(days=3))
        await app.reconcile()
        assert (await app.store.get_poll("helmets")).state is PollState.OPEN  # type: ignore[union-attr]


def test_schedule_shows_the_closing_time_the_config_now_gives(write_config: WriteConfig) -> None:
    path = write_config(timing="duration: 7d")
    done = engagebot("run", "-c", str(path), stdin="1\n")
    assert done.returncode == 0, done.stderr
    polls = json.loads(engagebot("polls", "--format", "json", "-c", str(path)).stdout)
    opened = datetime.fromisoformat(polls[0]["opened_at"])

    write_config(timing="duration: 10d")
    done = engagebot("schedule", "--days", "14", "--format", "json", "-c", str(path))
    assert done.returncode == 0, done.stderr
    closes = [run for run in json.loads(done.stdout) if run["kind"] == "poll_close"]
    assert len(closes) == 1
    expected = (opened + timedelta(days=10)).astimezone(UTC)
    assert datetime.fromisoformat(closes[0]["utc_time"].replace("Z", "+00:00")) == expected


async def test_a_runoff_round_keeps_its_closing_time_when_the_config_changes(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    path = write_shop(tmp_path)  # duration: 2d, run-off when too close
    async with running_app(path, clock) as (app, _):
        for user, option in (("ann", "aero"), ("bob", "urban")):
            await app.handle(click(user, encode_vote("helmets", option), clock.now(), Replies()))
        command, _replies = staff("close", "helmets")
        await app.handle(command)
        runoff = await app.store.get_poll("helmets-r2")
        assert runoff is not None and runoff.state is PollState.OPEN
        assert runoff.closes_at == START + timedelta(days=2)

        path.write_text(path.read_text().replace("duration: 2d", "duration: 9d"))
        await app.reload(load_config(path))
        again = await app.store.get_poll("helmets-r2")
        assert again is not None and again.closes_at == runoff.closes_at
