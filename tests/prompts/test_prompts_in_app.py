"""Daily prompts in the running app: posted once per day and channel, caught up the same
day after downtime, rotation kept across restarts, replies counted."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.core.content import PromptMessage
from bot.core.events import MessageReceived
from bot.core.refs import ChannelRef, UserRef
from tests.cli_runner import engagebot
from tests.conftest import WriteConfig
from tests.fakes import RecordingPlatform
from tests.harness import running_app, until

PROMPTS = """\
store:
  name: Test Shop
  timezone: {zone}
channels:
  community:
    console: general
  lounge:
    console: lounge
prompts:
  - id: daily
    channels: [{channels}]
    {schedule}
    catch_up: {catch_up}
    order: sequence
    thread: true
    questions:
      - text: First question?
      - text: Second question?
      - text: Third question?
"""

MONDAY_9 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris (CET)


def prompt_config(
    write_config: WriteConfig,
    *,
    zone: str = "Europe/Paris",
    channels: str = "community",
    schedule: str = 'at: "10:00"',
    catch_up: str = "same_day",
) -> Path:
    return write_config(
        PROMPTS.format(zone=zone, channels=channels, schedule=schedule, catch_up=catch_up)
    )


async def first_run(path: Path, at: datetime = MONDAY_9) -> None:
    """The bot's first start with the config, before the prompt's time (it catches up
    only what was due after it first ran with the set)."""
    async with running_app(path, FakeClock(at)) as (_, platform):
        assert prompts_sent(platform) == []


def prompts_sent(platform: RecordingPlatform) -> list[tuple[str, str]]:
    return [(ch.id, c.text) for ch, c in platform.sent if isinstance(c, PromptMessage)]


async def test_posts_once_a_day_at_local_time_while_running(write_config: WriteConfig) -> None:
    clock = FakeClock(MONDAY_9)
    async with running_app(prompt_config(write_config), clock) as (app, platform):
        assert prompts_sent(platform) == []
        # The loop sleeps until the prompt is due; nothing else is scheduled.
        assert await app.next_wake() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        loop = asyncio.create_task(app.run())
        await clock.advance(timedelta(hours=1))
        await until(lambda: len(prompts_sent(platform)) == 1)
        for _ in range(5):  # later wakes on the same day post nothing more
            await clock.advance(timedelta(hours=2))
        await clock.advance(timedelta(hours=14))  # Tuesday 10:00
        await until(lambda: len(prompts_sent(platform)) == 2)
        app.stop()
        await loop
        assert prompts_sent(platform) == [
            ("general", "First question?"),
            ("general", "Second question?"),
        ]
        first = platform.posts_of(PromptMessage)[0]
        assert first.open_thread and first.thread_name == "First question?"


async def test_dst_spring_forward_posts_once_shifted(write_config: WriteConfig) -> None:
    path = prompt_config(write_config, zone="America/New_York", schedule='at: "02:30"')
    clock = FakeClock(datetime(2025, 3, 9, 5, 0, tzinfo=UTC))  # 00:00 EST
    async with running_app(path, clock) as (app, platform):
        assert await app.next_wake() == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)  # 03:30 EDT
        for _ in range(56):  # step through 28 hours, half an hour at a time
            await clock.advance(timedelta(minutes=30))
            await app.post_due_prompts()
        posts = await app.store.prompt_posts()
        assert [(p.local_date.isoformat(), p.due_at.isoformat()) for p in posts] == [
            ("2025-03-09", "2025-03-09T07:30:00+00:00"),
            ("2025-03-10", "2025-03-10T06:30:00+00:00"),
        ]
        assert len(prompts_sent(platform)) == 2


async def test_dst_fall_back_posts_once(write_config: WriteConfig) -> None:
    path = prompt_config(write_config, zone="America/New_York", schedule='at: "01:30"')
    clock = FakeClock(datetime(2025, 11, 2, 4, 0, tzinfo=UTC))  # 00:00 EDT
    async with running_app(path, clock) as (app, platform):
        for _ in range(12):  # through both 01:30s
            await clock.advance(timedelta(minutes=30))
            await app.post_due_prompts()
        posts = await app.store.prompt_posts()
        assert [p.due_at for p in posts] == [datetime(2025, 11, 2, 5, 30, tzinfo=UTC)]
        assert len(prompts_sent(platform)) == 1


async def test_restart_before_and_after_due_time(write_config: WriteConfig) -> None:
    path = prompt_config(write_config)
    async with running_app(path, FakeClock(MONDAY_9)) as (_, platform):
        assert prompts_sent(platform) == []  # stopped before 10:00
    # Back at 11:00 the same day: today's missed post is caught up, once.
    eleven = FakeClock(MONDAY_9 + timedelta(hours=2))
    async with running_app(path, eleven) as (_, platform):
        assert prompts_sent(platform) == [("general", "First question?")]
    async with running_app(path, eleven) as (_, platform):
        assert prompts_sent(platform) == []  # a restart after posting posts nothing


async def test_downtime_over_several_days_catches_up_only_today(
    write_config: WriteConfig,
) -> None:
    path = prompt_config(write_config)
    await first_run(path)
    async with running_app(path, FakeClock(MONDAY_9 + timedelta(hours=2))) as (_, platform):
        assert len(prompts_sent(platform)) == 1  # Monday
    thursday_noon = FakeClock(MONDAY_9 + timedelta(days=3, hours=3))
    async with running_app(path, thursday_noon) as (app, platform):
        assert prompts_sent(platform) == [("general", "Second question?")]
        posts = await app.store.prompt_posts()
        assert [p.local_date.isoformat() for p in posts] == ["2026-03-02", "2026-03-05"]


async def test_catch_up_none_skips_a_missed_day(write_config: WriteConfig) -> None:
    path = prompt_config(write_config, catch_up="none")
    late = FakeClock(MONDAY_9 + timedelta(hours=2))  # an hour after 10:00
    async with running_app(path, late) as (app, platform):
        assert prompts_sent(platform) == []
        await late.advance(timedelta(hours=23))  # Tuesday 10:00
        await app.post_due_prompts()
        assert prompts_sent(platform) == [("general", "First question?")]


async def test_two_schedulers_on_one_database_post_once(write_config: WriteConfig) -> None:
    path = prompt_config(write_config, channels="community, lounge")
    clock = FakeClock(MONDAY_9)
    first, second = RecordingPlatform(), RecordingPlatform()
    async with (
        running_app(path, clock, first) as (app_a, _),
        running_app(path, clock, second) as (app_b, _),
    ):
        await clock.advance(timedelta(hours=1))
        await asyncio.gather(app_a.post_due_prompts(), app_b.post_due_prompts())
    sent = prompts_sent(first) + prompts_sent(second)
    assert sorted(sent) == [("general", "First question?"), ("lounge", "First question?")]


async def test_rotation_continues_after_restart(write_config: WriteConfig) -> None:
    path = prompt_config(write_config)
    await first_run(path)
    texts: list[str] = []
    for day in range(4):
        clock = FakeClock(MONDAY_9 + timedelta(days=day, hours=2))
        async with running_app(path, clock) as (_, platform):
            texts += [text for _, text in prompts_sent(platform)]
    assert texts == ["First question?", "Second question?", "Third question?", "First question?"]


async def test_removed_prompt_stops_and_keeps_history(write_config: WriteConfig) -> None:
    path = prompt_config(write_config)
    await first_run(path)
    async with running_app(path, FakeClock(MONDAY_9 + timedelta(hours=2))) as (app, platform):
        assert len(prompts_sent(platform)) == 1
        text = path.read_text().split("prompts:")[0]
        path.write_text(text)  # the merchant deletes the prompt set
        from bot.config import load_config

        await app.reload(load_config(path))
        assert app.prompts.next_due() is None
    tuesday = FakeClock(MONDAY_9 + timedelta(days=1, hours=2))
    async with running_app(path, tuesday) as (app, platform):
        assert prompts_sent(platform) == []
        history = await app.store.prompt_posts()
        assert [p.prompt_id for p in history] == ["daily"]


async def test_replies_are_counted_once_per_message(write_config: WriteConfig) -> None:
    path = prompt_config(write_config)
    await first_run(path)
    async with running_app(path, FakeClock(MONDAY_9 + timedelta(hours=2))) as (app, _):
        posts = await app.store.prompt_posts()
        prompt_message = posts[0].message
        assert prompt_message is not None
        ann = UserRef("console", "ann", "ann")
        channel = ChannelRef("console", "general")
        for event in [
            MessageReceived(ann, channel, "Col du Galibier!", None, prompt_message, "r1"),
            MessageReceived(ann, channel, "Col du Galibier!", None, prompt_message, "r1"),  # replay
            MessageReceived(ann, channel, "and the Izoard", prompt_message, None, "r2"),
            MessageReceived(ann, channel, "unrelated chat", None, None, "r3"),
        ]:
            await app.handle(event)
        posts = await app.store.prompt_posts()
        assert [p.replies for p in posts] == [2]


def test_console_replies_and_cli_history(write_config: WriteConfig, tmp_path: Path) -> None:
    # A schedule that is always due today: every day at 00:00 in the store's zone.
    path = prompt_config(write_config, schedule='cron: "0 0 * * *"')
    assert engagebot("run", "-c", str(path)).returncode == 0  # first seen now: after 00:00
    running_since_yesterday(path)
    run = engagebot("run", "-c", str(path), stdin="What a ride!\n/as bob\nSame here\n")
    assert run.returncode == 0, run.stderr
    assert "💬 #general [daily] First question?" in run.stdout
    assert "(replies go to the thread “First question?”: just type a message)" in run.stdout
    history = engagebot("prompts", "-c", str(path), "--format", "json")
    data = json.loads(history.stdout)
    assert data[0]["id"] == "daily"
    assert [(p["question"], p["replies"]) for p in data[0]["posts"]] == [("First question?", 2)]


def running_since_yesterday(path: Path) -> None:
    """As if the bot had run with its prompt sets since yesterday (a real-time CLI run
    records when it first ran with them)."""
    yesterday = int((datetime.now(UTC) - timedelta(days=1)).timestamp() * 1_000_000)
    with sqlite3.connect(path.parent / "data" / "engagebot.db") as db:
        db.execute(
            "UPDATE prompt_sets SET first_seen_at = ?, schedule_since = ?", (yesterday, yesterday)
        )
    db.close()


def test_cli_schedule_json(write_config: WriteConfig) -> None:
    path = prompt_config(write_config, zone="America/New_York", schedule='at: "02:30"')
    done = engagebot(
        "schedule", "-c", str(path), "--from", "2025-03-08", "--days", "3", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    assert [(r["kind"], r["local_time"], r["utc_time"]) for r in runs] == [
        ("prompt", "2025-03-08T02:30:00-05:00", "2025-03-08T07:30:00Z"),
        ("prompt", "2025-03-09T03:30:00-04:00", "2025-03-09T07:30:00Z"),
        ("prompt", "2025-03-10T02:30:00-04:00", "2025-03-10T06:30:00Z"),
    ]
    assert [r["text"] for r in runs] == ["First question?", "Second question?", "Third question?"]
    assert {r["channel"] for r in runs} == {"community"}


def test_cli_schedule_lists_poll_times_too(write_config: WriteConfig) -> None:
    path = write_config(timing="opens: 2026-03-01 10:00\n    closes: 2026-03-03 18:00")
    done = engagebot(
        "schedule", "-c", str(path), "--from", "2026-03-01", "--days", "3", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    assert [
        (r["kind"], r["id"], r["local_time"], r["utc_time"]) for r in json.loads(done.stdout)
    ] == [
        ("poll_open", "helmets", "2026-03-01T10:00:00+01:00", "2026-03-01T09:00:00Z"),
        ("poll_close", "helmets", "2026-03-03T18:00:00+01:00", "2026-03-03T17:00:00Z"),
    ]


async def test_a_due_time_passing_during_a_check_is_not_skipped(write_config: WriteConfig) -> None:
    clock = FakeClock(MONDAY_9 + timedelta(minutes=59, seconds=59))
    async with running_app(prompt_config(write_config), clock) as (app, platform):
        checked = clock.now()
        await app.post_due_prompts(checked)  # 09:59:59: not due yet
        await clock.advance(timedelta(seconds=2))  # 10:00:01 while the loop was busy
        assert await app.next_wake(checked) == clock.now()  # wake at once, not tomorrow
        await app.post_due_prompts(clock.now())
        assert prompts_sent(platform) == [("general", "First question?")]
