"""Slack answering badly: an API base written without "/api/", transient failures of
chat.update at close, channels that refuse posts for good, and response_urls that
no longer work."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.adapters.slack.adapter import api_base
from bot.clock import FakeClock
from bot.core.actions import encode_vote
from bot.core.content import TextMessage
from bot.core.refs import ChannelRef
from bot.errors import PlatformError
from tests.adapters.slack.harness import (
    CHANNEL,
    FORM,
    command_body,
    fake_slack,
    running,
    slack_app,
    write_config,
)

AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")


def test_api_base_accepts_the_usual_spellings() -> None:
    for spelling in (
        "https://slack-gov.com",
        "https://slack-gov.com/",
        "https://slack-gov.com/api",
        "https://slack-gov.com/api/",
    ):
        assert api_base(spelling) == "https://slack-gov.com/api/"


@pytest.mark.parametrize(("suffix", "mode"), [("/api", "socket"), ("", "http")])
async def test_api_base_url_without_trailing_slash_or_api_still_reaches_slack(
    tmp_path: Path, suffix: str, mode: str
) -> None:
    async with fake_slack() as fake:
        path = write_config(tmp_path, fake, mode=mode, base_url=fake.root + suffix)
        async with running(path, fake) as run:
            assert len(fake.calls_to("auth.test")) == 1
            if mode == "socket":  # Socket Mode's connections.open goes through it too
                assert len(fake.calls_to("apps.connections.open")) == 1
            assert len(fake.calls_to("chat.postMessage")) == 1
            assert len(fake.calls_to("files.completeUploadExternal")) == 1  # and uploads
            await run.click("UANN", AERO)
            await run.app.settle()
            assert await run.tally() == {"aero": 1}
            final = fake.messages[(CHANNEL, run.poll_ts())]["blocks"]
            assert "1 vote" in final[-1]["elements"][0]["text"]
        # fake_slack's exit fails the test on any call to a path it does not know


@pytest.mark.parametrize(
    ("status", "error"), [(500, "Internal Server Error"), (200, "internal_error")]
)
async def test_final_edit_at_close_survives_a_transient_failure(
    tmp_path: Path, status: int, error: str
) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        await run.click("UANN", AERO)
        await run.click("UBOB", URBAN)
        await run.app.settle()
        fake.fail("chat.update", error, status=status)  # the close's final edit, once
        close = asyncio.ensure_future(
            run.dispatch(command_body(fake, "UMERCHANT", "close helmets"), FORM)
        )
        await fake.wait_for(lambda: any(c.status != 200 for c in fake.calls), 15)
        await asyncio.sleep(0.1)  # an immediate retry would show up now
        edits = len(fake.calls_to("chat.update"))
        # The back-off (1 s, plus up to 25 % jitter) runs on the app's clock.
        assert isinstance(run.clock, FakeClock)
        await run.clock.advance(timedelta(seconds=0.9))
        await asyncio.sleep(0.1)
        assert len(fake.calls_to("chat.update")) == edits  # backed off, no immediate retry
        await run.clock.advance(timedelta(seconds=0.4))
        await close
        await fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) == 2, 15)  # results

        final = fake.messages[(CHANNEL, run.poll_ts())]["blocks"]
        assert [b for b in final if b["type"] == "actions"] == []  # no live buttons left
        assert "Voting closed · final results · 2 voters" in final[-1]["elements"][0]["text"]
        assert "1 vote · 50%" in final[3]["text"]["text"]
        failed = [c for c in fake.calls if c.method == "chat.update" and c.status != 200]
        assert len(failed) == 1
        assert len(fake.calls_to("chat.update")) == edits + 1


async def test_edit_of_a_deleted_message_gives_up_quietly(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        del fake.messages[(CHANNEL, run.poll_ts())]  # someone deleted the poll message
        await run.dispatch(command_body(fake, "UMERCHANT", "close helmets"), FORM)
        await fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) == 2, 15)
        updates = [c for c in fake.calls if c.method == "chat.update"]
        assert [c.answer.get("error") for c in updates] == ["message_not_found"]  # once
        # (the autouse fixture fails the test if anything logged an error)


async def test_channel_that_refuses_posts_cools_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        assert isinstance(run.clock, FakeClock)
        outside = ChannelRef("slack", "C0NOTIN")
        fake.fail("chat.postMessage", "not_in_channel")
        before = len([c for c in fake.calls if c.method == "chat.postMessage"])
        with pytest.raises(SlackApiError):
            await run.adapter.send(outside, TextMessage("Hello"))
        for _ in range(3):  # the app tries again every few seconds: refused at once
            with pytest.raises(PlatformError, match="not_in_channel"):
                await run.adapter.send(outside, TextMessage("Hello"))
        posts = [c for c in fake.calls if c.method == "chat.postMessage"]
        assert len(posts) == before + 1  # Slack was asked once
        hints = [r for r in caplog.records if "invite the bot" in r.getMessage()]
        assert len(hints) == 1 and "C0NOTIN" in hints[0].getMessage()

        # Other channels are not affected.
        await run.adapter.send(ChannelRef("slack", CHANNEL), TextMessage("Still here"))
        # After the cool-down Slack is asked again (the bot has been invited meanwhile).
        await run.clock.advance(timedelta(minutes=11))
        await run.adapter.send(outside, TextMessage("Hello"))
        assert fake.calls_to("chat.postMessage")[-1].args["channel"] == "C0NOTIN"


async def test_click_confirmation_falls_back_when_the_response_url_fails(
    tmp_path: Path,
) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        fake.refuse_responses(1)  # Slack: expired_url
        await run.click("UANN", AERO)
        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)
        [call] = fake.calls_to("chat.postEphemeral")
        assert (call.args["channel"], call.args["user"]) == (CHANNEL, "UANN")
        assert call.args["text"].startswith("✅ Your vote for AeroLite MIPS is counted")
        assert fake.responses == []  # the refused attempt delivered nothing
