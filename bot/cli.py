"""`engagebot` command line: run the bot, check a config, and read or steer polls.

Every command takes -c/--config and reads the database that config names. Errors the
merchant can fix are printed as one line each (no traceback): exit code 2 for config
and usage problems, 1 for refused operations."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import __version__
from bot.clock import SystemClock
from bot.config import LoadedConfig, default_config_path, json_schema, load_config
from bot.errors import ConfigError, EngageBotError
from bot.polls.results import PollResults
from bot.polls.service import PollService
from bot.storage import open_store
from bot.storage.base import Store
from bot.timefmt import human

T = TypeVar("T")
FORMATS = click.Choice(["table", "json"])
log = logging.getLogger("engagebot")


def _config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        default=None,
        help="Config file or folder (default: config/ or config/example.yaml).",
    )(func)


DATABASE_ENV = "ENGAGEBOT_DATABASE_URL"


def _load(config_path: Path | None) -> LoadedConfig:
    config = load_config(config_path if config_path is not None else default_config_path())
    # Deployments (Docker) keep the database outside the read-only config folder.
    override = os.environ.get(DATABASE_ENV)
    return replace(config, database_url=override) if override else config


def _fail(error: EngageBotError) -> None:
    if isinstance(error, ConfigError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
        count = len(error.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
        sys.exit(2)
    click.echo(f"error: {error}", err=True)
    sys.exit(1)


def _run_async(work: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except EngageBotError as error:
        _fail(error)
        raise  # unreachable: _fail exits


async def _with_service(config: LoadedConfig, use: Callable[[PollService], Awaitable[T]]) -> T:
    store: Store = open_store(config.database_url)
    await store.open()
    try:
        service = PollService(config, store, SystemClock())
        await service.sync_config()
        return await use(service)
    finally:
        await store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="engagebot")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """engagebot: product polls and daily prompts for your shop's community."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@_config_option
def run(config_path: Path | None) -> None:
    """Run the bot on every enabled platform until stopped (or end of console input)."""
    from bot.runner import serve

    try:
        config = _load(config_path)
    except EngageBotError as error:
        _fail(error)
    _run_async(lambda: serve(config))


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@_config_option
def validate(path: Path | None, config_path: Path | None) -> None:
    """Check a config and report every problem as file:line:col."""
    try:
        chosen = path or config_path or default_config_path()
        config = _load(chosen)
    except EngageBotError as error:
        _fail(error)
    settings = config.settings
    platforms = ", ".join(config.enabled_platforms)
    click.echo(
        f"{chosen}: OK — {len(settings.polls)} poll(s), "
        f"{len(settings.prompts)} prompt set(s), platforms: {platforms}"
    )


@main.command()
def schema() -> None:
    """Print the config's JSON Schema (for editor autocompletion)."""
    click.echo(json.dumps(json_schema(), indent=2))


@main.command()
@_config_option
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def polls(config_path: Path | None, fmt: str) -> None:
    """List polls with their state, times and vote counts."""
    try:
        config = _load(config_path)
    except EngageBotError as error:
        _fail(error)

    async def collect(service: PollService) -> list[PollResults]:
        return [await service.results(poll.id) for poll in service.polls]

    rows = _run_async(lambda: _with_service(config, collect))
    if fmt == "json":
        click.echo(json.dumps([_poll_summary(r) for r in rows], indent=2))
        return
    table = Table(title=escape(f"Polls — {config.settings.store.name}"))
    for column in ("id", "state", "opened", "closes / closed", "votes", "voters"):
        table.add_column(column, justify="right" if column in ("votes", "voters") else "left")
    for r in rows:
        opened = human(r.opened_at, config.zone) if r.opened_at else "—"
        ends = r.closed_at or r.closes_at
        table.add_row(
            r.id,
            r.state.value,
            opened,
            human(ends, config.zone) if ends else "—",
            str(r.total_votes),
            str(r.voters),
        )
    Console().print(table)


def _poll_summary(results: PollResults) -> dict[str, Any]:
    data = results.to_json()
    keys = (
        "id",
        "question",
        "state",
        "total_votes",
        "voters",
        "opened_at",
        "closes_at",
        "closed_at",
    )
    return {key: data[key] for key in keys}


@main.command()
@click.argument("poll_id")
@_config_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def results(poll_id: str, config_path: Path | None, fmt: str) -> None:
    """Show a poll's tally (table, json or csv)."""
    try:
        config = _load(config_path)
    except EngageBotError as error:
        _fail(error)
    outcome = _run_async(lambda: _with_service(config, lambda s: s.results(poll_id)))
    if fmt == "json":
        click.echo(json.dumps(outcome.to_json(), indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["option_id", "label", "votes", "share"])
        for option in outcome.options:
            writer.writerow([option.id, option.label, option.votes, f"{option.share:.4f}"])
    else:
        _print_results(outcome, config)


def _print_results(outcome: PollResults, config: LoadedConfig) -> None:
    table = Table(title=escape(f"{outcome.question} [{outcome.id}, {outcome.state.value}]"))
    table.add_column("option")
    table.add_column("label")
    table.add_column("votes", justify="right")
    table.add_column("share", justify="right")
    winner = outcome.winner
    for option in outcome.options:
        mark = " 🏆" if winner is not None and option.id == winner.id else ""
        table.add_row(
            option.id, escape(option.label) + mark, str(option.votes), f"{option.share:.0%}"
        )
    console = Console()
    console.print(table)
    console.print(f"{outcome.total_votes} votes from {outcome.voters} customers")
    if outcome.closes_at and outcome.closed_at is None:
        console.print(f"closes {human(outcome.closes_at, config.zone)}")


@main.command(name="open")
@click.argument("poll_id")
@_config_option
def open_(poll_id: str, config_path: Path | None) -> None:
    """Open a poll now (a running bot posts it within seconds)."""
    _transition(poll_id, config_path, opening=True)


@main.command()
@click.argument("poll_id")
@_config_option
def close(poll_id: str, config_path: Path | None) -> None:
    """Close a poll now (a running bot announces the results within seconds)."""
    _transition(poll_id, config_path, opening=False)


def _transition(poll_id: str, config_path: Path | None, opening: bool) -> None:
    try:
        config = _load(config_path)
    except EngageBotError as error:
        _fail(error)

    async def act(service: PollService) -> bool:
        if opening:
            return await service.open(poll_id, by="cli")
        return await service.close(poll_id, by="cli")

    changed = _run_async(lambda: _with_service(config, act))
    verb = "opened" if opening else "closed"
    if changed:
        follow = "posts it" if opening else "posts its results"
        click.echo(f"Poll {poll_id} {verb}. The running bot {follow} (or does at its next start).")
    else:
        click.echo(f"Poll {poll_id} was already {verb}; nothing changed.")
