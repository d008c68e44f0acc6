"""The gateway side: resuming after a dropped connection, staff slash commands, prompts
with reply threads, and start-up failures."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.adapters.registry import build_adapters
from bot.app import App
from bot.clock import SystemClock
from bot.config import load_config
from bot.core.content import Image, PromptMessage
from bot.core.events import Event, MessageReceived
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import ConfigError, PlatformError
from bot.storage import open_store
from bot.storage.base import PollState
from tests.adapters.discord.discord_harness import (
    AERO,
    STAFF_USER,
    URBAN,
    buttons,
    poll_message,
    running_app,
    shown_after_edits,
    texts,
    write_config,
)
from tests.adapters.discord.discord_payloads import FakeUser
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.conftest import REPO


async def test_clicks_survive_a_dropped_gateway_connection(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        before = await fake.click(message_id, AERO, fake.customer(1))
        await before.answered()

        await fake.drop_connection()
        # Clicked while the bot is disconnected: Discord keeps the event for the session
        # and replays it when the client RESUMEs.
        during = await fake.click(message_id, URBAN, fake.customer(2))
        await fake.wait_until(fake.connected)
        await during.answered()
        after = await fake.click(message_id, AERO, fake.customer(3))
        await after.answered()

        assert fake.identifies == 1 and fake.resumes == 1
        # READY named wss://gateway-us-east1-b.discord.gg for resuming; with gateway_url
        # configured the client resumes there instead (the offline guard sees no lookup).
        assert fake.resume_gateway_url.startswith("wss://gateway-us-east1-b.discord.gg")
        assert fake.gateway_paths == ["/gateway", "/gateway"]
        assert during.reply.startswith("✅") and after.reply.startswith("✅")
        assert (await app.store.tally("helmets")).counts == {"aero": 2, "urban": 1}
        await app.live.flush()
        assert "**2** votes · 67%" in shown_after_edits(fake, message_id)


async def test_staff_commands_are_allowed_for_staff_and_refused_for_others(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        vote = await fake.click(message_id, AERO, fake.customer(1))
        await vote.answered()

        listing = await fake.command("list", fake.customer(2, staff=True))  # by role
        await listing.answered()
        assert listing.ephemeral
        assert listing.reply.startswith("helmets: Which helmet should we stock? [open")

        refused = await fake.command("close", fake.customer(3), poll="helmets")
        await refused.answered()
        assert refused.ephemeral
        assert refused.reply == "Sorry, only the shop's staff can close polls."

        results = await fake.command("results", fake.customer(4), poll="helmets")
        await results.answered()
        assert results.reply == "Sorry, only the shop's staff can look up results."

        by_id = FakeUser(STAFF_USER, "owner")  # listed in staff_users, no role
        closing = await fake.command("close", by_id, poll="helmets")
        await closing.answered()
        assert closing.reply.startswith("Poll “Which helmet should we stock?” (helmets) is closed")
        final = fake.edits(message_id)[-1].body
        assert all(b["disabled"] for b in buttons(final["components"]))
        assert "Voting closed" in texts(final["components"])
        assert "leads with 100% of the votes" in texts(fake.posts()[-1].body["components"])
        record = await app.store.get_poll("helmets")
        assert record is not None and record.state is PollState.CLOSED

        unknown = await fake.command("close", by_id, poll="nope")
        await unknown.answered()
        assert unknown.reply.startswith("There is no poll with id 'nope'")


class Recorder:
    """Sits between the adapter and the app and keeps what the adapter delivers."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.events: list[Event] = []

    async def handle(self, event: Event) -> None:
        self.events.append(event)
        await self.app.handle(event)

    def messages(self) -> list[MessageReceived]:
        return [e for e in self.events if isinstance(e, MessageReceived)]


