"""Slack: slack-bolt AsyncApp in, Block Kit out, over Socket Mode or HTTP."""

from __future__ import annotations

from bot.adapters.slack.adapter import SlackAdapter
from bot.clock import Clock
from bot.config import LoadedConfig
from bot.errors import PlatformError


def create_adapter(config: LoadedConfig, clock: Clock) -> SlackAdapter:
    settings = config.settings.platforms.slack
    if settings is None:
        raise PlatformError("platforms.slack is not configured")
    return SlackAdapter(settings, clock)


__all__ = ["SlackAdapter", "create_adapter"]
