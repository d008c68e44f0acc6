"""Two real `engagebot run` processes on one PostgreSQL database split a Discord bot's
four gateway shards (0,1 from the config file, 2,3 from ENGAGEBOT_DISCORD_SHARD_IDS):
each connects only its own, a click reaches (and is answered by) the process owning its
server's shard, and clicks from servers on all four shards land in one exact tally."""

from __future__ import annotations

import json
import os
import signal
import textwrap
from pathlib import Path

from tests.adapters.discord.discord_payloads import FakeGuild
from tests.adapters.discord.fake_discord import FakeDiscord, shard_of
from tests.cli.bot_process import bot_process
from tests.cli_runner import engagebot
from tests.pg import pg_url  # noqa: F401  (fixture)

SHARDS = 4
CONFIG = """\
store:
  name: Velo Corner
  timezone: Europe/Paris
database: {database}
platforms:
  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: [{guilds}]
    api_base_url: {api}
    gateway_url: {gateway}
    shard_count: {shards}
    shard_ids: [0, 1]
channels:
{channels}
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [{names}]
    duration: 7d
    options:
      - id: aero
        label: AeroLite MIPS
      - id: urban
        label: Urban Shell
"""


def one_guild_per_shard(fake: FakeDiscord) -> dict[int, FakeGuild]:
    by_shard = {shard_of(fake.guild.id, SHARDS): fake.guild}
    for shard in range(SHARDS):
        by_shard.setdefault(shard, fake.add_guild(shard, SHARDS))
    return by_shard


def write_config(folder: Path, fake: FakeDiscord, guilds: dict[int, FakeGuild], db: str) -> Path:
    channels = "\n".join(
        f'  shard{shard}:\n    discord: "{next(iter(guild.channels))}"'
        for shard, guild in sorted(guilds.items())
    )
    text = CONFIG.format(
        database=db,
        guilds=", ".join(f'"{g.id}"' for g in guilds.values()),
        api=fake.api_url,
        gateway=fake.gateway_url,
        shards=SHARDS,
        channels=channels,
        names=", ".join(f"shard{shard}" for shard in sorted(guilds)),
    )
    path = folder / "bot.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def local_ports(pid: int) -> set[int]:
    """TCP ports of the sockets process pid holds open (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def test_two_processes_split_four_shards_into_one_exact_tally(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    async with FakeDiscord() as fake:
        guilds = one_guild_per_shard(fake)
        path = write_config(tmp_path, fake, guilds, pg_url)
        env = {"DISCORD_TOKEN": fake.token}
        later = {**env, "ENGAGEBOT_DISCORD_SHARD_IDS": "2,3"}
        async with (
            bot_process("run", "-c", str(path), env=env) as first,
            bot_process("run", "-c", str(path), env=later) as second,
        ):
            await first.wait_for_log("discord connected", timeout=60)
            await second.wait_for_log("discord connected", timeout=60)
            assert sorted(s for s in fake.identified_shards if s) == [(i, SHARDS) for i in range(4)]
            for guild in guilds.values():
                assert fake.sessions_of(guild.id) == 1  # Discord: exactly one shard each
            owner = {0: first, 1: first, 2: second, 3: second}
            idle = {0: second, 1: second, 2: first, 3: first}
            channels = {shard: next(iter(g.channels)) for shard, g in guilds.items()}
            # One message per channel, whichever process posted it (the post ledger).
            await fake.wait_until(
                lambda: all(len(fake.bot_messages(c)) == 1 for c in channels.values()), 60
            )

            votes = {"aero": 0, "urban": 0}
            customer = 0
            for shard, channel in sorted(channels.items()):
                [poll] = fake.bot_messages(channel)
                for option in ("aero", "urban", "aero"):
                    customer += 1
                    click = await fake.click(
                        poll, f"v1:vote:helmets:{option}", fake.customer(customer)
                    )
                    await click.answered(timeout=20)
                    assert click.reply.startswith("✅"), click.reply
                    delivered_shard, port = fake.delivered_on[click.id]
                    assert delivered_shard == (shard, SHARDS)
                    assert port in local_ports(owner[shard].process.pid)
                    assert port not in local_ports(idle[shard].process.pid)
                    votes[option] += 1

            assert "shards 0, 1 of 4" in await first.wait_for_log("discord connected")
            assert "shards 2, 3 of 4" in await second.wait_for_log("discord connected")
            assert await first.stop(signal.SIGTERM) == 0
            assert await second.stop(signal.SIGTERM) == 0
        for bot in (first, second):
            assert not any("Traceback" in line for line in bot.log), "\n".join(bot.log)
        assert len(fake.posts()) == len(channels)  # each channel's poll posted once
        assert fake.unknown == []

    done = engagebot("results", "helmets", "-c", str(path), "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    counts = {o["id"]: o["votes"] for o in json.loads(done.stdout)["options"]}
    assert counts == votes == {"aero": 8, "urban": 4}
