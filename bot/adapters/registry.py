"""Builds the adapters for the enabled platforms. Platform packages are imported here
lazily, so running on the console never loads discord.py or slack-bolt.

Each platform package exposes `create_adapter(config: LoadedConfig, clock: Clock) -> Adapter`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bot.clock import Clock
from bot.config import LoadedConfig
from bot.core.adapter import Adapter
from bot.errors import PlatformError

Factory = Callable[[LoadedConfig, Clock], Adapter]


def _factory(platform: str) -> Factory:
    name = f"bot.adapters.{platform}"
    try:
        module = importlib.import_module(name)
        factory: Factory = module.create_adapter
    except (ModuleNotFoundError, AttributeError) as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name != name:
            raise  # a real bug or a missing dependency: don't disguise it
        raise PlatformError(
            f"the {platform} platform is not available in this version of engagebot; "
            f"remove platforms.{platform} (or set enabled: false) to run without it"
        ) from exc
    return factory


def build_adapters(config: LoadedConfig, clock: Clock) -> list[Adapter]:
    return [_factory(platform)(config, clock) for platform in config.enabled_platforms]
