"""The merchant's terminal: results, polls, export and report as real subprocesses, on a
database seeded through the real App and store API over several (Paris) days."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.core.actions import encode_vote
from bot.core.refs import ChannelRef, MessageRef, UserRef
from bot.polls.export import pseudonym
from bot.storage.base import Store
from tests.cli_runner import engagebot
from tests.fakes import Replies, click
from tests.harness import running_app
from tests.results.results_helpers import START, png_size, write_shop

CONSOLE = ChannelRef("console", "general")
DISCORD = ChannelRef("discord", "123")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return START.replace(day=day, hour=hour, minute=minute)


async def prompt_post(store: Store, day: date, channel: ChannelRef, message_id: str) -> None:
    due = utc(day.day, 9)
    assert await store.claim_prompt_post("daily", day, channel, 0, due, due)
    await store.record_prompt_post("daily", day, MessageRef(channel, message_id), due)


async def reply(
    store: Store, channel: ChannelRef, message_id: str, user: str, at: datetime
) -> None:
    post = await store.find_prompt_post(MessageRef(channel, message_id))
    assert post is not None
    assert await store.record_prompt_reply(
        post, f"{message_id}-{user}", UserRef(channel.platform, user, user), at
    )


@pytest.fixture
async def seeded(tmp_path: Path) -> Path:
    """A multiple-choice poll Mon 09:00 – Wed 09:00 (Paris) ending in a tie (so a
    run-off opens), and daily prompt posts with replies."""
    path = write_shop(tmp_path, max_choices=2)
    clock = FakeClock(START)  # Mon 2 Mar, 08:00 UTC
    aero, urban = encode_vote("helmets", "aero"), encode_vote("helmets", "urban")
    async with running_app(path, clock) as (app, _):
        store = app.store
        replies = Replies()

        async def vote(user: str, action: str, platform: str, at: datetime) -> None:
            await clock.advance(at - clock.now())
            await app.handle(click(user, action, at, replies, platform=platform))
            assert replies.last.startswith("✅"), replies.last

        await vote("ann", aero, "console", utc(2, 8))
        await vote("bob", aero, "discord", utc(2, 9))
        await vote("bob", urban, "discord", utc(2, 9, 5))
        await prompt_post(store, date(2026, 3, 2), CONSOLE, "p1")
        await reply(store, CONSOLE, "p1", "zoe", utc(2, 10))
        await reply(store, CONSOLE, "p1", "ann", utc(2, 11))

        await vote("cy", urban, "slack", utc(3, 11))
        await prompt_post(store, date(2026, 3, 3), CONSOLE, "p2")
        await prompt_post(store, date(2026, 3, 3), DISCORD, "p3")
        await reply(store, CONSOLE, "p2", "ann", utc(3, 12))
        await reply(store, DISCORD, "p3", "bob", utc(3, 23, 30))  # Wed 00:30 in Paris
        # Claimed but never confirmed by the platform: not a post.
        assert await store.claim_prompt_post(
            "daily", date(2026, 3, 4), CONSOLE, 0, utc(4, 9), utc(4, 9)
        )

        await clock.advance(utc(4, 8, 0) + timedelta(seconds=1) - clock.now())
        await app.reconcile()  # closes at Wed 09:00 Paris; too close: the run-off opens
        assert [r.poll_id for r in await store.poll_rounds()] == ["helmets-r2"]
    return path


async def test_results_json_and_chart_and_polls_list(seeded: Path, tmp_path: Path) -> None:
    chart = tmp_path / "out" / "helmets.png"
    done = engagebot(
        "results", "helmets", "-c", str(seeded), "--format", "json", "--chart", str(chart)
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["state"] == "closed" and data["total_votes"] == 4 and data["voters"] == 3
    assert data["winner"] is None and data["tied"] == ["aero", "urban"]
    assert data["verdict"] == "too_close" and data["p_leader_best"] == 0.5
    assert data["platforms"] == {"console": 1, "discord": 2, "slack": 1}
    assert data["voters_by_platform"] == {"console": 1, "discord": 1, "slack": 1}
    assert data["runoff"] == "helmets-r2" and data["runoff_of"] is None
    assert png_size(chart) == (1200, 580)

    polls = engagebot("polls", "-c", str(seeded), "--format", "json")
    assert polls.returncode == 0, polls.stderr
    listed = [
        (p["id"], p["state"], p["total_votes"], p["runoff_of"]) for p in json.loads(polls.stdout)
    ]
    # The run-off's two days have long passed by the real clock: it reads as closed.
    assert listed == [("helmets", "closed", 4, None), ("helmets-r2", "closed", 0, "helmets")]

    runoff = engagebot("results", "helmets-r2", "-c", str(seeded))
    assert runoff.returncode == 0, runoff.stderr
    assert "Run-off: Which helmet should we stock?" in runoff.stdout
    assert "This was the run-off of poll helmets." in runoff.stdout
    assert "Verdict: not enough votes to decide: nobody voted." in runoff.stdout


async def test_export_round_trips_with_stable_pseudonyms(seeded: Path) -> None:
    as_csv = engagebot("export", "helmets", "-c", str(seeded))  # csv is the default
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(rows[0]) == ["poll", "time", "platform", "voter", "option", "label"]
    # One row per chosen option: bob's two-option ballot is two rows. Times are the
    # store's (Paris, CET), as in the report, with the offset that keeps them exact.
    assert [(r["time"], r["platform"], r["option"], r["label"]) for r in rows] == [
        ("2026-03-02T09:00:00+01:00", "console", "aero", "AeroLite MIPS"),
        ("2026-03-02T10:05:00+01:00", "discord", "aero", "AeroLite MIPS"),
        ("2026-03-02T10:05:00+01:00", "discord", "urban", "Urban Shell"),
        ("2026-03-03T12:00:00+01:00", "slack", "urban", "Urban Shell"),
    ]
    voters = [r["voter"] for r in rows]
    assert voters[1] == voters[2] and len(set(voters)) == 3
    assert all(len(v) == 16 and not set(v) - set("0123456789abcdef") for v in voters)
    assert not {"ann", "bob", "cy"} & set(voters)

    as_json = engagebot("export", "helmets", "-c", str(seeded), "--format", "json", "--raw-ids")
    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout)
    # The same votes, the same pseudonyms in a second export, plus the raw ids on request.
    assert [{k: r[k] for k in rows[0]} for r in records] == rows
    assert [r["user_id"] for r in records] == ["ann", "bob", "bob", "cy"]
    assert "user_id" not in as_csv.stdout

    # What a pseudonym is: a keyed hash, so different databases give different ones.
    assert pseudonym(b"k" * 32, "console:ann") != pseudonym(b"j" * 32, "console:ann")
    assert pseudonym(b"k" * 32, "console:ann") == pseudonym(b"k" * 32, "console:ann")

    unknown = engagebot("export", "nope", "-c", str(seeded))
    assert unknown.returncode == 1
    assert unknown.stderr == (
        "error: There is no poll with id 'nope'. Known polls: helmets, helmets-r2.\n"
    )


async def test_report_figures_match_the_seeded_database(seeded: Path, tmp_path: Path) -> None:
    args = ("report", "-c", str(seeded), "--since", "2026-03-01", "--until", "2026-03-05")
    done = engagebot(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    columns = ("day", "polls_running", "votes", "participants", "prompt_posts", "replies")
    assert [tuple(day[c] for c in columns) for day in data["days"]] == [
        ("2026-03-01", 0, 0, 0, 0, 0),
        ("2026-03-02", 1, 3, 3, 1, 2),  # ann, bob (two options), zoe replied
        ("2026-03-03", 1, 1, 2, 2, 1),  # cy voted, ann replied
        ("2026-03-04", 2, 0, 1, 0, 1),  # the poll until 09:00, then its run-off; bob's
        ("2026-03-05", 1, 0, 0, 0, 0),  # late reply counts on Paris's Wednesday
    ]
    assert data["totals"] == {
        "polls_running": 2,
        "votes": 4,
        "participants": 4,
        "prompt_posts": 3,
        "replies": 4,
    }

    chart = tmp_path / "report.png"
    table = engagebot(*args, "--chart", str(chart))
    assert table.returncode == 0, table.stderr
    assert "Engagement — Test Shop" in table.stdout
    assert "Mon 2026-03-02" in table.stdout and "total" in table.stdout
    assert png_size(chart) == (1200, 600)

    bad = engagebot("report", "-c", str(seeded), "--since", "March")
    assert bad.returncode == 2 and "'March' is not a date like 2026-03-01" in bad.stderr
