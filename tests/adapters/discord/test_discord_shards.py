"""Discord shards in one process: the adapter connects only the shards it was given
(shard_count, shard_ids), receives only its servers' events, and counts as connected
only while every one of its shards is. The fake gateway shards like Discord does."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.config import LoadedConfig, load_config
from tests.adapters.discord.discord_harness import AERO, poll_message, running_app, write_config
from tests.adapters.discord.fake_discord import FakeDiscord, shard_of


def sharded(folder: Path, fake: FakeDiscord, count: int, ids: str) -> LoadedConfig:
    """The harness's shop, with shards given the way a deployment would: the env."""
    written = write_config(folder, fake)
    env = {
        "DISCORD_TOKEN": fake.token,
        "ENGAGEBOT_DISCORD_SHARD_COUNT": str(count),
        "ENGAGEBOT_DISCORD_SHARD_IDS": ids,
    }
    return load_config(written.sources[0], env=env)


async def test_a_process_connects_only_its_shard_and_serves_its_servers(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    mine = shard_of(fake.guild.id, 2)
    other = fake.add_guild(1 - mine, 2)
    config = sharded(tmp_path, fake, 2, str(mine))
    async with running_app(config) as (app, adapter):
        assert fake.identified_shards == [(mine, 2)]
        assert adapter.connected
        # READY and GUILD_CREATE named this shard's server only.
        assert [g.id for g in adapter.client.guilds] == [fake.guild.id]
        assert (fake.sessions_of(fake.guild.id), fake.sessions_of(other.id)) == (1, 0)
        click = await fake.click(poll_message(fake), AERO, fake.customer(1))
        await click.answered()
        assert click.reply.startswith("✅")
        assert (await app.store.tally("helmets")).counts == {"aero": 1}
    assert fake.unknown == []


async def test_connected_means_every_shard_of_the_process(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = sharded(tmp_path, fake, 2, "1,0")
    async with running_app(config) as (_, adapter):
        assert sorted(s for s in fake.identified_shards if s) == [(0, 2), (1, 2)]
        assert adapter.connected
        fake.gateway_down = True  # shard 0 cannot come back until the outage ends
        await fake.drop_connection(shard=(0, 2))
        await fake.wait_until(lambda: not adapter.connected)
        assert adapter.client.connected_shards() == (1,)  # up, but not all: not connected
        fake.gateway_down = False
        await fake.wait_until(lambda: adapter.connected, timeout=30)
        assert fake.resumes == 1


async def test_get_gateway_bot_recommends_shards_like_discord(fake: FakeDiscord) -> None:
    assert shard_of(81384788765712384, 17) == 7  # the API docs' formula, a known answer
    fake.recommended_shards = 3
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{fake.api_url}/gateway/bot", headers={"Authorization": f"Bot {fake.token}"}
        ) as answer,
    ):
        body = await answer.json()
    assert body["shards"] == 3 and body["url"] == fake.gateway_url
    assert body["session_start_limit"]["max_concurrency"] == 1
