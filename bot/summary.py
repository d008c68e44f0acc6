"""The start-up summary `engagebot run` logs, so whoever hosts the bot sees at a glance
what it serves: config, database, each platform and as whom, polls open and scheduled,
and the next daily prompt. Times are in the store's zone (a prompt's own zone if set)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import LoadedConfig
from bot.config.schema import PollConfig
from bot.logs import redact_url
from bot.prompts.schedule import next_occurrence
from bot.storage.base import PollRecord, PollState
from bot.timefmt import human, local_to_utc

log = logging.getLogger("bot.summary")


def config_secrets(config: LoadedConfig) -> list[str]:
    """Every secret value the config holds (tokens, signing secret): never logged."""
    platforms = config.settings.platforms
    found: list[str] = []
    for block in (platforms.discord, platforms.slack):
        if block is None:
            continue
        for value in vars(block).values():
            getter = getattr(value, "get_secret_value", None)
            if callable(getter):
                found.append(str(getter()))
    return found


def config_line(config: LoadedConfig) -> str:
    """The config file (or folder and how many files), and the database without secrets."""
    if len(config.sources) == 1:
        where = str(config.sources[0])
    else:
        where = f"{config.root} ({len(config.sources)} files)"
    database = re.sub(r"://[^/@\s]*@", "://", redact_url(config.database_url))  # no user either
    return f"config {where}; database {database}"


def describe_ready(platform: str, details: Mapping[str, str]) -> str:
    """e.g. 'discord connected as engagebot#0001 (2 servers)',
    'slack connected as U0BOT in team T0SHOP (socket mode)', 'console ready'."""
    if not details:
        return f"{platform} ready"
    text = f"{platform} connected"
    if details.get("user"):
        text += f" as {details['user']}"
    if details.get("team"):
        text += f" in team {details['team']}"
    extras = []
    if "servers" in details:
        count = details["servers"]
        extras.append(f"{count} server{'' if count == '1' else 's'}")
    if details.get("shard_count"):
        extras.append(
            shards_text([int(s) for s in details["shards"].split(",")], details["shard_count"])
        )
    if details.get("mode"):
        extras.append(f"{details['mode']} mode")
    return text + (f" ({', '.join(extras)})" if extras else "")


def shards_text(shards: Sequence[int], count: object) -> str:
    """e.g. 'shards 0, 1 of 4', 'shard 2 of 4', 'shards 0–511, 600 of 1024': runs of
    three or more are written as a range, so a big bot's line stays short."""
    runs: list[list[int]] = []
    for shard in sorted(shards):
        if runs and shard == runs[-1][-1] + 1:
            runs[-1].append(shard)
        else:
            runs.append([shard])
    ids = ", ".join(
        f"{run[0]}–{run[-1]}" if len(run) >= 3 else ", ".join(map(str, run)) for run in runs
    )
    return f"shard{'s' if len(shards) != 1 else ''} {ids} of {count}"


def shards_line(config: LoadedConfig) -> str | None:
    """What `validate` says about Discord shards, when the config (or the environment)
    names any: the gateway load a process takes on."""
    discord = config.settings.platforms.discord
    if discord is None or "discord" not in config.enabled_platforms:
        return None
    shards = discord.shards
    if shards is None:
        return None
    return f"discord: this process connects {shards_text(shards, discord.shard_count)}"


def polls_line(polls: list[PollConfig], records: Mapping[str, PollRecord], zone: ZoneInfo) -> str:
    """Open polls (run-off rounds included) and when they close, scheduled polls and
    when they open."""
    parts: list[str] = []
    for poll in polls:
        record = records.get(poll.id)
        state = record.state if record else PollState.SCHEDULED
        if state is PollState.OPEN and record is not None:
            until = f" until {human(record.closes_at, zone)}" if record.closes_at else ""
            parts.append(f"{poll.id} open{until}")
        elif state is PollState.SCHEDULED:
            opens = poll.opens
            if opens is None:
                parts.append(f"{poll.id} scheduled (opens by a staff command)")
            else:
                opens_at = human(local_to_utc(opens, zone), zone)
                parts.append(f"{poll.id} scheduled, opens {opens_at}")
    return "polls: " + ("; ".join(parts) if parts else "none open or scheduled")


def prompt_line(config: LoadedConfig, now: datetime) -> str:
    """The next daily prompt: which set, when, in which channels."""
    found = [
        (occurrence, prompt)
        for prompt in config.settings.prompts
        if (occurrence := next_occurrence(prompt, config.prompt_zone(prompt), now)) is not None
    ]
    if not found:
        return "next prompt: none scheduled"
    occurrence, prompt = min(found, key=lambda pair: pair[0].due_at)
    where = ", ".join("#" + channel for channel in prompt.channels)
    when = human(occurrence.due_at, config.prompt_zone(prompt))
    return f"next prompt: {prompt.id} {when} in {where}"


def log_startup(
    config: LoadedConfig,
    polls: list[PollConfig],
    records: Mapping[str, PollRecord],
    now: datetime,
) -> None:
    log.info(polls_line(polls, records, config.zone))
    log.info(prompt_line(config, now))
