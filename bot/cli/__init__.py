"""`engagebot` command line: run the bot, check a config, and read or steer polls.

Every command takes -c/--config and reads the database that config names. Commands live
in one module per area; each registers itself on `main` when imported, and a module is
imported when one of its commands is used (or `--help` lists them all): starting the bot
does not load the report, export and setup code."""

from __future__ import annotations

import importlib
import logging

import click

from bot import __version__
from bot.logs import LogFormat, level_for, setup_logging

# Each command's module in bot/cli/.
COMMAND_MODULES = {
    "run": "config_cmds",
    "validate": "config_cmds",
    "schema": "config_cmds",
    "db": "db_cmds",
    "polls": "poll_cmds",
    "results": "poll_cmds",
    "open": "poll_cmds",
    "close": "poll_cmds",
    "schedule": "prompt_cmds",
    "prompts": "prompt_cmds",
    "export": "report_cmds",
    "report": "report_cmds",
    "discord": "setup_cmds",
    "slack": "setup_cmds",
    "health": "setup_cmds",
}


class _Group(click.Group):
    """Commands are imported on first use (COMMAND_MODULES). Dates far outside the
    calendar (year 1 or 9999) overflow date arithmetic: report them like any other bad
    argument instead of with a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            # An unknown name loads them all: click suggests the closest ("Did you mean").
            wanted = COMMAND_MODULES.get(cmd_name)
            for module in [wanted] if wanted else sorted(set(COMMAND_MODULES.values())):
                importlib.import_module(f"bot.cli.{module}")  # registers its commands
        return super().get_command(ctx, cmd_name)

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


__all__ = ["COMMAND_MODULES", "main"]
