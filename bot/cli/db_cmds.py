"""`engagebot db status` and `engagebot db copy --to URL`: look at the database the
config names, and move everything in it to another one (e.g. SQLite -> PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli import main
from bot.cli.common import config_option, fail, format_option, load_or_exit, run_async
from bot.errors import StorageError
from bot.storage.urls import describe, resolve_relative

if TYPE_CHECKING:
    from bot.storage.admin import CopyReport


@main.group(name="db")
def db() -> None:
    """Inspect the database, or copy everything in it to another one."""


@db.command(name="status")
@config_option
@format_option("text", "json")
def status(config_path: Path | None, fmt: str) -> None:
    """Backend, schema version, row counts and size (reads only)."""
    from bot.storage import admin  # asyncpg: loaded only by the commands that use it

    config = load_or_exit(config_path, secrets_required=False)
    found = run_async(lambda: admin.status(config.database_url))
    if fmt == "json":
        click.echo(json.dumps(found.as_json(), indent=2))
        return
    click.echo(f"backend: {found.backend}")
    click.echo(f"database: {found.database}")
    click.echo(f"schema version: {found.schema_version}")
    click.echo(f"size: {found.size_bytes} bytes")
    if not found.rows:
        click.echo("no engagebot tables yet (the bot creates them when it first starts)")
    for table, count in found.rows.items():
        click.echo(f"  {table:<16} {count:>10}")


@db.command(name="copy")
@config_option
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="An empty database: postgresql://user@host:5432/db or sqlite:///path.db",
)
def copy(config_path: Path | None, target: str) -> None:
    """Copy everything (polls, ballots, delivery ids, claims, prompt history, run-offs,
    the pseudonym key) into an empty database, in one transaction, and check it."""
    from bot.storage import admin

    config = load_or_exit(config_path, secrets_required=False)
    target = resolve_relative(target, Path.cwd())
    try:
        report = run_async_raw(config.database_url, target)
    except admin.TargetNotEmpty as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    total = sum(report.rows.values())
    click.echo(
        f"Copied {total} rows from {describe(config.database_url)} to {describe(target)}; "
        f"counts and the tallies of {report.polls_checked} polls match."
    )
    for table, count in report.rows.items():
        if count:
            click.echo(f"  {table:<16} {count:>10}")


def run_async_raw(source: str, target: str) -> CopyReport:
    """Like run_async, but TargetNotEmpty reaches the caller (exit 2, not 1)."""
    from bot.storage import admin

    try:
        return asyncio.run(admin.copy_database(source, target))
    except admin.TargetNotEmpty:
        raise
    except StorageError as error:
        fail(error)
