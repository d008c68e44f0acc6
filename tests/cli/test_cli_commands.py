"""`engagebot` finds each command in the module COMMAND_MODULES names, which is imported
only when the command is used: the map and the modules must agree."""

from __future__ import annotations

import importlib

from bot.cli import COMMAND_MODULES, main
from tests.cli_runner import engagebot


def test_every_command_lives_in_the_module_named_for_it() -> None:
    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"bot.cli.{module}")
    found = {
        name: command.callback.__module__
        for name, command in main.commands.items()
        if command.callback is not None
    }
    assert found == {name: f"bot.cli.{module}" for name, module in COMMAND_MODULES.items()}


def test_help_lists_every_command_and_a_typo_gets_a_suggestion() -> None:
    listed = engagebot("--help").stdout.split("Commands:")[1]
    assert [line.split()[0] for line in listed.splitlines() if line.strip()] == sorted(
        COMMAND_MODULES
    )
    assert "Did you mean 'results'?" in engagebot("resluts").stderr
