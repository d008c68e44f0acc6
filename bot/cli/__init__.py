"""`engagebot` command line: run the bot, check a config, and read or steer polls.

Every command takes -c/--config and reads the database that config names. Commands live
in one module per area; each registers itself on `main`."""

from __future__ import annotations

import logging

import click

from bot import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="engagebot")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """engagebot: product polls and daily prompts for your shop's community."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# Imported for their side effect of adding commands to `main`.
from bot.cli import config_cmds, poll_cmds, prompt_cmds, report_cmds  # noqa: E402

__all__ = ["config_cmds", "main", "poll_cmds", "prompt_cmds", "report_cmds"]
