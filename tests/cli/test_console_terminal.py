"""What a merchant sees at the console in a real terminal: the bot's log lines (and the
dashboard's address, and posts made while they type) appear above the `name> ` prompt,
never inside the line being typed, and the prompt stays the last line."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.terminal_screen import Terminal
from tests.cli.test_health_cmd import free_port
from tests.conftest import SHOP_HEADER, WriteConfig

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) ")
PROMPT = re.compile(r"^(merchant|alice)> ")

SHOP = SHOP_HEADER + (
    "web:\n  host: 127.0.0.1\n  port: {port}\n"
    "polls:\n"
    "  - id: helmets\n"
    "    question: Which helmet should we stock?\n"
    "    channels: [community]\n"
    "    duration: 7d\n"
    "    options:\n"
    "      - {{id: aero, label: AeroLite MIPS}}\n"
    "      - {{id: urban, label: Urban Shell}}\n"
)


def typed_after_prompts(screen: list[str]) -> list[str]:
    return [line for line in screen if PROMPT.match(line)]


def test_log_lines_stay_above_the_prompt(write_config: WriteConfig, tmp_path: Path) -> None:
    config = write_config(SHOP.format(port=free_port()))
    terminal = Terminal("run", "-c", str(config))
    try:
        # Start-up: the dashboard's address and the summary come after the prompt is shown.
        terminal.wait_for("INFO bot.summary: next prompt")
        screen = terminal.screen()
        assert screen[-1] == "merchant> ", screen
        assert typed_after_prompts(screen) == ["merchant> "], screen
        assert any(line.startswith("Dashboard: http://localhost:") for line in screen), screen
        assert sum(bool(LOG_LINE.match(line)) for line in screen) >= 4, screen

        terminal.type("1\n")
        terminal.wait_for("tally:")
        terminal.type("/as alice\n")
        terminal.wait_for("(you are now alice)")
        terminal.type("2\n")
        terminal.wait_for("2 votes")
        terminal.type("/as merchant\n")
        terminal.wait_for("(you are now merchant)")
        terminal.type("/close helmets\n")
        terminal.wait_for("results are being posted.")  # the reply to /close
        terminal.wait_for("announced")  # the log line of the results post
        screen = terminal.screen()
        assert screen[-1] == "merchant> ", screen
        assert typed_after_prompts(screen) == [
            "merchant> 1",
            "merchant> /as alice",
            "alice> 2",
            "alice> /as merchant",
            "merchant> /close helmets",
            "merchant> ",
        ], screen
        closing = [line for line in screen if LOG_LINE.match(line) and "helmets" in line]
        assert any("closed" in line for line in closing), screen

        terminal.type("\x04")  # Ctrl-D: input ends, and with it a console-only run
        assert terminal.wait_for_exit() == 0
        screen = terminal.screen()
        assert LOG_LINE.match(screen[-2]) and screen[-2].endswith("INFO bot.runner: stopped")
        assert typed_after_prompts(screen)[-1] == "merchant> /close helmets", screen
    finally:
        terminal.close()
