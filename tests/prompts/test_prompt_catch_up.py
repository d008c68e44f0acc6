"""Missed prompts are caught up only for time the bot should have been running: from
when it first ran with the prompt set and its current timing (as cron never runs a job
for times before it was created). `engagebot schedule` shows the catch-up it will post."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.config import load_config
from bot.config.schema import PromptConfig
from bot.prompts.schedule import timing_key
from bot.storage.sqlite.migrate import apply_migrations, load_migrations
from tests.cli_runner import engagebot
from tests.conftest import WriteConfig
from tests.harness import running_app
from tests.prompts.test_prompts_in_app import prompt_config, prompts_sent, running_since_yesterday

PARIS_ZONE = ZoneInfo("Europe/Paris")
PARIS = timedelta(hours=1)  # CET in March before the change
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # local midnight is 23:00 UTC the day before


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """Paris wall-clock time on the day-th day after Monday 2 March 2026, as UTC."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute) - PARIS


async def test_first_start_after_the_time_posts_nothing_that_day(
    write_config: WriteConfig,
) -> None:
    path = prompt_config(write_config, schedule='at: "08:30"')
    clock = FakeClock(local(0, 17, 36))  # deployed Monday at 17:36
    async with running_app(path, clock) as (app, platform):
        assert prompts_sent(platform) == []  # no breakfast question at 17:36
        assert await app.next_wake() == local(1, 8, 30)
    # A restart the same evening does not see the set anew: still nothing.
    async with running_app(path, FakeClock(local(0, 20))) as (_, platform):
        assert prompts_sent(platform) == []
    # Tuesday 08:30, and after downtime later on Tuesday, it posts (once).
    async with running_app(path, FakeClock(local(1, 8, 30))) as (_, platform):
        assert prompts_sent(platform) == [("general", "First question?")]
    async with running_app(path, FakeClock(local(1, 12))) as (_, platform):
        assert prompts_sent(platform) == []


async def test_a_time_moved_to_an_hour_already_past_waits_for_its_next_day(
    write_config: WriteConfig,
) -> None:
    path = prompt_config(write_config, schedule='at: "10:00"')
    clock = FakeClock(local(0, 7))  # running since 07:00
    async with running_app(path, clock) as (app, platform):
        await clock.advance(timedelta(hours=2, minutes=30))
        prompt_config(write_config, schedule='at: "09:00"')  # edited at 09:30
        await app.reload(load_config(path))
        for _ in range(14):  # neither 09:00 (seen too late) nor the old 10:00
            await app.post_due_prompts()
            await clock.advance(timedelta(hours=1))
        assert prompts_sent(platform) == []
        assert await app.next_wake() == local(1, 9)
    # The same after a restart instead of a reload, and on Tuesday at 09:00 it posts.
    async with running_app(path, FakeClock(local(0, 23))) as (_, platform):
        assert prompts_sent(platform) == []
    async with running_app(path, FakeClock(local(1, 9))) as (_, platform):
        assert prompts_sent(platform) == [("general", "First question?")]


async def test_a_time_moved_later_posts_at_the_new_time(write_config: WriteConfig) -> None:
    path = prompt_config(write_config, schedule='at: "10:00"')
    clock = FakeClock(local(0, 7))
    async with running_app(path, clock) as (app, platform):
        await clock.advance(timedelta(hours=2, minutes=30))
        prompt_config(write_config, schedule='at: "11:00"')  # edited at 09:30
        await app.reload(load_config(path))
        await clock.advance(timedelta(minutes=30))  # 10:00, the old time
        await app.post_due_prompts()
        assert prompts_sent(platform) == []
        await clock.advance(timedelta(hours=1))  # 11:00
        await app.post_due_prompts()
        assert prompts_sent(platform) == [("general", "First question?")]


async def test_other_edits_keep_the_catch_up(write_config: WriteConfig) -> None:
    """A new channel or other edits that leave the timing as it was are not a new
    schedule: today's missed post is still caught up after the restart."""
    path = prompt_config(write_config, schedule='at: "10:00"')
    async with running_app(path, FakeClock(local(0, 7))) as (_, platform):
        assert prompts_sent(platform) == []
    prompt_config(write_config, schedule='at: "10:00"', channels="community, lounge")
    async with running_app(path, FakeClock(local(0, 15))) as (_, platform):
        assert sorted(prompts_sent(platform)) == [
            ("general", "First question?"),
            ("lounge", "First question?"),
        ]


