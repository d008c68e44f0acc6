"""`engagebot run` as a service: stdin closed (Docker, systemd) ends the console only,
the chat platforms keep being served, and SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

from tests.adapters.discord.fake_discord import FakeDiscord
from tests.cli.bot_process import bot_process
from tests.cli_runner import engagebot

CONSOLE_AND_DISCORD = """\
store:
  name: Velo Corner
  timezone: Europe/Paris
database: sqlite:///data/engagebot.db
platforms:
  console:
    staff: [merchant]
  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: ["{guild}"]
    api_base_url: {api}
    gateway_url: {gateway}
channels:
  community:
    console: general
    discord: "{channel}"
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [community]
    duration: 7d
    options:
      - id: aero
        label: AeroLite MIPS
      - id: urban
        label: Urban Shell
"""


def console_and_discord(folder: Path, fake: FakeDiscord) -> Path:
    path = folder / "bot.yaml"
    text = CONSOLE_AND_DISCORD.format(
        guild=fake.guild.id, api=fake.api_url, gateway=fake.gateway_url, channel=fake.channel_id
    )
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


async def test_closed_stdin_ends_the_console_only(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        path = console_and_discord(tmp_path, fake)
        env = {"DISCORD_TOKEN": fake.token}
        async with bot_process("run", "-c", str(path), env=env) as bot:
            line = await bot.wait_for_log("console input ended")
            assert line.endswith(
                "console input ended; still serving discord — stop with Ctrl-C or SIGTERM"
            )
            # Still serving Discord after the console's end: a click is answered.
            await fake.wait_until(lambda: len(fake.bot_messages(fake.channel_id)) == 1)
            poll = fake.bot_messages(fake.channel_id)[0]
            click = await fake.click(poll, "v1:vote:helmets:aero", fake.customer(1))
            await click.answered(timeout=20)
            assert click.ephemeral and click.reply.startswith("✅")
            assert bot.process.returncode is None
            assert await bot.stop(signal.SIGTERM) == 0
        assert any(line.endswith("stopped") for line in bot.log), bot.log
        assert not any("Traceback" in line for line in bot.log + bot.out)
        assert fake.token not in "\n".join(bot.log + bot.out)
        assert fake.unknown == []


def test_console_only_run_still_ends_with_its_input(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            store: {name: Shop, timezone: Europe/Paris}
            platforms:
              console: {staff: [merchant]}
            channels:
              community: {console: general}
            """
        ),
        encoding="utf-8",
    )
    done = engagebot("run", "-c", str(path), stdin="/polls\n")  # a hang is a timeout
    assert done.returncode == 0, done.stderr
    assert "still serving" not in done.stderr


async def test_quit_in_the_console_stops_every_platform(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        path = console_and_discord(tmp_path, fake)
        env = {"DISCORD_TOKEN": fake.token}
        async with bot_process("run", "-c", str(path), env=env, stdin_closed=False) as bot:
            await fake.wait_until(lambda: len(fake.bot_messages(fake.channel_id)) == 1, 30)
            stdin = bot.process.stdin
            assert stdin is not None
            stdin.write(b"/quit\n")
            await stdin.drain()
            await bot.wait_for_log("stopping: /quit typed in the console")
            assert await bot.exited() == 0
        assert not any("still serving" in line for line in bot.log)
