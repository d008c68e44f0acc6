"""Discord: product cards as Components V2 messages, vote buttons that survive restarts,
staff slash commands, replies counted as engagement. discord.py is imported only here."""

from __future__ import annotations

from bot.adapters.discord.adapter import DiscordAdapter
from bot.clock import Clock
from bot.config import LoadedConfig
from bot.errors import PlatformError


def create_adapter(config: LoadedConfig, clock: Clock) -> DiscordAdapter:
    settings = config.settings.platforms.discord
    if settings is None:
        raise PlatformError("platforms.discord is not configured")
    return DiscordAdapter(settings, clock=clock)


__all__ = ["DiscordAdapter", "create_adapter"]
