"""`engagebot` command line: run the bot, check a config, and read or steer polls.

Every command takes -c/--config and reads the database that config names. Commands live
in one module per area; each registers itself on `main`."""

from __future__ import annotations

import logging

import click

from bot import __version__
from bot.logs import LogFormat, level_for, setup_logging


class _Group(click.Group):
    """Dates far outside the calendar (year 1 or 9999) overflow date arithmetic: report
    them like any other bad argument instead of with a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OverflowError:
            click.echo(
                "error: a date is too far in the past or future; use a year from 1970 to 9000",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="engagebot")
@click.option("-v", "--verbose", count=True, help="Debug output (-vv: libraries' too).")
@click.option("-q", "--quiet", is_flag=True, help="Warnings and errors only.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per line (for containers).",
)
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, log_format: LogFormat) -> None:
    """engagebot: product polls and daily prompts for your shop's community."""
    # `run` tells what it does at INFO; the other commands answer on stdout and log
    # only warnings unless asked.
    default = logging.INFO if ctx.invoked_subcommand == "run" else logging.WARNING
    setup_logging(level_for(verbose, quiet, default), log_format, verbose)


# Imported for their side effect of adding commands to `main`.
from bot.cli import config_cmds, db_cmds, poll_cmds, prompt_cmds, report_cmds  # noqa: E402

__all__ = [
    "config_cmds",
    "db_cmds",
    "main",
    "poll_cmds",
    "prompt_cmds",
    "report_cmds",
    "setup_cmds",
]

# Setup helpers (discord invite-url, slack manifest).
from bot.cli import setup_cmds  # noqa: E402
