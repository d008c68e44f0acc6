"""Two real `engagebot run` processes on one PostgreSQL database: votes come through
both, yet only the process holding a poll message's edit lease edits it, and the message
shows the exact total. Killed with -9, the holder's lease is taken over at once (its
process is visibly gone on this machine) and the survivor shows the new votes."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from tests.adapters.discord.fake_discord import FakeDiscord
from tests.cli.bot_process import bot_process
from tests.cli.several_processes import poll_message, shop, text_of
from tests.pg import pg_url  # noqa: F401  (fixture)


def total_shown(fake: FakeDiscord, message_id: int) -> int:
    """The sum of the option tallies the message shows ("**3** votes · 60%")."""
    text = text_of(fake.messages[message_id]).replace("*", "")
    return sum(int(n) for n in re.findall(r"(\d+) votes? · ", text))


def editors(fake: FakeDiscord, message_id: int, since: int = 0) -> set[str | None]:
    """Whose tokens sent the successful edits of the message (from call `since` on)."""
    return {c.token for c in fake.edits(message_id)[since:] if c.status == 200}


async def test_one_process_edits_a_message_and_a_survivor_takes_over(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    async with FakeDiscord() as fake:
        path = shop(tmp_path, fake, pg_url)
        tokens = [fake.process_token(n) for n in range(2)]
        run = ("run", "-c", str(path))
        async with (
            bot_process(*run, env={"DISCORD_TOKEN": tokens[0]}) as first,
            bot_process(*run, env={"DISCORD_TOKEN": tokens[1]}) as second,
        ):
            bots = dict(zip(tokens, (first, second), strict=True))
            for bot in bots.values():
                await bot.wait_for_log("discord connected", timeout=30)
            await fake.wait_until(lambda: len(fake.bot_messages(fake.channel_id)) == 2, 30)
            helmets = poll_message(fake, "helmets", fake.channel_id)

            async def vote(n: int, via: str) -> None:
                button = f"v1:vote:helmets:{('aero', 'urban')[n % 2]}"
                click = await fake.click(helmets, button, fake.customer(n), via)
                await click.answered(timeout=20)
                assert click.reply.startswith("✅"), click.reply

            for n in range(8):  # through both processes, in turns
                await vote(n, tokens[n % 2])
            await fake.wait_until(lambda: total_shown(fake, helmets) == 8, timeout=20)
            [holder] = editors(fake, helmets)  # one process edited the message, never both
            [other] = [t for t in tokens if t != holder]
            # Votes only through the other process: the holder learns of them from the
            # database and shows them.
            for n in range(8, 10):
                await vote(n, other)
            await fake.wait_until(lambda: total_shown(fake, helmets) == 10, timeout=20)
            assert editors(fake, helmets) == {holder}

            before = len(fake.edits(helmets))
            assert await bots[holder].stop(signal.SIGKILL) == -signal.SIGKILL
            for n in range(10, 13):
                await vote(n, other)
            await fake.wait_until(lambda: total_shown(fake, helmets) == 13, timeout=20)
            assert editors(fake, helmets, before) == {other}
            assert await bots[other].stop(signal.SIGTERM) == 0

        assert not any("Traceback" in line for line in first.log + second.log)
        assert fake.unknown == []
