"""Polls: list, results, open, close."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import click

from bot import i18n
from bot.cli import main
from bot.cli.common import (
    config_option,
    fail,
    format_option,
    load_or_exit,
    run_async,
    with_service,
)
from bot.config import LoadedConfig
from bot.errors import EngageBotError
from bot.polls.render import render_results
from bot.polls.results import PollResults
from bot.polls.service import CloseOutcome, PollService
from bot.readouts import all_results, poll_summary
from bot.storage.base import PollState
from bot.timefmt import human


@main.command()
@config_option
@format_option("table", "json")
def polls(config_path: Path | None, fmt: str) -> None:
    """List polls with their state, times and vote counts."""
    # rich is imported by the commands that print tables: `run` starts without it
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    config = load_or_exit(config_path, secrets_required=False)

    rows, now = run_async(lambda: with_service(config, _listing, read_only=True))
    if fmt == "json":
        click.echo(json.dumps([poll_summary(r) for r in rows], indent=2))
        return
    table = Table(title=escape(f"Polls — {config.settings.store.name}"))
    for column in ("id", "state", "opens / opened", "closes / closed", "votes", "voters"):
        table.add_column(column, justify="right" if column in ("votes", "voters") else "left")
    for r in rows:
        opens = human(r.opens_at, config.zone, now) if r.opens_at else "—"
        if r.state is PollState.SCHEDULED and r.opens_at is None:
            opens = "when the bot starts"
        ends = r.closed_at or r.closes_at
        closes = human(ends, config.zone, now) if ends else "—"
        if ends is None and r.duration is not None:
            closes = f"{_span(r.duration)} after opening"
        votes, voters = i18n.number(r.total_votes), i18n.number(r.voters)
        table.add_row(r.id, r.state.value, opens, closes, votes, voters)
    Console().print(table)


async def _listing(service: PollService) -> tuple[list[PollResults], datetime]:
    """Every poll, and now by the service's clock: a date in another year shows it."""
    return await all_results(service), service.clock.now()


def _span(duration: timedelta) -> str:
    """e.g. '7 days', '36 hours', '90 minutes'."""
    minutes = int(duration.total_seconds()) // 60
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes % size == 0 and minutes >= size:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@main.command()
@click.argument("poll_id")
@config_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the bar chart to this PNG file.",
)
def results(poll_id: str, config_path: Path | None, fmt: str, chart_path: Path | None) -> None:
    """Show a poll's tally and verdict (table, json or csv)."""
    config = load_or_exit(config_path, secrets_required=False)
    outcome, now = run_async(lambda: with_service(config, _results_now(poll_id), read_only=True))
    if chart_path is not None:
        from bot.polls.chart import results_chart

        try:
            results_chart(outcome, chart_path)
        except OSError as error:
            fail(EngageBotError(f"cannot write the chart to {chart_path}: {error.strerror}"))
        click.echo(f"chart written to {chart_path}", err=True)
    if fmt == "json":
        click.echo(json.dumps(outcome.to_json(), indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["option_id", "label", "votes", "share"])
        for option in outcome.options:
            writer.writerow([option.id, option.label, option.votes, f"{option.share:.4f}"])
    else:
        _print_results(outcome, config, now)


def _results_now(
    poll_id: str,
) -> Callable[[PollService], Awaitable[tuple[PollResults, datetime]]]:
    async def results(service: PollService) -> tuple[PollResults, datetime]:
        return await service.results(poll_id), service.clock.now()

    return results


def _print_results(outcome: PollResults, config: LoadedConfig, now: datetime) -> None:
    # rich is imported by the commands that print tables: `run` starts without it
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(f"{outcome.question} [{outcome.id}, {outcome.state.value}]"))
    table.add_column("option")
    table.add_column("label")
    table.add_column("votes", justify="right")
    table.add_column("share", justify="right")
    winner = outcome.winner
    for option in outcome.options:
        mark = " 🏆" if winner is not None and option.id == winner.id else ""
        votes, share = i18n.number(option.votes), i18n.percent(option.share)
        table.add_row(option.id, escape(option.label) + mark, votes, share)
    console = Console()
    console.print(table)
    for line in render_results(outcome).details:
        console.print(escape(line))
    if outcome.closes_at and outcome.closed_at is None:
        console.print(f"closes {human(outcome.closes_at, config.zone, now)}")


@main.command(name="open")
@click.argument("poll_id")
@config_option
def open_(poll_id: str, config_path: Path | None) -> None:
    """Open a poll now (a running bot posts it within seconds)."""
    config = load_or_exit(config_path)
    if run_async(lambda: with_service(config, lambda s: s.open(poll_id, by="cli"))):
        click.echo(f"Poll {poll_id} opened. The running bot posts it (or does at its next start).")
    else:
        click.echo(f"Poll {poll_id} was already opened; nothing changed.")


@main.command()
@click.argument("poll_id")
@config_option
def close(poll_id: str, config_path: Path | None) -> None:
    """Close a poll now (a running bot announces the results within seconds)."""
    config = load_or_exit(config_path)
    outcome = run_async(lambda: with_service(config, lambda s: s.close(poll_id, by="cli")))
    if outcome is CloseOutcome.CANCELLED:
        click.echo(f"Poll {poll_id} had not opened yet: cancelled, nothing will be posted.")
    elif outcome is CloseOutcome.CLOSED:
        click.echo(
            f"Poll {poll_id} closed. The running bot posts its results (or does at its next start)."
        )
    else:
        click.echo(f"Poll {poll_id} was already closed; nothing changed.")
