"""A real App with the Discord adapter, pointed at FakeDiscord: config written to a
temporary folder (token from the environment, real SQLite file), started in-process."""

from __future__ import annotations

import asyncio
import shutil
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.edits import EditPolicy
from bot.app import App
from bot.clock import SystemClock
from bot.config import LoadedConfig, load_config
from bot.core.actions import encode_vote
from bot.storage import open_store
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.conftest import REPO

STAFF_USER = 100000000000000999  # listed by id in staff_users
AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")
TRAIL = encode_vote("helmets", "trail")

CONFIG = """\
store:
  name: Velo Corner
  timezone: Europe/Paris
  currency: EUR
database: sqlite:///data/engagebot.db
platforms:
  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: ["{guild}"]
    staff_roles: [Staff]
    staff_users: ["{staff_user}"]
    api_base_url: {api}
    gateway_url: {gateway}
channels:
  community:
    discord: "{channel}"
polls:
  - id: helmets
    question: Which helmet should we stock?
    description: The winner lands on our shelves in March.
    channels: [community]
    duration: 7d
    allow_change: {allow_change}
    results: {results}
    options:
      - id: aero
        label: AeroLite MIPS
        image: images/aerolite.png
        price: 89.00
        description: Light road helmet with MIPS.
        link: https://example.com/aerolite
      - id: urban
        label: Urban Shell
        image: https://example.com/urban.jpg
        price: 65.00
      - id: trail
        label: Trail Pro
"""


def write_config(
    folder: Path,
    fake: FakeDiscord,
    *,
    results: str = "live",
    allow_change: str = "true",
) -> LoadedConfig:
    (folder / "images").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "images" / "aerolite.png", folder / "images" / "aerolite.png")
    text = CONFIG.format(
        guild=fake.guild.id,
        staff_user=STAFF_USER,
        api=fake.api_url,
        gateway=fake.gateway_url,
        channel=fake.channel_id,
        results=results,
        allow_change=allow_change,
    )
    path = folder / "bot.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(path, env={"DISCORD_TOKEN": fake.token})


# Quick pacing for tests; production keeps the defaults in EditPolicy and 30 s.
RATE_LIMIT_WAIT = 1.0
FAST_EDITS = EditPolicy(
    min_interval=0.2, old_message_interval=0.3, backoff_initial=0.2, backoff_max=1.0, wait_limit=5.0
)


@asynccontextmanager
async def running_app(
    config: LoadedConfig, **options: Any
) -> AsyncIterator[tuple[App, DiscordAdapter]]:
    settings = config.settings.platforms.discord
    assert settings is not None
    options.setdefault("edit_policy", FAST_EDITS)
    options.setdefault("ready_timeout", 10.0)
    options.setdefault("guild_ready_timeout", 0.05)  # discord.py waits this after GUILD_CREATE
    # discord.py sleeps through a 429 up to this long itself; longer ones are ours.
    options.setdefault("rate_limit_wait", RATE_LIMIT_WAIT)
    clock = options.setdefault("clock", SystemClock())
    adapter = DiscordAdapter(settings, **options)
    app = App(config, open_store(config.database_url), [adapter], clock)
    await asyncio.wait_for(app.start(), 20)
    try:
        yield app, adapter
    finally:
        await asyncio.wait_for(app.shutdown(), 20)


def poll_message(fake: FakeDiscord) -> int:
    found = [
        mid
        for mid in fake.bot_messages(fake.channel_id)
        if any("v1:vote" in str(c) for c in fake.messages[mid]["components"])
    ]
    assert len(found) == 1, found
    return found[0]


def texts(components: list[dict[str, Any]]) -> str:
    """All text a message shows, in order (Text Displays, nested ones included)."""
    out: list[str] = []
    for component in components:
        if component.get("type") == 10:
            out.append(component["content"])
        out.append(texts(component.get("components", [])))
    return "\n".join(part for part in out if part)


def buttons(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for component in components:
        if component.get("type") == 2:
            found.append(component)
        found += buttons(component.get("components", []))
        if "accessory" in component:
            found += buttons([component["accessory"]])
    return found


def shown_after_edits(fake: FakeDiscord, message_id: int) -> str:
    """The text of the message's last successful edit ("" before any)."""
    edits = [call for call in fake.edits(message_id) if call.status == 200]
    return texts(edits[-1].body["components"]) if edits else ""
