"""The post-key half of the adapter contract on the platforms without a server: the
console (nothing outlives the process, so an earlier post is never found) and the
recording platform the core's tests use (it finds what it was sent by key)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.clock import FakeClock
from bot.core.content import TextMessage
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import PlatformError
from tests.fakes import RecordingPlatform

KEY = "5f0c3e9a7d21b4c86e13a0f2"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GENERAL = ChannelRef("console", "general")


async def test_console_accepts_a_key_and_never_finds_an_earlier_post() -> None:
    out = io.StringIO()
    console = ConsoleAdapter(FakeClock(NOW), stdin=io.StringIO(""), stdout=out)
    ref = await console.send(GENERAL, TextMessage("Hello shop"), key=KEY)
    assert ref.channel == GENERAL
    assert "Hello shop" in out.getvalue() and KEY not in out.getvalue()
    assert await console.find_sent(GENERAL, KEY, NOW) is None


async def test_recording_platform_finds_by_key_and_can_lose_or_refuse_posts() -> None:
    platform = RecordingPlatform()
    other = ChannelRef("console", "news")
    plain = await platform.send(GENERAL, TextMessage("no key"))
    keyed = await platform.send(GENERAL, TextMessage("keyed"), key=KEY)
    assert await platform.find_sent(GENERAL, KEY, NOW) == keyed != plain
    assert await platform.find_sent(other, KEY, NOW) is None
    assert await platform.find_sent(GENERAL, "", NOW) is None

    platform.send_failures = ["refused", "lost"]
    with pytest.raises(PlatformError):
        await platform.send(other, TextMessage("refused"), key="k1")
    with pytest.raises(PlatformError):
        await platform.send(other, TextMessage("lost"), key="k2")
    assert await platform.find_sent(other, "k1", NOW) is None  # never posted
    lost = await platform.find_sent(other, "k2", NOW)  # posted, answer lost
    assert lost == MessageRef(other, "msg-3") and len(platform.sent) == 3

    platform.history_unreadable = True
    with pytest.raises(PlatformError):
        await platform.find_sent(other, "k2", NOW)
