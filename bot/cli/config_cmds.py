"""run, validate, schema."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from bot.cli import main
from bot.cli.common import chosen_path, config_option, load, load_or_exit, run_async
from bot.config import json_schema

log = logging.getLogger("bot.config")


@main.command()
@config_option
def run(config_path: Path | None) -> None:
    """Run the bot on every enabled platform until stopped (or end of console input)."""
    from bot.runner import serve

    config = load_or_exit(config_path)
    for notice in config.notices:  # a platform whose secrets are not set is left out
        log.warning("%s", notice)
    run_async(lambda: serve(config, reload=lambda: load(config_path)))


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@config_option
def validate(path: Path | None, config_path: Path | None) -> None:
    """Check a config and report every problem as file:line:col."""
    config = load_or_exit(path or config_path)  # no config found: one line, exit 2
    chosen = chosen_path(path or config_path)
    settings = config.settings
    platforms = ", ".join(config.enabled_platforms)
    click.echo(
        f"{chosen}: OK — {len(settings.polls)} poll(s), "
        f"{len(settings.prompts)} prompt set(s), platforms: {platforms}"
    )
    from bot.summary import shards_line

    shards = shards_line(config)
    if shards is not None:
        click.echo(shards)
    for notice in config.notices:
        click.echo(notice)


@main.command()
def schema() -> None:
    """Print the config's JSON Schema (for editor autocompletion)."""
    click.echo(json.dumps(json_schema(), indent=2))
