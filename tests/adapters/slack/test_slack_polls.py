"""Polls on Slack end to end: the real App and slack-bolt against the local fake, with
signed requests dispatched to the bolt app the way Slack delivers them."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from slack_bolt.response import BoltResponse

from bot.clock import FakeClock
from bot.core.actions import encode_vote
from bot.core.content import PollMessage
from bot.core.events import ActionInvoked
from tests.adapters.slack.harness import CHANNEL, PNG, slack_app

AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")
TRAIL = encode_vote("helmets", "trail")


def kinds(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["type"] for b in blocks]


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["action_id"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_poll_is_posted_as_product_cards(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        posts = fake.calls_to("chat.postMessage")
        assert len(posts) == 1
        args = posts[0].args
        assert args["channel"] == CHANNEL
        assert "Which helmet should we stock?" in args["text"]
        blocks = args["blocks"]
        assert kinds(blocks) == [
            "header", "section",
            "divider", "section", "actions",
            "divider", "section", "actions",
            "divider", "section", "actions",
            "context",
        ]  # fmt: skip
        assert blocks[0]["text"]["text"] == "📊 Which helmet should we stock?"
        aero = blocks[3]
        assert aero["text"]["text"].startswith("*1. AeroLite MIPS*  ·  €89.00\n")
        assert "Light road helmet with MIPS." in aero["text"]["text"]
        assert "<https://example.com/aero|View product>" in aero["text"]["text"]
        assert "`░░░░░░░░░░`  0 votes · 0%" in aero["text"]["text"]
        assert aero["accessory"] == {
            "type": "image",
            "image_url": "https://example.com/aero.jpg",
            "alt_text": "AeroLite MIPS",
        }
        urban = blocks[6]
        assert "accessory" not in urban  # a local file has no public URL
        assert "📷 photo in the thread" in urban["text"]["text"]
        assert buttons(blocks) == [
            ("Vote: AeroLite MIPS", AERO),
            ("Vote: Urban Shell", URBAN),
            ("Vote: Trail Pro", TRAIL),
        ]
        assert "0 votes" in blocks[-1]["elements"][0]["text"]

        # The local photo went into the poll's thread, through the upload API.
        complete = fake.calls_to("files.completeUploadExternal")
        assert len(complete) == 1
        assert complete[0].args["channel_id"] == CHANNEL
        assert complete[0].args["thread_ts"] == posts[0].answer["ts"]
        assert [f["title"] for f in complete[0].args["files"]] == ["2. Urban Shell"]
        assert list(fake.uploads.values()) == [PNG]


async def test_click_is_stored_before_the_ack_then_confirmed_privately(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        response = await run.click("UANN", AERO)
        assert response.status == 200
        # The ack has been sent: the vote must already be in the database.
        assert await run.tally() == {"aero": 1}
        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)
        # Through the click's response_url, not the workspace's chat.postEphemeral budget.
        assert fake.calls_to("chat.postEphemeral") == []
        [(name, body)] = fake.responses
        assert name == "click-UANN"
        assert body["response_type"] == "ephemeral" and body["replace_original"] is False
        assert body["text"].startswith(
            "✅ Your vote for AeroLite MIPS is counted in “Which helmet should we stock?”."
        )
        # The live tally reaches the poll message.
        await fake.wait_for(lambda: len(fake.calls_to("chat.update")) >= 1)
        update = fake.calls_to("chat.update")[-1].args
        assert update["ts"] == run.poll_ts()
        assert "`██████████`  1 vote · 100%" in update["blocks"][3]["text"]["text"]

        ballot = await run.app.store.tally("helmets")
        assert ballot.voters == 1
        assert run.app.events[-1].user.key == "slack:UANN"  # type: ignore[union-attr]


async def test_no_ack_while_the_vote_cannot_be_stored(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        # Another process holds the database's write lock for a moment.
        database = run.app.config.database_url.removeprefix("sqlite:///")
        blocker = sqlite3.connect(database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            click = asyncio.ensure_future(run.click("UANN", AERO))
            await asyncio.sleep(0.5)
            assert not click.done()  # Slack has not been answered yet
            assert fake.ephemerals("UANN") == []
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        response = await click
        assert response.status == 200
        assert await run.tally() == {"aero": 1}


async def test_forged_and_stale_action_ids_get_a_polite_reply(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        for forged in ("v1:vote:nope:aero", "garbage", "v1:vote:helmets:" + "x" * 200):
            response = await run.click("UEVE", forged)
            assert response.status == 200  # acknowledged, not "This app didn't respond"
        await fake.wait_for(lambda: len(fake.ephemerals("UEVE")) == 3)
        assert all(
            text.startswith("Sorry, this button doesn't belong to a poll I know")
            for text in fake.ephemerals("UEVE")
        )
        await run.click("UEVE", "v1:vote:helmets:zzz")
        await fake.wait_for(lambda: len(fake.ephemerals("UEVE")) == 4)
        assert fake.ephemerals("UEVE")[-1].startswith("Sorry, that option isn't part of")
        assert await run.tally() == {}
        assert fake.calls_to("chat.update") == []


async def test_retried_click_is_counted_once(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        stamp = run.action_ts()
        first, again = await asyncio.gather(
            run.click("UANN", AERO, action_ts=stamp),
            run.click("UANN", AERO, action_ts=stamp, retry=1),
        )
        late = await run.click("UANN", AERO, action_ts=stamp, retry=2)
        assert first.status == again.status == late.status == 200
        assert await run.tally() == {"aero": 1}
        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) >= 1)
        await asyncio.sleep(0.2)
        assert len(fake.ephemerals("UANN")) == 1  # one confirmation, not three
        assert (await run.app.store.tally("helmets")).voters == 1


async def test_five_hundred_voters_exact_tally_and_few_updates(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        actions = [AERO, URBAN, TRAIL]
        loop = asyncio.get_running_loop()
        acks: list[float] = []

        async def timed_click(i: int) -> BoltResponse:
            started = loop.time()
            response = await run.click(f"U{i:04d}", actions[i % 3])
            acks.append(loop.time() - started)
            return response

        started = loop.time()
        responses = await asyncio.gather(*(timed_click(i) for i in range(500)))
        elapsed = loop.time() - started
        assert all(r.status == 200 for r in responses)
        assert await run.tally() == {"aero": 167, "urban": 167, "trail": 166}
        await fake.wait_for(lambda: len(fake.ephemerals(via="response_url")) == 500, 20)
        assert fake.calls_to("chat.postEphemeral") == []  # no workspace-wide 429 risk
        assert {name for name, _ in fake.responses} == {f"click-U{i:04d}" for i in range(500)}
        await run.app.settle()
        updates = fake.calls_to("chat.update")
        acks.sort()
        print(
            f"\n500 concurrent Slack clicks in {elapsed:.2f} s; ack after "
            f"p50 {acks[250] * 1000:.0f} ms, p99 {acks[494] * 1000:.0f} ms; "
            f"{len(updates)} chat.update calls"
        )
        assert 1 <= len(updates) <= 6
        final = fake.messages[(CHANNEL, run.poll_ts())]["blocks"]
        assert "500 votes" in final[-1]["elements"][0]["text"]
        assert "167 votes · 33%" in final[3]["text"]["text"]


async def test_rate_limited_update_waits_for_retry_after(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        fake.rate_limit("chat.update", retry_after=1)
        await run.click("UANN", AERO)
        await fake.wait_for(lambda: any(c.status == 429 for c in fake.calls))
        await asyncio.sleep(0.1)  # an immediate retry would show up now
        assert fake.calls_to("chat.update") == []  # never an immediate retry
        assert isinstance(run.clock, FakeClock)
        await run.clock.advance(timedelta(milliseconds=900))
        await asyncio.sleep(0.1)
        assert fake.calls_to("chat.update") == []
        await run.clock.advance(timedelta(milliseconds=100))  # Retry-After is over
        await fake.wait_for(lambda: len(fake.calls_to("chat.update")) == 1, 10)
        limited = [c for c in fake.calls if c.method == "chat.update" and c.status == 429]
        assert len(limited) == 1
        # After a 429 the workspace's edit budget restarts gently: it refills on the clock.
        await run.clock.advance(timedelta(seconds=5))
        await run.click("UBOB", URBAN)
        await run.app.settle()
        final = fake.messages[(CHANNEL, run.poll_ts())]["blocks"]
        assert "2 votes" in final[-1]["elements"][0]["text"]


async def test_hidden_results_stay_hidden_until_close(tmp_path: Path) -> None:
    async with slack_app(tmp_path, results="on_close") as run:
        fake = run.fake
        await run.click("UANN", AERO)
        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)
        assert "Results are shown when the poll closes." in fake.ephemerals("UANN")[0]
        posted = fake.calls_to("chat.postMessage")[0].args["blocks"]
        assert not any("vote" in b.get("text", {}).get("text", "") for b in posted[2:-1])
        assert fake.calls_to("chat.update") == []
        event = run.app.events[-1]
        assert isinstance(event, ActionInvoked)
        assert (event.user.key, event.action_id) == ("slack:UANN", AERO)
        [confirmation] = fake.ephemerals("UANN")
        assert confirmation.startswith(
            "✅ Your vote for AeroLite MIPS is counted in “Which helmet should we stock?”. "
            "You can change it until "
        )
        assert confirmation.endswith(". Results are shown when the poll closes.")
        content = await run.app.polls.content("helmets")
        assert isinstance(content, PollMessage) and not content.results_visible
