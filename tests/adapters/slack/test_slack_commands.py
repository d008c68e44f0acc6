"""The staff slash command on Slack, and closing a poll from it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from slack_bolt.response import BoltResponse

from bot import messages
from bot.clock import FakeClock
from bot.core.actions import encode_vote
from bot.storage.base import PollState
from tests.adapters.slack.harness import CHANNEL, SlackRun, slack_app

AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")


def ack_text(response: BoltResponse) -> str:
    """The ephemeral text a slash command's ack carries."""
    body = json.loads(response.body)
    assert body.get("response_type") == "ephemeral"
    return str(body["text"])


async def reply_of(run: SlackRun, user: str, text: str) -> str:
    """What the user sees: the ack's text, or — when the work outlasted the ack
    deadline — the reply that followed through the response_url."""
    seen = len(command_replies(run, user))
    first = ack_text(await run.command(user, text))
    if first != messages.SLACK_WORKING.format():
        return first
    await run.fake.wait_for(lambda: len(command_replies(run, user)) > seen, 15)
    return str(command_replies(run, user)[seen]["text"])


def command_replies(run: SlackRun, user: str) -> list[dict[str, Any]]:
    """Bodies posted to the response_url of user's commands (clicks have their own)."""
    return [body for name, body in run.fake.responses if name == f"command-{user}"]


async def test_staff_users_and_group_members_may_use_the_command(tmp_path: Path) -> None:
    async with slack_app(tmp_path, usergroups={"S0STAFF": ["UGROUPIE"]}) as run:
        fake = run.fake
        listed = await reply_of(run, "UMERCHANT", "list")
        assert "Which helmet should we stock?" in listed and "helmets" in listed

        results = await reply_of(run, "UGROUPIE", "results helmets")
        assert results.startswith("Which helmet should we stock? [helmets, open]")
        await reply_of(run, "UGROUPIE", "list")
        # Group membership is looked up once and cached.
        assert len(fake.calls_to("usergroups.users.list")) == 1
        # A member removed from the group loses access once the cache expires (app clock).
        fake.usergroups["S0STAFF"] = []
        assert isinstance(run.clock, FakeClock)
        await run.clock.advance(timedelta(seconds=61))
        gone = await reply_of(run, "UGROUPIE", "list")
        assert gone == "Sorry, only the shop's staff can list polls."
        assert len(fake.calls_to("usergroups.users.list")) == 2

        refused = await reply_of(run, "UEVE", "close helmets")
        assert refused == "Sorry, only the shop's staff can close polls."
        assert (await run.app.store.get_poll("helmets")).state is PollState.OPEN  # type: ignore[union-attr]

        usage = await reply_of(run, "UEVE", "")
        assert usage.startswith("Usage: `/engage list`")
        assert (await reply_of(run, "UMERCHANT", "dance")).startswith("Usage:")
        assert await reply_of(run, "UMERCHANT", "results") == ("Usage: results POLL")


async def test_unreadable_user_group_means_not_staff(tmp_path: Path) -> None:
    async with slack_app(tmp_path, usergroups={}) as run:  # S0STAFF does not exist
        refused = await reply_of(run, "UGROUPIE", "list")
        assert refused == "Sorry, only the shop's staff can list polls."
        assert "Which helmet" in await reply_of(run, "UMERCHANT", "list")


async def test_close_removes_buttons_then_posts_results(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        await run.click("UANN", AERO)
        await run.click("UBOB", AERO)
        await run.click("UCY", URBAN)

        reply = await reply_of(run, "UMERCHANT", "close helmets")
        assert reply == (
            "Poll “Which helmet should we stock?” (helmets) is closed; results are being posted."
        )
        final = fake.messages[(CHANNEL, run.poll_ts())]["blocks"]
        assert [b for b in final if b["type"] == "actions"] == []  # buttons removed
        assert "Voting closed · final results · 3 voters" in final[-1]["elements"][0]["text"]
        assert "2 votes · 67%" in final[3]["text"]["text"]

        posts = fake.calls_to("chat.postMessage")
        results = posts[-1].args
        assert results["channel"] == CHANNEL
        assert results["blocks"][0]["text"]["text"] == ("🏁 Results: Which helmet should we stock?")
        assert "AeroLite MIPS" in results["blocks"][1]["text"]["text"]
        # 3 customers, fewer than min_votes: it leads but is no winner, so no trophy.
        rows = results["blocks"][2]["text"]["text"]
        assert "*AeroLite MIPS*  2 (67%)" in rows and "🏆" not in rows
        # The results chart is a local PNG: uploaded into the results post's thread.
        chart = fake.calls_to("files.completeUploadExternal")[-1].args
        assert chart["thread_ts"] == posts[-1].answer["ts"]
        assert fake.uploads[chart["files"][0]["id"]].startswith(b"\x89PNG")

        await run.click("UDAN", URBAN)
        await fake.wait_for(lambda: len(fake.ephemerals("UDAN")) == 1)
        assert fake.ephemerals("UDAN")[0].startswith(
            "Sorry, voting on “Which helmet should we stock?” has closed"
        )
        assert await run.tally() == {"aero": 2, "urban": 1}


async def test_slow_close_is_acknowledged_in_time_and_answered_later(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        await run.click("UANN", AERO)
        await fake.wait_for(lambda: len(fake.calls_to("chat.update")) == 1)
        # The final tally edit is rate-limited for 3 s: longer than Slack waits for an ack.
        fake.rate_limit("chat.update", retry_after=3)
        response = await run.command("UMERCHANT", "close helmets")
        assert ack_text(response) == "⏳ Working on it…"
        # The edit waits out Retry-After on the app's clock: nothing happens until it moves.
        await fake.wait_for(lambda: any(c.status == 429 for c in fake.calls))
        assert command_replies(run, "UMERCHANT") == []
        assert isinstance(run.clock, FakeClock)
        await run.clock.advance(timedelta(seconds=3))
        await fake.wait_for(lambda: len(command_replies(run, "UMERCHANT")) == 1, 10)
        [body] = command_replies(run, "UMERCHANT")
        assert body["response_type"] == "ephemeral"
        assert body["text"].startswith("Poll “Which helmet should we stock?” (helmets) is closed")
        final = fake.messages[(CHANNEL, run.poll_ts())]["blocks"]
        assert [b for b in final if b["type"] == "actions"] == []
