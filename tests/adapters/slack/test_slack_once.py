"""Posting exactly once on Slack: a post sent with a claim key carries it in its message
metadata, and find_sent reads it back from conversations.history — also for a post
whose answer was lost, and after the post was edited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.core.content import TextMessage
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import PlatformError
from tests.adapters.slack.harness import slack_app

NEWS = "C0NEWS"  # a channel the app itself posts nothing to
WHERE = ChannelRef("slack", NEWS)
KEY = "5f0c3e9a7d21b4c86e13a0f2"  # 24 hex characters, as the core's claim keys
OTHER_KEY = "0a1b2c3d4e5f60718293a4b5"
PROMPT = TextMessage("What are you riding this weekend?")


def claim(key: str) -> dict[str, object]:
    return {"event_type": "engagebot_post", "event_payload": {"claim": key}}


async def test_a_keyed_post_carries_its_key_and_is_found_again(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        since = run.clock.now()
        assert await run.adapter.find_sent(WHERE, KEY, since) is None  # nothing yet
        ref = await run.adapter.send(WHERE, PROMPT, key=KEY)
        plain = await run.adapter.send(WHERE, PROMPT)  # no key: no metadata
        posts = [c for c in run.fake.calls_to("chat.postMessage") if c.args["channel"] == NEWS]
        assert posts[0].args["metadata"] == claim(KEY)
        assert "metadata" not in posts[1].args
        assert await run.adapter.find_sent(WHERE, KEY, since) == ref
        assert await run.adapter.find_sent(WHERE, OTHER_KEY, since) is None
        assert plain != ref
        reads = run.fake.calls_to("conversations.history")
        assert reads and all(c.args["include_all_metadata"] == "1" for c in reads)
        assert all(c.args["channel"] == NEWS and float(c.args["oldest"]) > 0 for c in reads)


@pytest.mark.parametrize(("how", "error"), [("drop", PlatformError), ("500", SlackApiError)])
async def test_a_post_whose_answer_was_lost_is_found(
    tmp_path: Path, how: str, error: type[Exception]
) -> None:
    async with slack_app(tmp_path) as run:
        since = run.clock.now()
        run.fake.lose_next_post_answers(how)
        with pytest.raises(error):
            await run.adapter.send(WHERE, PROMPT, key=KEY)
        # Posted once: nothing resent it blindly (slack_sdk retries a dropped
        # connection by default, which posted it twice).
        [(_, ts)] = [k for k in run.fake.messages if k[0] == NEWS]
        assert await run.adapter.find_sent(WHERE, KEY, since) == MessageRef(WHERE, ts)


async def test_an_edited_post_is_still_found(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        since = run.clock.now()
        ref = await run.adapter.send(WHERE, PROMPT, key=KEY)
        await run.adapter.edit(ref, TextMessage("What are you riding this Sunday?"))
        assert run.fake.messages[(NEWS, ref.id)]["text"].endswith("Sunday?")
        assert await run.adapter.find_sent(WHERE, KEY, since) == ref


async def test_only_our_bot_s_post_with_the_key_since_the_claim_matches(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        since = run.clock.now()
        an_hour_ago = f"{(since - timedelta(hours=1)).timestamp():.6f}"
        old = fake.add_message(
            NEWS,
            "ours, before",
            user="UBOT",
            bot_id="B0ENGAGE",
            metadata=claim(KEY),
            ts=an_hour_ago,
        )
        fake.add_message(NEWS, "another app", user="UOTHER", bot_id="B0OTHER", metadata=claim(KEY))
        fake.add_message(NEWS, "a customer", user="UANN", metadata=claim(KEY))
        other_event = {"event_type": "someone_else", "event_payload": {"claim": KEY}}
        fake.add_message(NEWS, "ours, other", user="UBOT", bot_id="B0ENGAGE", metadata=other_event)
        fake.add_message(NEWS, "ours, plain", user="UBOT", bot_id="B0ENGAGE")
        assert await run.adapter.find_sent(WHERE, KEY, since) is None
        earlier = since - timedelta(hours=2)
        assert await run.adapter.find_sent(WHERE, KEY, earlier) == MessageRef(WHERE, old)


async def test_find_sent_reads_past_the_first_page(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        since = run.clock.now()
        ref = await run.adapter.send(WHERE, PROMPT, key=KEY)
        for n in range(250):  # a busy channel since
            run.fake.add_message(NEWS, f"chat {n}", user="UANN")
        assert await run.adapter.find_sent(WHERE, KEY, since) == ref
        reads = run.fake.calls_to("conversations.history")
        assert len(reads) == 2 and reads[1].args.get("cursor")


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("not_in_channel", "invite the bot"),
        ("channel_not_found", "check the channel id"),
        ("missing_scope", "channels:history"),
    ],
)
async def test_find_sent_raises_when_slack_cannot_tell(
    tmp_path: Path, code: str, hint: str
) -> None:
    async with slack_app(tmp_path) as run:
        run.fake.unreadable[NEWS] = code
        with pytest.raises(PlatformError, match=f"{code}.*{hint}"):
            await run.adapter.find_sent(WHERE, KEY, run.clock.now())


async def test_a_post_whose_connection_dropped_is_not_sent_again_blindly(tmp_path: Path) -> None:
    """slack_sdk resends a request whose connection dropped, by default: for a post Slack
    had already made, that was a second message. The outcome is left to find_sent."""
    async with slack_app(tmp_path) as run:
        run.fake.lose_next_post_answers("drop")
        with pytest.raises(PlatformError, match="may have been posted"):
            await run.adapter.send(WHERE, PROMPT)
        assert len([k for k in run.fake.messages if k[0] == NEWS]) == 1
