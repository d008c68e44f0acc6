"""Metrics and readiness from a real platform client: discord.py against the local fake
Discord (tests/adapters/discord), which answers 429 as Discord does."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.discord.discord_harness import (
    AERO,
    URBAN,
    poll_message,
    running_app,
    shown_after_edits,
    write_config,
)
from tests.adapters.discord.fake_discord import FakeDiscord


async def test_a_429_is_counted_and_discord_reports_ready(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        config = write_config(tmp_path, fake)
        async with running_app(config) as (app, adapter):
            assert adapter.connected
            assert app.platform_status() == {"discord": "ready"}
            message_id = poll_message(fake)
            fake.fail_next_edits(("429", 0.3))
            for n, action in ((1, AERO), (2, URBAN), (3, AERO), (2, AERO)):  # 2 changes
                click = await fake.click(message_id, action, fake.customer(n))
                await click.answered()
            await fake.wait_until(lambda: "**3** votes" in shown_after_edits(fake, message_id))
            limited = [call for call in fake.edits(message_id) if call.status == 429]
            assert len(limited) == 1
            value = app.metrics.registry.get_sample_value
            assert value("engagebot_rate_limited_total", {"platform": "discord"}) == 1
            assert value("engagebot_posts_total", {"kind": "poll", "platform": "discord"}) == 1
            assert (
                value("engagebot_votes_total", {"platform": "discord", "outcome": "counted"}) == 3
            )
            assert (
                value("engagebot_votes_total", {"platform": "discord", "outcome": "changed"}) == 1
            )
        assert not adapter.connected
