"""Three real `engagebot run` processes on one PostgreSQL database act as one bot, however
they start, stop or crash: every poll is posted once per channel, the day's prompt once
per channel, a poll closes once and its results and run-off are announced once."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from tests.adapters.discord.fake_discord import FakeDiscord
from tests.cli.bot_process import BotProcess, bot_process
from tests.cli.several_processes import (
    GENERAL,
    editors_in_turn,
    kinds_in,
    poll_message,
    prompt_set_seen_before,
    shop,
)
from tests.cli_runner import engagebot
from tests.pg import pg_url  # noqa: F401  (fixture)


def no_tracebacks(*bots: BotProcess) -> None:
    for bot in bots:
        assert not any("Traceback" in line for line in bot.log), "\n".join(bot.log)


async def test_three_processes_post_close_and_announce_once(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    await prompt_set_seen_before(pg_url, "morning")
    async with FakeDiscord() as fake:
        path = shop(tmp_path, fake, pg_url)
        tokens = [fake.process_token(n) for n in range(3)]
        run = ("run", "-c", str(path))
        # The first process's first post is created on Discord but never answered: it is
        # killed holding that claim, which the others resolve (adopting the message).
        fake.lose_next_post_answers("hang-after")
        async with bot_process(*run, env={"DISCORD_TOKEN": tokens[0]}) as first:
            await fake.wait_until(lambda: len(fake.posts()) >= 1, timeout=30)
            async with (
                bot_process(*run, env={"DISCORD_TOKEN": tokens[1]}) as second,
                bot_process(*run, env={"DISCORD_TOKEN": tokens[2]}) as third,
            ):
                await second.wait_for_log("discord connected", timeout=30)
                assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
                await third.wait_for_log("discord connected", timeout=30)

                everything = ["poll:helmets", "poll:lights", "prompt"]
                await fake.wait_until(
                    lambda: (
                        sorted(kinds_in(fake, fake.channel_id)) == everything
                        and sorted(kinds_in(fake, GENERAL)) == ["poll:helmets", "prompt"]
                    ),
                    timeout=45,
                )

                # A tie in `lights`, the votes arriving through both survivors.
                lights = poll_message(fake, "lights", fake.channel_id)
                for n, (option, via) in enumerate([("beam", tokens[1]), ("spark", tokens[2])]):
                    click = await fake.click(
                        lights, f"v1:vote:lights:{option}", fake.customer(n), via=via
                    )
                    await click.answered(timeout=20)
                    assert click.reply.startswith("✅"), click.reply

                close = ("close", "lights", "-c", str(path))
                env = {"DISCORD_TOKEN": fake.token}
                closed = await asyncio.to_thread(engagebot, *close, env=env)
                assert closed.returncode == 0, closed.stderr
                # One survivor stops cleanly while the close is being announced.
                assert await second.stop(signal.SIGTERM) == 0
                await fake.wait_until(
                    lambda: (
                        sorted(kinds_in(fake, fake.channel_id))
                        == sorted([*everything, "results:lights", "poll:lights-r2"])
                    ),
                    timeout=45,
                )
                await asyncio.sleep(6)  # a pass of the survivor finds nothing more to post
                assert await third.stop(signal.SIGTERM) == 0

        assert sorted(kinds_in(fake, GENERAL)) == ["poll:helmets", "prompt"]
        listed = await asyncio.to_thread(engagebot, "polls", "-c", str(path), "--format", "json")
        states = {p["id"]: p["state"] for p in json.loads(listed.stdout)}
        assert states == {"helmets": "open", "lights": "closed", "lights-r2": "open"}
        # Every poll message was edited by one process at a time (hand-overs only).
        for channel in (fake.channel_id, GENERAL):
            for message in fake.bot_messages(channel):
                turns = editors_in_turn(fake, message)
                assert len(turns) == len(set(turns)), (message, turns)
        # The post the killed process was sending was found on Discord and adopted.
        assert any("had been posted before: found it" in line for line in second.log + third.log)
        no_tracebacks(first, second, third)
        assert fake.unknown == []
