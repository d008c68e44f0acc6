"""`engagebot` command line: run the bot, check a config, and read or steer polls.

Every command takes -c/--config and reads the database that config names. Commands live
in one module per area; each registers itself on `main`."""

from __future__ import annotations

import logging

import click

from bot import __version__


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
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """engagebot: product polls and daily prompts for your shop's community."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# Imported for their side effect of adding commands to `main`.
from bot.cli import config_cmds, poll_cmds, prompt_cmds, report_cmds  # noqa: E402

__all__ = ["config_cmds", "main", "poll_cmds", "prompt_cmds", "report_cmds", "setup_cmds"]

# Setup helpers (discord invite-url, slack manifest).
from bot.cli import setup_cmds  # noqa: E402
