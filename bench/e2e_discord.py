"""Click-to-reply through the real discord.py client: engagebot against a bare bot.

    python bench/e2e_discord.py [--quick] [--seconds S] [--clickers N] [--rate R] [--rounds K]

Two bots, each a real subprocess with its own local fake Discord (gateway + REST from
tests/adapters/discord/, served by this process):
- engagebot: `python -m bot run --config bot.yaml` — the App with the Discord adapter on
  SQLite, a live-tally poll with three options, exactly as a shop would run it;
- bare: a discord.py Client that answers every INTERACTION_CREATE with an ephemeral
  message (the same interaction response type, 4 + flags 64) and stores nothing.

Both receive the same payload: a click on the poll message engagebot posted, from a new
customer each time. Measured per bot, alternating in rounds so load drift hits both:
- closed loop: N clickers, each sends a click and waits for the reply: clicks/s, p50/p99;
- fixed rate: clicks offered at R/s whatever the replies do: p50/p99, late (>3 s) count.
Latency is from the fake sending INTERACTION_CREATE to it receiving the interaction
callback POST. CPU seconds per click of each bot (from /proc) and of this process (the
fakes and the clickers) are printed so a saturated fake shows. At the end engagebot's
stored votes are recounted (`engagebot results --format json`) against the confirmations
the fake received: every confirmed vote must be there. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import sys
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import e2e_common as common
from tests.adapters.discord.discord_harness import write_config
from tests.adapters.discord.discord_payloads import FakeUser, Json
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.cli.bot_process import BotProcess, bot_process

REPO = Path(__file__).resolve().parents[1]
OPTIONS = ("aero", "urban", "trail")


@dataclass
class DiscordTarget:
    """One bot process and the fake Discord it talks to (a common.Target)."""

    name: str
    fake: FakeDiscord
    process: BotProcess
    message: Json  # the poll message the clicks are on
    customers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    confirmed: int = 0

    async def click(self, timeout: float) -> float | None:
        """One click from a new customer; seconds until the callback POST, None if late."""
        user = FakeUser(100_000_000_000_000_000 + next(self.customers), "customer")
        data = {"custom_id": f"v1:vote:{common.POLL}:{random.choice(OPTIONS)}", "component_type": 2}
        channel_id = int(self.message["channel_id"])
        extra = {"message": self.message}
        interaction = await self.fake._interact(3, data, user, channel_id, extra)
        try:
            await interaction.answered(timeout)
        except TimeoutError:
            return None
        if interaction.acked is None:
            return None
        if interaction.reply.startswith(common.CONFIRMED):
            self.confirmed += 1
        return interaction.acked - interaction.created

    @property
    def pid(self) -> int:
        return self.process.process.pid

    def edits(self) -> int:
        return len(self.fake.edits())

    def forget(self) -> None:
        self.fake.interactions.clear()
        self.fake.calls.clear()
        session = self.fake._current
        if session is not None:
            session.log.clear()


# -- the two bots -------------------------------------------------------------------------


async def start_engagebot(
    stack: AsyncExitStack, fake: FakeDiscord, folder: Path
) -> tuple[BotProcess, Json]:
    write_config(folder, fake)
    run = bot_process(
        "run", "--config", str(folder / "bot.yaml"), env={"DISCORD_TOKEN": fake.token}
    )
    process = await stack.enter_async_context(run)

    def posted() -> bool:
        return any(
            "v1:vote" in str(fake.messages[mid]["components"])
            for mid in fake.bot_messages(fake.channel_id)
        )

    await fake.wait_until(posted, timeout=60)
    [mid] = [m for m in fake.bot_messages(fake.channel_id) if "v1:vote" in str(fake.messages[m])]
    return process, fake.messages[mid]


async def start_bare(fake: FakeDiscord, message: Json) -> BotProcess:
    env = {"DISCORD_TOKEN": fake.token, "BARE_API": fake.api_url, "BARE_GATEWAY": fake.gateway_url}
    process = await common.spawn_bare(__file__, env)
    await fake.wait_until(fake.connected, timeout=60)
    fake.messages[int(message["id"])] = message  # the same message as engagebot's
    return process


def run_bare_bot() -> None:
    """The baseline: discord.py alone, acknowledging each interaction privately."""
    import logging

    import discord
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    Route.BASE = os.environ["BARE_API"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["BARE_GATEWAY"])
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True

    class Bare(discord.Client):
        async def on_ready(self) -> None:
            print(common.BARE_READY, file=sys.stderr, flush=True)

        async def on_interaction(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message("✅ noted", ephemeral=True)

    logging.basicConfig(level=logging.WARNING)
    client = Bare(
        intents=intents,
        max_messages=None,
        chunk_guilds_at_startup=False,
        guild_ready_timeout=0.05,
    )
    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with FakeDiscord() as eng_fake, FakeDiscord() as bare_fake, AsyncExitStack() as stack:
            eng_process, message = await start_engagebot(stack, eng_fake, folder / "engagebot")
            bare_process = await start_bare(bare_fake, message)
            engagebot = DiscordTarget("engagebot", eng_fake, eng_process, message)
            bare = DiscordTarget("bare", bare_fake, bare_process, message)
            try:
                await common.compare(engagebot, bare, args)
            finally:
                await eng_process.stop(signal.SIGTERM)
                await bare_process.stop(signal.SIGTERM)
        config, env = folder / "engagebot" / "bot.yaml", {"DISCORD_TOKEN": eng_fake.token}
        common.recount(await common.stored_votes(config, env), engagebot.confirmed)


def cli() -> argparse.Namespace:
    parser = common.parser(__doc__.split("\n")[0])
    parser.add_argument("--bare-bot", action="store_true", help=argparse.SUPPRESS)
    return common.parse(parser)


if __name__ == "__main__":
    options = cli()
    if options.bare_bot:
        run_bare_bot()
    else:
        asyncio.run(main(options))
