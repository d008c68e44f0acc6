"""Several real `engagebot run` processes on one PostgreSQL database against the fake
Discord: the shop's config, and what the fake's channels show (which poll, results and
prompt messages the bot posted)."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

from bot.clock import SystemClock
from bot.storage.postgres.store import PostgresStore
from bot.storage.urls import postgres_url
from tests.adapters.discord.discord_payloads import Json, walk
from tests.adapters.discord.fake_discord import FakeDiscord

GENERAL = 900000000000000002  # the fake guild's second channel

SHOP = """\
store:
  name: Velo Corner
  timezone: UTC
database: {database}
platforms:
  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: ["{guild}"]
    api_base_url: {api}
    gateway_url: {gateway}
channels:
  community:
    discord: "{community}"
  general:
    discord: "{general}"
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [community, general]
    duration: 7d
    options:
      - id: aero
        label: AeroLite MIPS
      - id: urban
        label: Urban Shell
  - id: lights
    question: Which light should we stock?
    channels: [community]
    duration: 7d
    runoff: true
    runoff_duration: 1d
    decision:
      min_votes: 1
    options:
      - id: beam
        label: Beam 800
      - id: spark
        label: Spark USB
prompts:
  - id: morning
    channels: [community, general]
    at: "00:00"
    questions:
      - text: Where are you riding today?
"""


def shop(folder: Path, fake: FakeDiscord, database: str) -> Path:
    path = folder / "bot.yaml"
    text = SHOP.format(
        database=database,
        guild=fake.guild.id,
        api=fake.api_url,
        gateway=fake.gateway_url,
        community=fake.channel_id,
        general=GENERAL,
    )
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


async def prompt_set_seen_before(database: str, prompt_id: str) -> None:
    """The bot ran with this prompt set two days ago: today's question (due at 00:00) is
    caught up as soon as the bot starts, in every process at once."""
    store = PostgresStore(postgres_url(database))
    await store.open()
    try:
        await store.see_prompt_sets({prompt_id: ""}, SystemClock().now() - timedelta(days=2))
    finally:
        await store.close()


def custom_ids(stored: Json) -> list[str]:
    return [str(c["custom_id"]) for c in walk(stored["components"]) if "custom_id" in c]


def text_of(stored: Json) -> str:
    parts = [str(stored.get("content") or "")]
    parts += [str(c.get("content", "")) for c in walk(stored.get("components", []))]
    for embed in stored.get("embeds", []):
        parts += [str(embed.get("title", "")), str(embed.get("description", ""))]
    return "\n".join(parts)


def kinds_in(fake: FakeDiscord, channel_id: int) -> list[str]:
    """What the bot posted in the channel, in order: "poll:<id>", "results:<question>",
    "prompt" (and "other" for anything else)."""
    found: list[str] = []
    for message_id in fake.bot_messages(channel_id):
        stored = fake.messages[message_id]
        votes = [i for i in custom_ids(stored) if i.startswith("v1:vote:")]
        text = text_of(stored)
        if votes:
            found.append("poll:" + votes[0].split(":")[2])
        elif "Where are you riding today?" in text:
            found.append("prompt")
        elif "Which helmet" in text:
            found.append("results:helmets")
        elif "Which light" in text:
            found.append("results:lights")
        else:
            found.append("other")
    return found


def poll_message(fake: FakeDiscord, poll_id: str, channel_id: int) -> int:
    [found] = [
        m
        for m in fake.bot_messages(channel_id)
        if any(i.startswith(f"v1:vote:{poll_id}:") for i in custom_ids(fake.messages[m]))
    ]
    return found


def editors_in_turn(fake: FakeDiscord, message_id: int) -> list[str | None]:
    """The processes (tokens) that edited the message, each run of edits by one process
    once: ["a", "b"] is a hand-over, ["a", "b", "a"] two editors at the same time."""
    turns: list[str | None] = []
    for call in fake.edits(message_id):
        if call.status == 200 and (not turns or turns[-1] != call.token):
            turns.append(call.token)
    return turns
