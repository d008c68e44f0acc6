"""One poll, two platforms: a channel mapped to both Discord and Slack gets the poll on
both, and votes from both count in one tally shown on both. The real App with the real
Discord and Slack adapters, each against its local fake."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.adapters.discord import DiscordAdapter
from bot.adapters.slack import SlackAdapter, create_adapter
from bot.clock import SystemClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.storage import open_store
from tests.adapters.discord.discord_harness import FAST_EDITS, poll_message, shown_after_edits
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.slack.conftest import no_logged_errors  # noqa: F401
from tests.adapters.slack.harness import (
    CHANNEL,
    SECRETS,
    RecordingApp,
    SlackRun,
    fake_slack,
    write_config,
)

AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")

DISCORD_BLOCK = """\
  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: ["{guild}"]
    api_base_url: {api}
    gateway_url: {gateway}
"""


async def test_one_poll_on_both_platforms_has_one_tally(tmp_path: Path) -> None:
    async with FakeDiscord() as discord_fake, fake_slack() as slack_fake:
        discord_block = DISCORD_BLOCK.format(
            guild=discord_fake.guild.id, api=discord_fake.api_url, gateway=discord_fake.gateway_url
        )
        path = write_config(
            tmp_path,
            slack_fake,
            extra_platforms=discord_block,
            extra_channels=f'    discord: "{discord_fake.channel_id}"',
        )
        config = load_config(path, env={**SECRETS, "DISCORD_TOKEN": discord_fake.token})
        assert config.enabled_platforms == ("discord", "slack")
        settings = config.settings.platforms.discord
        assert settings is not None
        discord = DiscordAdapter(
            settings, edit_policy=FAST_EDITS, ready_timeout=10.0, guild_ready_timeout=0.05
        )
        clock = SystemClock()
        slack = create_adapter(config, clock)
        app = RecordingApp(config, open_store(config.database_url), [discord, slack], clock)
        await asyncio.wait_for(app.start(), 20)
        try:
            # Posted once on each platform.
            discord_poll = poll_message(discord_fake)
            slack_run = SlackRun(app, slack, slack_fake, clock)
            slack_ts = slack_run.poll_ts()
            assert len(slack_fake.calls_to("chat.postMessage")) == 1

            # Two customers vote on Slack, two on Discord.
            await slack_run.click("UANN", AERO)
            await slack_run.click("UBOB", URBAN)
            for n, action in ((1, AERO), (2, AERO)):
                click = await discord_fake.click(discord_poll, action, discord_fake.customer(n))
                await click.answered()
                assert click.reply.startswith("✅ Your vote for AeroLite MIPS is counted")
            await slack_fake.wait_for(lambda: len(slack_fake.ephemerals()) == 2)

            tally = await app.store.tally("helmets")
            assert tally.counts == {"aero": 3, "urban": 1} and tally.voters == 4
            await app.settle()
            await discord_fake.wait_until(
                lambda: "**3** votes · 75%" in shown_after_edits(discord_fake, discord_poll)
            )
            slack_blocks = slack_fake.messages[(CHANNEL, slack_ts)]["blocks"]
            assert "3 votes · 75%" in slack_blocks[3]["text"]["text"]
            assert "4 votes" in slack_blocks[-1]["elements"][0]["text"]
            assert isinstance(slack, SlackAdapter)
        finally:
            await asyncio.wait_for(app.shutdown(), 20)
