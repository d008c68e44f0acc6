"""For the merchant at the terminal: export a poll's votes, and the engagement report."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

import click

from bot.cli import main
from bot.cli.common import config_option, fail, format_option, load_or_exit, run_async, with_service
from bot.clock import SystemClock
from bot.errors import EngageBotError
from bot.polls import export as exporting
from bot.polls.engagement import Report, build_report
from bot.polls.service import PollService
from bot.private_files import open_private
from bot.readouts import report_window

DEFAULT_DAYS = 14


@main.command(name="export")
@click.argument("poll_id")
@config_option
@format_option("csv", "json")
@click.option(
    "--raw-ids",
    is_flag=True,
    help="Add the customers' platform user ids and names (personal data: handle with care).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
def export_(
    poll_id: str, config_path: Path | None, fmt: str, raw_ids: bool, output: Path | None
) -> None:
    """One row per vote: time, platform, pseudonymous voter id, option."""
    config = load_or_exit(config_path, secrets_required=False)

    async def collect(service: PollService) -> list[exporting.VoteRow]:
        # Unknown ids get the usual one-line error listing the known polls.
        poll = await service.definition(poll_id)
        return await exporting.vote_rows(service.store, poll, config.zone, raw_ids)

    found = run_async(lambda: with_service(config, collect, read_only=True))

    def write(out: TextIO) -> None:
        if fmt == "json":
            data = [row.as_dict(raw_ids) for row in found]
            out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            exporting.write_csv(found, out, raw_ids)

    if output is None:
        write(sys.stdout)
        return
    try:
        with open_private(output) as out:  # 0600: votes, and with --raw-ids who cast them
            write(out)
    except OSError as error:
        fail(EngageBotError(f"cannot write {output}: {error.strerror}"))
    click.echo(f"{len(found)} votes written to {output}", err=True)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2026-03-01") from None


@main.command()
@config_option
@click.option("--since", help="First day (YYYY-MM-DD, store time); default: two weeks ago.")
@click.option("--until", help="Last day (YYYY-MM-DD, store time); default: today.")
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the figures per day to this PNG file.",
)
@format_option("table", "json")
def report(
    config_path: Path | None,
    since: str | None,
    until: str | None,
    chart_path: Path | None,
    fmt: str,
) -> None:
    """Engagement per day: polls running, votes, participants, prompt posts, replies."""
    config = load_or_exit(config_path, secrets_required=False)
    now = SystemClock().now()
    first, last = report_window(now.astimezone(config.zone).date(), _day(since), _day(until))
    if first > last:
        raise click.BadParameter("--since is after --until", param_hint="--since")

    async def collect(service: PollService) -> Report:
        return await build_report(service.store, config.zone, first, last, now)

    outcome = run_async(lambda: with_service(config, collect, read_only=True))
    if chart_path is not None:
        _draw(outcome, config.settings.store.name, chart_path)
    if fmt == "json":
        click.echo(json.dumps(outcome.to_json(), indent=2))
        return
    _print_report(outcome, config.settings.store.name)


def _draw(outcome: Report, store_name: str, path: Path) -> None:
    from bot.polls.chart import DaySeries, report_chart, report_title

    series = [DaySeries(d.day, d.votes, d.participants, d.replies) for d in outcome.days]
    title = report_title(store_name, outcome.since, outcome.until)
    try:
        report_chart(series, title, path)
    except OSError as error:
        fail(EngageBotError(f"cannot write the chart to {path}: {error.strerror}"))
    click.echo(f"chart written to {path}", err=True)


def _print_report(outcome: Report, store_name: str) -> None:
    # rich is imported by the commands that print tables: `run` starts without it
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(f"Engagement — {store_name}"))
    table.add_column("day", no_wrap=True)
    for column in ("polls", "votes", "participants", "prompt posts", "replies"):
        table.add_column(column, justify="right")
    for day in outcome.days:
        table.add_row(
            f"{day.day:%a %Y-%m-%d}",
            *(str(n) for n in (day.polls_running, day.votes, day.participants)),
            *(str(n) for n in (day.prompt_posts, day.replies)),
        )
    t = outcome.totals
    table.add_section()
    table.add_row(
        "total",
        *(str(n) for n in (t.polls_running, t.votes, t.participants, t.prompt_posts, t.replies)),
    )
    Console().print(table)
