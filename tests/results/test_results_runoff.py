"""Results at close and run-offs, with the real App on a real SQLite file: the results
post carries the chart, verdict and breakdown; a too-close poll gets exactly one
run-off however close is triggered; the run-off opens, is posted, and links back."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.clock import FakeClock
from bot.config import load_config
from bot.config.schema import ID_PATTERN
from bot.core.actions import encode_vote
from bot.core.content import PollMessage, ResultsMessage
from bot.polls import runoff
from bot.polls.service import CloseOutcome, PollService
from bot.storage import open_store
from bot.storage.base import PollState
from tests.fakes import RecordingPlatform, Replies, click
from tests.harness import running_app
from tests.results.results_helpers import START, png_size, staff, write_shop

AERO, URBAN, TRAIL = (encode_vote("helmets", o) for o in ("aero", "urban", "trail"))


async def vote(app: App, clock: FakeClock, *ballots: tuple[str, str, str]) -> None:
    """(user, action id, platform) each; every vote must be counted."""
    for user, action, platform in ballots:
        replies = Replies()
        await app.handle(click(user, action, clock.now(), replies, platform=platform))
        assert replies.last.startswith("✅"), replies.last


async def test_results_post_has_chart_verdict_and_platform_breakdown(tmp_path: Path) -> None:
    clock = FakeClock(START)
    path = write_shop(tmp_path, runoff=False)
    async with running_app(path, clock) as (app, platform):
        await vote(
            app,
            clock,
            *((f"c{i}", AERO, "console") for i in range(6)),
            *((f"d{i}", AERO, "discord") for i in range(3)),
            ("d9", URBAN, "discord"),
        )
        command, _ = staff("close", "helmets")
        await app.handle(command)
        [results] = platform.posts_of(ResultsMessage)
        assert results.headline == "🏆 AeroLite MIPS wins with 90% of the votes."
        assert results.details[0].startswith(
            "Verdict: clear winner. AeroLite MIPS is ahead of Urban Shell by 80 points, "
            "and 99% likely to be the customers' real favourite."
        )
        assert results.details[1:] == (
            "10 votes from 10 customers",
            "by platform: console 6 votes (6 customers), discord 4 votes (4 customers)",
        )
        assert results.chart is not None and results.chart.path is not None
        assert results.chart.path == tmp_path / "data" / "charts" / "helmets.png"
        assert png_size(results.chart.path) == (1200, 580)
        assert await app.store.poll_rounds() == []  # runoff: false


async def test_too_close_opens_one_runoff_even_when_closed_twice_at_once(tmp_path: Path) -> None:
    clock = FakeClock(START)
    path = write_shop(tmp_path)
    async with running_app(path, clock) as (app, platform):
        await vote(
            app,
            clock,
            ("ann", AERO, "console"),
            ("bob", URBAN, "console"),
            ("cy", AERO, "console"),
            ("dan", URBAN, "console"),
            ("eve", TRAIL, "console"),
        )
        clock_at_close = clock.now()
        first, first_reply = staff("close", "helmets")
        second, second_reply = staff("close", "helmets")
        await asyncio.gather(app.handle(first), app.handle(second))
        assert sorted([first_reply.last[:14], second_reply.last[:14]]) == [
            "Poll helmets i",
            "Poll “Which he",
        ]

        rounds = await app.store.poll_rounds()
        assert [(r.poll_id, r.runoff_of, r.reason) for r in rounds] == [
            ("helmets-r2", "helmets", "too_close")
        ]
        [results] = platform.posts_of(ResultsMessage)
        assert results.headline == "It's a tie between AeroLite MIPS and Urban Shell."
        assert results.details[0] == (
            "Verdict: too close to call: AeroLite MIPS and Urban Shell are tied."
        )
        assert results.details[-1] == (
            "Run-off: AeroLite MIPS and Urban Shell go head to head in a new poll "
            "(helmets-r2), open now. Vote again!"
        )

        # The run-off is open and posted in the same channel, right after the results.
        polls = platform.posts_of(PollMessage)
        assert [p.poll_id for p in polls] == ["helmets", "helmets-r2"]
        second_round = polls[1]
        assert second_round.title == "Run-off: Which helmet should we stock?"
        assert [c.label for c in second_round.cards] == ["AeroLite MIPS", "Urban Shell"]
        assert second_round.description == (
            "It was too close to call between AeroLite MIPS and Urban Shell. "
            "One more vote decides: pick your favourite."
        )
        assert platform.sent[-1][1] is second_round
        record = await app.store.get_poll("helmets-r2")
        assert record is not None and record.state is PollState.OPEN
        assert record.opened_at == clock_at_close
        assert record.closes_at == clock_at_close + timedelta(days=2)  # the poll's duration

        # Customers vote in the run-off; an option that did not make it is refused.
        r2_aero, r2_urban = encode_vote("helmets-r2", "aero"), encode_vote("helmets-r2", "urban")
        await vote(app, clock, ("ann", r2_aero, "console"), ("bob", r2_aero, "slack"))
        refused = Replies()
        await app.handle(click("cy", encode_vote("helmets-r2", "trail"), clock.now(), refused))
        assert refused.last.startswith("Sorry, that option isn't part of")
        await vote(app, clock, ("dan", r2_urban, "console"))

        # The run-off closes on schedule; its results link back, and it gets no run-off.
        loop = asyncio.create_task(app.run())
        try:
            await clock.advance(timedelta(days=2, seconds=1))
            await asyncio.wait_for(_until(lambda: len(platform.posts_of(ResultsMessage)) == 2), 5)
        finally:
            app.stop()
            await asyncio.wait_for(loop, 5)
        final = platform.posts_of(ResultsMessage)[1]
        assert final.poll_id == "helmets-r2"
        # 2 to 1 is too close again, but a run-off gets no run-off of its own.
        assert final.headline == (
            "AeroLite MIPS leads with 67% of the votes, but it is too close to call."
        )
        assert final.details[-1] == "This was the run-off of poll helmets."
        assert len(await app.store.poll_rounds()) == 1

        chain = {r.id: r for r in [await app.polls.results(p.id) for p in app.polls.polls]}
        assert list(chain) == ["helmets", "helmets-r2"]
        assert chain["helmets"].runoff == "helmets-r2" and chain["helmets"].runoff_of is None
        assert chain["helmets-r2"].runoff_of == "helmets"
        assert chain["helmets-r2"].to_json()["platforms"] == {"console": 2, "slack": 1}

    # A new process knows the run-off from the database alone (it is not in the YAML).
    async with running_app(path, clock) as (app, platform):
        assert app.polls.poll("helmets-r2").question == "Run-off: Which helmet should we stock?"
        assert platform.sent == []  # both rounds were announced once, not again


async def test_two_processes_settling_at_once_create_one_runoff(tmp_path: Path) -> None:
    clock = FakeClock(START)
    path = write_shop(tmp_path)
    config = load_config(path)
    async with running_app(path, clock) as (app, _):
        await vote(app, clock, ("ann", AERO, "console"), ("bob", URBAN, "console"))
    # Closed from the command line while no bot runs...
    stores = [open_store(config.database_url) for _ in range(2)]
    for store in stores:
        await store.open()
    try:
        services = [PollService(config, store, clock) for store in stores]
        for service in services:
            await service.sync_config()
        assert await services[0].close("helmets", by="cli") is CloseOutcome.CLOSED
        # ...then two processes settle it at the same moment, several times each.
        ids = await asyncio.gather(*(s.settle("helmets") for s in services * 3))
        assert set(ids) == {"helmets-r2"}
        assert len(await stores[0].poll_rounds()) == 1
        assert [r.poll_id for r in await stores[1].list_polls()] == ["helmets", "helmets-r2"]
    finally:
        for store in stores:
            await store.close()


async def test_two_bots_announcing_at_once_open_one_runoff(tmp_path: Path) -> None:
    clock = FakeClock(START)
    path = write_shop(tmp_path)
    async with running_app(path, clock) as (app, _):
        await vote(app, clock, ("ann", AERO, "console"), ("bob", URBAN, "console"))
    config = load_config(path)
    store = open_store(config.database_url)
    await store.open()
    try:  # `engagebot close helmets` while no bot runs
        closed = await PollService(config, store, clock).close("helmets", by="cli")
        assert closed is CloseOutcome.CLOSED
    finally:
        await store.close()
    assert await _rounds(path) == []
    platforms = [RecordingPlatform(), RecordingPlatform()]
    apps = [App(config, open_store(config.database_url), [p], clock) for p in platforms]
    try:
        await asyncio.wait_for(asyncio.gather(*(a.start() for a in apps)), 10)
    finally:
        for each in apps:
            await each.shutdown()
    rounds = await _rounds(path)
    assert rounds == ["helmets-r2"]
    posted = [p.poll_id for platform in platforms for p in platform.posts_of(PollMessage)]
    assert posted.count("helmets-r2") == 1  # each post is claimed before it is sent
    announced = [r for platform in platforms for r in platform.posts_of(ResultsMessage)]
    assert len(announced) == 1 and "(helmets-r2), open now" in announced[0].details[-1]


async def test_no_runoff_when_the_verdict_is_not_too_close(tmp_path: Path) -> None:
    clock = FakeClock(START)
    # Not enough votes (1 of 5 customers): no run-off, even though it is a tie.
    path = write_shop(tmp_path, min_votes=5)
    async with running_app(path, clock) as (app, platform):
        await vote(app, clock, ("ann", AERO, "console"), ("bob", URBAN, "console"))
        command, _ = staff("close", "helmets")
        await app.handle(command)
        [results] = platform.posts_of(ResultsMessage)
        assert results.details[0] == (
            "Verdict: not enough votes to decide: 2 customers voted and your decision rule "
            "asks for at least 5."
        )
        assert await app.polls.settle("helmets") is None
        assert await app.store.poll_rounds() == []


async def test_three_way_tie_sends_all_three_to_the_runoff(tmp_path: Path) -> None:
    clock = FakeClock(START)
    path = write_shop(tmp_path, min_votes=3)
    async with running_app(path, clock) as (app, platform):
        await vote(
            app, clock, ("ann", AERO, "console"), ("bob", URBAN, "console"), ("cy", TRAIL, "x")
        )
        command, _ = staff("close", "helmets")
        await app.handle(command)
        runoff_post = platform.posts_of(PollMessage)[-1]
        assert runoff_post.poll_id == "helmets-r2"
        assert [c.option_id for c in runoff_post.cards] == ["aero", "urban", "trail"]


async def test_long_poll_ids_get_short_valid_runoff_ids(tmp_path: Path) -> None:
    long_id = "spring-helmets-for-the-city-2026"  # 32 characters: no room for "-r2"
    made = runoff.round_id(long_id, [])
    assert len(made) <= 32 and re.match(ID_PATTERN, made) and made.endswith("-r2")
    assert made != runoff.round_id("spring-helmets-for-the-city-2027", [])
    assert runoff.round_id(long_id, [made]) != made  # never an id in use
    assert runoff.round_id("x", ["x-r2"]) != "x-r2"

    clock = FakeClock(START)
    path = write_shop(tmp_path, poll_id=long_id)
    actions = [encode_vote(long_id, o) for o in ("aero", "urban")]
    async with running_app(path, clock) as (app, platform):
        await vote(app, clock, ("ann", actions[0], "console"), ("bob", actions[1], "console"))
        command, _ = staff("close", long_id)
        await app.handle(command)
        assert platform.posts_of(PollMessage)[-1].poll_id == made
        await vote(app, clock, ("ann", encode_vote(made, "aero"), "console"))


async def _until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0.01)


async def _rounds(path: Path) -> list[str]:
    store = open_store(load_config(path).database_url)
    await store.open()
    try:
        return [r.poll_id for r in await store.poll_rounds()]
    finally:
        await store.close()
