"""`kill -9` of a real `engagebot run` while it posts a poll to Discord (the local fake),
before and after Discord created the message; the restarted bot ends with exactly one
message, adopted or sent, whose live tally works. The restart resolves its dead
predecessor's claim at once (bot/process_identity.py), without waiting out the hold."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.adapters.discord.fake_discord import FakeDiscord
from tests.cli.bot_process import bot_process
from tests.cli.test_service import console_and_discord


@pytest.mark.parametrize("moment", ["hang-after", "hang-before"])
async def test_killed_mid_post_then_restarted_gives_one_working_message(
    tmp_path: Path, moment: str
) -> None:
    async with FakeDiscord() as fake:
        path = console_and_discord(tmp_path, fake, console=False)
        env = {"DISCORD_TOKEN": fake.token}
        fake.lose_next_post_answers(moment)
        async with bot_process("run", "-c", str(path), env=env) as first:
            await fake.wait_until(lambda: len(fake.posts()) == 1, timeout=30)
            assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        created = 1 if moment == "hang-after" else 0
        assert len(fake.bot_messages(fake.channel_id)) == created

        async with bot_process("run", "-c", str(path), env=env) as second:
            await fake.wait_until(lambda: len(fake.bot_messages(fake.channel_id)) == 1, timeout=30)
            if moment == "hang-after":
                await second.wait_for_log("had been posted before: found it")
            else:
                await second.wait_for_log("posted poll helmets in discord channel")
            [poll] = fake.bot_messages(fake.channel_id)
            click = await fake.click(poll, "v1:vote:helmets:aero", fake.customer(1))
            await click.answered(timeout=20)
            assert click.reply.startswith("✅")
            # The live tally reaches the one message (its id was adopted or recorded).
            await fake.wait_until(lambda: len(fake.edits(poll)) >= 1, timeout=20)
            assert await second.stop(signal.SIGTERM) == 0
        assert len(fake.bot_messages(fake.channel_id)) == 1
        assert not any("Traceback" in line for line in second.log)
