"""Posting exactly once on Discord: a post sent with a claim key is created once however
often the key is sent within Discord's nonce window, and a post whose answer was lost is
found again in the channel's history by the invisible marker it carries."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.marker import marker_for
from bot.core.content import TextMessage
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import PlatformError
from tests.adapters.discord.discord_harness import running_app, texts, write_config
from tests.adapters.discord.discord_payloads import READ_MESSAGE_HISTORY, VIEW_CHANNEL, FakeUser
from tests.adapters.discord.fake_discord import FakeDiscord

GENERAL = 900000000000000002  # the fake guild's second channel: the app posts nothing there
WHERE = ChannelRef("discord", str(GENERAL))
KEY = "5f0c3e9a7d21b4c86e13a0f2"  # 24 hex characters, as the core's claim keys
OTHER_KEY = "0a1b2c3d4e5f60718293a4b5"
PROMPT = TextMessage("What are you riding this weekend?")


@pytest.fixture
async def late() -> AsyncIterator[FakeDiscord]:
    """A Discord whose nonce window is over at once: a retry "minutes later"."""
    async with FakeDiscord(nonce_window=0.0) as server:
        yield server
        assert server.unknown == [], f"calls the fake does not know: {server.unknown}"


def now() -> datetime:
    return datetime.now(UTC)


def top_ids(fake: FakeDiscord, message_id: int) -> list[int]:
    return [component["id"] for component in fake.messages[message_id]["components"]]


async def test_the_same_key_twice_in_the_nonce_window_makes_one_message(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_app(write_config(tmp_path, fake)) as (_, adapter):
        first = await adapter.send(WHERE, PROMPT, key=KEY)
        again = await adapter.send(WHERE, PROMPT, key=KEY)
        other = await adapter.send(WHERE, PROMPT, key=OTHER_KEY)
    assert again == first
    assert other != first
    assert len(fake.bot_messages(GENERAL)) == 2
    posts = [call for call in fake.posts() if call.path == f"/channels/{GENERAL}/messages"]
    assert [(p.body["nonce"], p.body["enforce_nonce"]) for p in posts] == [
        (KEY, True),
        (KEY, True),
        (OTHER_KEY, True),
    ]
    # The marker is a component id: nothing a customer sees changes.
    assert top_ids(fake, int(first.id))[0] == marker_for(KEY)
    assert texts(fake.messages[int(first.id)]["components"]) == PROMPT.text


async def test_a_lost_answer_then_the_same_key_again_gets_the_message_already_made(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_app(write_config(tmp_path, fake)) as (_, adapter):
        fake.lose_next_post_answers("drop")
        with pytest.raises(PlatformError, match="may have been posted"):
            await adapter.send(WHERE, PROMPT, key=KEY)
        [created] = fake.bot_messages(GENERAL)
        again = await adapter.send(WHERE, PROMPT, key=KEY)
    assert again == MessageRef(WHERE, str(created))
    assert fake.bot_messages(GENERAL) == [created]


async def test_a_500_after_the_post_was_made_is_retried_into_the_same_message(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_app(write_config(tmp_path, fake)) as (_, adapter):
        fake.lose_next_post_answers("500")  # discord.py retries a 500 after 1 s
        ref = await adapter.send(WHERE, PROMPT, key=KEY)
    assert fake.bot_messages(GENERAL) == [int(ref.id)]
    assert [c.status for c in fake.posts() if c.path == f"/channels/{GENERAL}/messages"] == [
        200,
        200,
    ]


async def test_a_post_whose_answer_was_lost_is_found_after_the_nonce_window(
    late: FakeDiscord, tmp_path: Path
) -> None:
    async with running_app(write_config(tmp_path, late)) as (_, adapter):
        since = now()
        assert await adapter.find_sent(WHERE, KEY, since) is None  # nothing posted yet
        late.lose_next_post_answers("drop")
        with pytest.raises(PlatformError):
            await adapter.send(WHERE, PROMPT, key=KEY)
        [created] = late.bot_messages(GENERAL)
        found = await adapter.find_sent(WHERE, KEY, since)
        assert found == MessageRef(WHERE, str(created))
        assert await adapter.find_sent(WHERE, OTHER_KEY, since) is None
        # Past the window the nonce no longer protects: a resend would be a second post,
        # which is why the claim is resolved with find_sent first.
        await adapter.send(WHERE, PROMPT, key=KEY)
    assert len(late.bot_messages(GENERAL)) == 2
    history = [c for c in late.calls if c.method == "GET" and c.path.endswith("/messages")]
    assert history and all(int(c.body["limit"]) <= 100 and "after" in c.body for c in history)


async def test_find_sent_matches_only_our_marker_by_our_bot_after_since(
    late: FakeDiscord, tmp_path: Path
) -> None:
    marker = marker_for(KEY)
    card = [{"type": 17, "id": marker, "components": [{"type": 10, "content": "Helmets"}]}]
    unmarked = [{"type": 17, "components": [{"type": 10, "content": "Helmets"}]}]
    async with running_app(write_config(tmp_path, late)) as (_, adapter):
        since = now()
        other_bot = FakeUser(555000000000000001, "otherbot", bot=True)
        late.seed_message(GENERAL, card, author=other_bot)  # another app, same id
        late.seed_message(GENERAL, unmarked)  # ours, posted without a key
        await adapter.send(WHERE, PROMPT, key=OTHER_KEY)  # ours, another key
        await adapter.send(WHERE, PROMPT)  # ours, no key
        assert await adapter.find_sent(WHERE, KEY, since) is None

        old = late.seed_message(GENERAL, card, at=time.time() - 3600)  # ours, an hour ago
        assert await adapter.find_sent(WHERE, KEY, since) is None
        found = await adapter.find_sent(WHERE, KEY, since - timedelta(hours=2))
        assert found == MessageRef(WHERE, str(old))


async def test_edits_keep_the_marker(late: FakeDiscord, tmp_path: Path) -> None:
    async with running_app(write_config(tmp_path, late)) as (_, adapter):
        since = now()
        ref = await adapter.send(WHERE, PROMPT, key=KEY)
        await adapter.edit(ref, TextMessage("What are you riding this Sunday?"))
        await late.wait_until(lambda: any(c.status == 200 for c in late.edits(int(ref.id))))
        [edit] = late.edits(int(ref.id))
        assert edit.body["components"][0]["id"] == marker_for(KEY)
        assert await adapter.find_sent(WHERE, KEY, since) == ref
    assert "Sunday" in texts(late.messages[int(ref.id)]["components"])


async def test_find_sent_without_read_message_history_cannot_tell(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """Discord answers an empty history (not an error) to a bot without Read Message
    History: "not there" would be a guess, and a wrong guess posts twice."""
    async with running_app(write_config(tmp_path, fake)) as (_, adapter):
        since = now()
        await adapter.send(WHERE, PROMPT, key=KEY)
        await fake.deny(GENERAL, READ_MESSAGE_HISTORY)
        await fake.wait_until(lambda: _overwritten(adapter))
        with pytest.raises(PlatformError, match="Read Message History"):
            await adapter.find_sent(WHERE, KEY, since)


async def test_find_sent_in_a_hidden_or_missing_channel_raises(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_app(write_config(tmp_path, fake)) as (_, adapter):
        await fake.deny(GENERAL, VIEW_CHANNEL)
        await fake.wait_until(lambda: _overwritten(adapter))
        with pytest.raises(PlatformError, match=str(GENERAL)):
            await adapter.find_sent(WHERE, KEY, now())
        gone = ChannelRef("discord", "900000000000000009")
        with pytest.raises(PlatformError, match="no longer exists"):
            await adapter.find_sent(gone, KEY, now())


async def test_a_key_longer_than_discord_allows_is_refused_before_sending(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_app(write_config(tmp_path, fake)) as (_, adapter):
        with pytest.raises(ValueError, match="25"):
            await adapter.send(WHERE, PROMPT, key="k" * 26)
    assert fake.bot_messages(GENERAL) == []


def _overwritten(adapter: DiscordAdapter) -> bool:
    channel = adapter.client.get_channel(GENERAL)
    return bool(getattr(channel, "overwrites", None))


async def test_find_sent_raises_on_discord_s_own_refusal(fake: FakeDiscord, tmp_path: Path) -> None:
    """The channel was hidden from the bot and the news has not reached it yet: Discord's
    403 Missing Access is the answer."""
    async with running_app(write_config(tmp_path, fake)) as (_, adapter):
        deny = {"id": str(fake.bot.id), "type": 1, "allow": "0", "deny": str(VIEW_CHANNEL)}
        fake.guild.overwrites[GENERAL] = [deny]  # no CHANNEL_UPDATE sent
        with pytest.raises(PlatformError, match="View Channel and Read Message History"):
            await adapter.find_sent(WHERE, KEY, now())
    refused = [c for c in fake.calls if c.method == "GET" and c.path.endswith("/messages")]
    assert [c.status for c in refused] == [403]
