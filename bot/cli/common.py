"""What every command shares: the config option, loading, error reporting, the store.

Errors the merchant can fix are printed as one line each (no traceback): exit code 2 for
config and usage problems, 1 for refused operations."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from bot.clock import SystemClock
from bot.config import LoadedConfig, default_config_path, load_config
from bot.errors import ConfigError, DatabaseUnreachable, EngageBotError
from bot.polls.service import PollService
from bot.storage import open_store
from bot.storage.base import Store

T = TypeVar("T")
DATABASE_ENV = "ENGAGEBOT_DATABASE_URL"


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        default=None,
        help="Config file or folder (default: config/ or config/example.yaml).",
    )(func)


def format_option(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True
    )


def chosen_path(config_path: Path | None) -> Path:
    return config_path if config_path is not None else default_config_path()


def load(config_path: Path | None, secrets_required: bool = True) -> LoadedConfig:
    """Load and check the config; raises ConfigError listing every problem.
    secrets_required=False for commands that only read the database: they never reach a
    platform, so they work without the tokens in the environment."""
    config = load_config(chosen_path(config_path), secrets_required=secrets_required)
    # Deployments (Docker) keep the database outside the read-only config folder.
    override = os.environ.get(DATABASE_ENV)
    return replace(config, database_url=override) if override else config


def load_or_exit(config_path: Path | None, secrets_required: bool = True) -> LoadedConfig:
    try:
        return load(config_path, secrets_required)
    except EngageBotError as error:
        fail(error)


def fail(error: EngageBotError) -> NoReturn:
    if isinstance(error, ConfigError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
        count = len(error.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
        sys.exit(2)
    click.echo(f"error: {error}", err=True)
    # An unreachable database is a setup problem, like a bad config: exit 2.
    sys.exit(2 if isinstance(error, DatabaseUnreachable) else 1)


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await work()

    try:
        return asyncio.run(main())
    except EngageBotError as error:
        fail(error)


async def open_config_store(config: LoadedConfig, read_only: bool = False) -> Store:
    store = open_store(config.database_url, read_only=read_only)
    await store.open()
    return store


async def with_service(
    config: LoadedConfig, use: Callable[[PollService], Awaitable[T]], read_only: bool = False
) -> T:
    """Open the config's database, run use(service), and close the database again.
    read_only: the command only reads, and opens the database so (it works on a
    read-only file or folder and never changes the database, not even its schema)."""
    store = await open_config_store(config, read_only)
    try:
        service = PollService(config, store, SystemClock())
        if read_only:
            await service.load_rounds()
        else:
            await service.sync_config()
        return await use(service)
    finally:
        await store.close()
