"""The local terminal "platform": the zero-setup default, and a scriptable demo."""

from __future__ import annotations

from bot.adapters.console.adapter import ConsoleAdapter
from bot.clock import Clock
from bot.config import LoadedConfig


def create_adapter(config: LoadedConfig, clock: Clock) -> ConsoleAdapter:
    console = config.settings.platforms.console
    return ConsoleAdapter(clock, staff=list(console.staff) if console else None)


__all__ = ["ConsoleAdapter", "create_adapter"]
