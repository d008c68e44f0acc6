"""schedule (what will be posted when) and prompts (each prompt set and its history)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import click

from bot.cli import main
from bot.cli.common import (
    config_option,
    format_option,
    load_or_exit,
    open_config_store,
    run_async,
    with_service,
)
from bot.polls.service import PollService
from bot.readouts import planned_runs, prompts_history, question_text
from bot.scheduler import PlannedRun
from bot.storage.base import PromptPost


@main.command()
@config_option
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 366),
    help="How many days to show.",
)
@click.option(
    "--from",
    "from_date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day (YYYY-MM-DD, in the store's zone); default: now.",
)
@format_option("table", "json")
def schedule(config_path: Path | None, days: int, from_date: datetime | None, fmt: str) -> None:
    """What will be posted, where and when (local and UTC), for the next days."""
    # rich is imported by the commands that print tables: `run` starts without it
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    config = load_or_exit(config_path, secrets_required=False)
    if from_date is None:
        start = datetime.now(UTC)
    else:
        start = datetime.combine(from_date.date(), time.min, config.zone).astimezone(UTC)
    end = start + timedelta(days=days)

    async def collect(service: PollService) -> list[PlannedRun]:
        return await planned_runs(config, service, start, end)

    runs = run_async(lambda: with_service(config, collect, read_only=True))
    if fmt == "json":
        click.echo(json.dumps([run.to_json() for run in runs], indent=2, ensure_ascii=False))
        return
    table = Table(title=escape(f"Schedule — {config.settings.store.name}, {days} day(s)"))
    for column in ("local time", "UTC", "what", "id", "channel", "text"):
        table.add_column(column)
    for run in runs:
        when = f"{run.local_time:%a %Y-%m-%d %H:%M %Z}"
        if run.catch_up_of is not None:
            when = f"now (catch-up of {run.catch_up_of:%H:%M})"
        table.add_row(
            when,
            f"{run.utc_time:%H:%M}",
            run.kind.replace("_", " "),
            run.id,
            "#" + run.channel,
            escape(run.text),
        )
    Console().print(table)
    if not runs:
        click.echo("Nothing is scheduled in this period.")


@main.command()
@config_option
@format_option("table", "json")
def prompts(config_path: Path | None, fmt: str) -> None:
    """Each prompt set and its history: posts and replies per post."""
    # rich is imported by the commands that print tables: `run` starts without it
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    config = load_or_exit(config_path, secrets_required=False)

    async def collect() -> list[PromptPost]:
        store = await open_config_store(config, read_only=True)
        try:
            return await store.prompt_posts()
        finally:
            await store.close()

    posts = run_async(collect)
    if fmt == "json":
        click.echo(json.dumps(prompts_history(config, posts), indent=2, ensure_ascii=False))
        return
    console = Console()
    for prompt in config.settings.prompts:
        mine = [p for p in posts if p.prompt_id == prompt.id]
        replies = sum(p.replies for p in mine)
        table = Table(title=escape(f"{prompt.id}: {len(mine)} post(s), {replies} repl(ies)"))
        for column in ("date", "channel", "question", "posted", "replies"):
            table.add_column(column, justify="right" if column == "replies" else "left")
        for post in mine:
            table.add_row(
                post.local_date.isoformat(),
                f"{post.channel.platform}:{post.channel.id}",
                escape(question_text(config, post)),
                "yes" if post.message_id else "not confirmed",
                str(post.replies),
            )
        console.print(table)