def prompt_set(**timing: object) -> PromptConfig:
    return PromptConfig.model_validate(
        {"id": "daily", "channels": ["community"], "questions": [{"text": "Q?"}], **timing}
    )


def test_timing_key_ignores_layout_but_not_timing() -> None:
    key = timing_key(prompt_set(at="10:00", days=["mon", "fri"]), PARIS_ZONE)
    assert key == timing_key(prompt_set(at="10:00", days=["fri", "mon"]), PARIS_ZONE)
    assert key != timing_key(prompt_set(at="10:01", days=["mon", "fri"]), PARIS_ZONE)
    assert key != timing_key(prompt_set(at="10:00", days=["mon"]), PARIS_ZONE)
    assert key != timing_key(prompt_set(at="10:00", days=["mon", "fri"]), ZoneInfo("UTC"))
    spaced = timing_key(prompt_set(cron="0  10 * * *"), PARIS_ZONE)
    assert spaced == timing_key(prompt_set(cron="0 10 * * *"), PARIS_ZONE)


async def test_an_upgraded_database_keeps_catching_up(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    """Sets that posted before first-seen times were recorded count as seen since their
    first post: today's missed post is caught up on the first start after the upgrade."""
    path = prompt_config(write_config, schedule='at: "10:00"')
    db_path = tmp_path / "data" / "engagebot.db"
    db_path.parent.mkdir()
    friday = local(-3, 10)
    conn = sqlite3.connect(db_path, isolation_level=None)
    apply_migrations(conn, load_migrations()[:4])  # the schema before prompt_sets
    micros = int(friday.timestamp() * 1_000_000)
    conn.execute(
        "INSERT INTO prompt_days (prompt_id, local_date, seq, created_at) VALUES (?, ?, 0, ?)",
        ("daily", "2026-02-27", micros),
    )
    conn.close()
    async with running_app(path, FakeClock(local(0, 15))) as (app, platform):
        assert prompts_sent(platform) == [("general", "Second question?")]
        seen = (await app.store.prompt_sets())["daily"]
        assert seen.first_seen_at == seen.schedule_since == friday
        assert seen.schedule == timing_key(app.config.settings.prompts[0], app.config.zone)


def test_schedule_shows_the_catch_up_it_will_post(write_config: WriteConfig) -> None:
    # Due every day at 00:00 in the store's zone: always missed by now.
    path = prompt_config(write_config, schedule='cron: "0 0 * * *"')
    assert engagebot("run", "-c", str(path)).returncode == 0  # first seen now: nothing
    assert planned_catch_ups(path) == []
    running_since_yesterday(path)  # as if the bot had run since yesterday, then stopped
    # A set added since, never run with, has nothing to catch up.
    text = path.read_text(encoding="utf-8")
    path.write_text(text + NEW_SET, encoding="utf-8")
    today = datetime.now(PARIS_ZONE).date()
    catch_ups = planned_catch_ups(path)
    assert [(r["id"], r["channel"], r["text"]) for r in catch_ups] == [
        ("daily", "community", "First question?")
    ]
    assert catch_ups[0]["catch_up_of"] == f"{today.isoformat()}T00:00:00{offset(today)}"
    table = engagebot("schedule", "-c", str(path), env={"COLUMNS": "200"})
    assert "now (catch-up of 00:00)" in table.stdout
    # The next start posts exactly that, and then there is nothing left to catch up.
    run = engagebot("run", "-c", str(path))
    assert "💬 #general [daily] First question?" in run.stdout
    assert "Breakfast?" not in run.stdout
    assert planned_catch_ups(path) == []


NEW_SET = """\
  - id: breakfast
    channels: [community]
    cron: "0 0 * * *"
    questions:
      - text: Breakfast?
"""


def planned_catch_ups(path: Path) -> list[dict[str, str]]:
    done = engagebot("schedule", "-c", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    runs: list[dict[str, str]] = json.loads(done.stdout)
    return [run for run in runs if run["catch_up_of"] is not None]


def offset(day: date) -> str:
    moment = datetime(day.year, day.month, day.day, tzinfo=PARIS_ZONE)
    return moment.isoformat()[-6:]
