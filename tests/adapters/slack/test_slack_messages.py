"""Daily prompts on Slack: posted with their image; replies in the prompt's thread reach
the app as MessageReceived(thread_of=the prompt)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.core.content import Image, PromptMessage
from bot.core.events import MessageReceived
from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import PromptReply
from tests.adapters.slack.fake_slack import Call
from tests.adapters.slack.harness import (
    CHANNEL,
    PNG,
    SlackRun,
    fake_slack,
    message_event_body,
    running,
    slack_app,
    write_config,
)

SLACK_CHANNEL = ChannelRef("slack", CHANNEL)


def received(run: SlackRun) -> list[MessageReceived]:
    return [e for e in run.app.events if isinstance(e, MessageReceived)]


async def post_event(run: SlackRun, body: str, retry: int | None = None) -> None:
    response = await run.dispatch(body, "application/json", retry)
    assert response.status == 200


async def test_prompt_with_local_image_and_thread_replies(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        prompt = PromptMessage(
            prompt_id="daily",
            text="What was your best ride this week? <Share> a photo & a story!",
            image=Image(path=tmp_path / "images" / "urban.png"),
            open_thread=True,
            thread_name="Best rides",
        )
        ref = await run.adapter.send(SLACK_CHANNEL, prompt)
        post = fake.calls_to("chat.postMessage")[-1]
        assert ref == MessageRef(SLACK_CHANNEL, post.answer["ts"])
        blocks = post.args["blocks"]
        assert blocks[0]["text"]["text"] == (
            "What was your best ride this week? &lt;Share&gt; a photo &amp; a story!"
        )
        assert blocks[1]["elements"][0]["text"] == (
            "*Best rides* — 💬 Reply in the thread: every answer counts.  ·  📷 image in the thread"
        )
        upload = fake.calls_to("files.completeUploadExternal")[-1].args
        assert (upload["channel_id"], upload["thread_ts"]) == (CHANNEL, ref.id)
        assert PNG in fake.uploads.values()

        reply = message_event_body("Ev1", "UANN", "Col de la Croix!", "1800000100.000100", ref.id)
        await post_event(run, reply)
        await post_event(run, reply, retry=1)  # Slack re-sent it: counted once
        top = message_event_body("Ev2", "UBOB", "hello shop", "1800000101.000100")
        await post_event(run, top)
        edited = message_event_body("Ev3", "UBOB", "hello", "1800000102.000100")
        await post_event(
            run,
            edited.replace(
                '"type": "message"', '"type": "message", "subtype": "message_changed"', 1
            ),
        )
        own = message_event_body("Ev4", "UBOT", "my own post", "1800000103.000100", ref.id)
        await post_event(run, own)

        await fake.wait_for(lambda: len(received(run)) >= 2)
        got = received(run)
        assert [(m.user.key, m.text, m.thread_of) for m in got] == [
            ("slack:UANN", "Col de la Croix!", ref),
            ("slack:UBOB", "hello shop", None),
        ]
        assert got[0].channel == SLACK_CHANNEL


async def test_prompt_with_public_image_and_plain_text(tmp_path: Path) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        prompt = PromptMessage(
            "daily",
            "Which accessory do you never ride without?",
            image=Image(url="https://example.com/bell.jpg"),
        )
        await run.adapter.send(SLACK_CHANNEL, prompt)
        blocks = fake.calls_to("chat.postMessage")[-1].args["blocks"]
        assert [b["type"] for b in blocks] == ["section", "image"]
        assert blocks[1]["image_url"] == "https://example.com/bell.jpg"
        assert len(fake.calls_to("files.completeUploadExternal")) == 1  # the poll's photo only


PROMPT = """\
prompts:
  - id: daily
    channels: [community]
    at: "09:00"
    thread: true
    questions:
      - text: What was your best ride this week?
"""
MONDAY_0930_PARIS = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


async def test_daily_prompt_is_posted_and_thread_replies_are_counted(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        path = write_config(tmp_path, fake, prompts=PROMPT)
        # Running since before 09:00 (a set first seen after its time is not caught up).
        async with running(path, fake, FakeClock(MONDAY_0930_PARIS - timedelta(hours=1))):
            pass
        async with running(path, fake, FakeClock(MONDAY_0930_PARIS)) as run:
            loop = asyncio.create_task(run.app.run())  # due at 09:00: caught up at once
            try:
                await fake.wait_for(lambda: len(prompt_posts(run)) == 1)
                [post] = prompt_posts(run)
                assert post.args["blocks"][0]["text"]["text"] == (
                    "What was your best ride this week?"
                )
                ts = post.answer["ts"]
                reply = message_event_body("EvP1", "UANN", "Mont Ventoux", "1800000300.000100", ts)
                await post_event(run, reply)
                await post_event(run, reply, retry=1)
                other = message_event_body("EvP2", "UBOB", "Alpe d'Huez", "1800000301.000100", ts)
                await post_event(run, other)
                aside = message_event_body("EvP3", "UCY", "unrelated", "1800000302.000100")
                await post_event(run, aside)
                replies = await counted_replies(run, 2)
                assert sorted(r.voter_key for r in replies) == ["slack:UANN", "slack:UBOB"]
                assert {r.prompt_id for r in replies} == {"daily"}
            finally:
                run.app.stop()
                await asyncio.wait_for(loop, 10)


def prompt_posts(run: SlackRun) -> list[Call]:
    return [
        c
        for c in run.fake.calls_to("chat.postMessage")
        if c.args["text"].startswith("What was your best ride")
    ]


async def counted_replies(run: SlackRun, expected: int) -> list[PromptReply]:
    """Message events are acknowledged at once and handled after: wait for the count."""
    for _ in range(200):
        replies = await run.app.store.prompt_replies()
        if len(replies) >= expected:
            await asyncio.sleep(0.1)  # a double count would show up now
            return await run.app.store.prompt_replies()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{expected} replies were not counted in time")