async def test_prompt_with_thread_and_replies_are_delivered(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, adapter):
        recorder = Recorder(app)
        adapter.client.sink = recorder
        channel = ChannelRef("discord", str(fake.channel_id))
        prompt = PromptMessage(
            prompt_id="daily",
            text="What was your best ride this week? Share a photo!",
            image=Image(path=REPO / "config" / "images" / "trail.png"),
            open_thread=True,
            thread_name="Best rides",
        )
        ref = await adapter.send(channel, prompt)
        post = fake.posts()[-1]
        assert post.files.keys() == {"image.png"}
        assert "What was your best ride this week?" in texts(post.body["components"])
        thread_id = int(ref.id)  # a thread started from a message has the message's id
        assert fake.threads[thread_id]["name"] == "Best rides"
        await fake.wait_until(lambda: thread_id in adapter.client.threads)

        customer = fake.customer(5)
        first_id = await fake.user_message(thread_id, customer, "Col du Galibier!")
        await fake.user_message(fake.channel_id, customer, reply_to=int(ref.id))
        await fake.user_message(fake.channel_id, customer, "hello")
        await fake.wait_until(lambda: len(recorder.messages()) == 3)

        in_thread, reply, plain = recorder.messages()
        prompt_ref = MessageRef(channel, ref.id)
        assert in_thread.thread_of == prompt_ref and in_thread.reply_to is None
        assert in_thread.channel == ChannelRef("discord", str(thread_id))
        assert in_thread.user.id == str(customer.id)
        assert reply.reply_to == prompt_ref and reply.thread_of is None
        assert plain.reply_to is None and plain.thread_of is None
        # The bot's own posts (MESSAGE_CREATE for the prompt and the poll) are not replies.
        assert all(m.user.id != str(fake.bot.id) for m in recorder.messages())
        # A replayed MESSAGE_CREATE (after RESUME) carries the same id: counted once.
        assert in_thread.message_id == str(first_id)
        await fake.dispatch("MESSAGE_CREATE", fake.messages[first_id])
        await fake.wait_until(lambda: len(recorder.messages()) == 4)
        assert recorder.messages()[-1].message_id == in_thread.message_id


async def test_start_up_uses_the_registry_and_keeps_the_token_secret(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_config(tmp_path, fake)
    bad = load_config(
        tmp_path / "bot.yaml", env={"DISCORD_TOKEN": "d3Jvbmc.dG9rZW4.d3JvbmctdG9rZW4tMTIz"}
    )
    [adapter] = build_adapters(bad, SystemClock())
    app = App(bad, open_store(bad.database_url), [adapter], SystemClock())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PlatformError) as refused:
        await app.start()
    await app.store.close()
    assert "did not accept the bot token" in str(refused.value)
    assert "d3Jvbmc.dG9rZW4.d3JvbmctdG9rZW4tMTIz" not in str(refused.value)
    assert "d3Jvbmc.dG9rZW4.d3JvbmctdG9rZW4tMTIz" not in caplog.text
    assert [c.status for c in fake.calls] == [401]
    assert fake.identifies == 0
    assert fake.intents == []


async def test_intents_are_the_minimum_and_the_token_is_never_logged(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = write_config(tmp_path, fake)
    async with running_app(config):
        guilds, guild_messages = 1 << 0, 1 << 9
        assert fake.intents == [guilds | guild_messages]  # no privileged message_content
        await fake.drop_connection()  # RESUME sends the token again
        await fake.wait_until(lambda: fake.resumes == 1 and fake.connected())
    assert "discord.gateway" in caplog.text  # discord.py's debug output was captured
    assert fake.token not in caplog.text


def test_more_options_than_discord_can_show_is_a_config_error(tmp_path: Path) -> None:
    options = "\n".join(f"      - {{id: o{n}, label: Option {n}}}" for n in range(10))
    (tmp_path / "bot.yaml").write_text(
        "store: {name: Shop}\n"
        "platforms:\n  discord: {token: '${DISCORD_TOKEN}'}\n"
        "channels:\n  community: {discord: '1'}\n"
        "polls:\n  - id: big\n    question: Which?\n    channels: [community]\n"
        f"    options:\n{options}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as problem:
        load_config(tmp_path / "bot.yaml", env={"DISCORD_TOKEN": "eA.eA.eA"})
    assert "discord" in str(problem.value) and "9" in str(problem.value)
