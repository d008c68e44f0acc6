"""Builds the adapters for the enabled platforms. Platform libraries are imported here
lazily, so running on the console never loads discord.py or slack-bolt."""

from __future__ import annotations

from bot.clock import Clock
from bot.config import LoadedConfig
from bot.core.adapter import Adapter
from bot.errors import PlatformError


def build_adapters(config: LoadedConfig, clock: Clock) -> list[Adapter]:
    adapters: list[Adapter] = []
    for platform in config.enabled_platforms:
        if platform == "console":
            from bot.adapters.console import ConsoleAdapter

            console = config.settings.platforms.console
            staff = list(console.staff) if console else None
            adapters.append(ConsoleAdapter(clock, staff=staff))
        else:
            raise PlatformError(
                f"the {platform} platform is not available in this version of engagebot yet; "
                f"remove platforms.{platform} (or set enabled: false) to run on the console"
            )
    return adapters
