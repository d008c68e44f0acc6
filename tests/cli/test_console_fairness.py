"""The console as a fair stand-in for chat: it says what to type, understands a vote
however the option is named, never speaks of buttons, and counts only real replies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot import messages
from bot.adapters.console import render
from tests.cli_runner import engagebot
from tests.conftest import BASIC_CONFIG, WriteConfig
from tests.prompts.test_prompts_in_app import running_since_yesterday

VOTE_LIKE = ("1.5", "-1", "１", "0", "99", "²", "+2", "3.")
EVERY_COMMAND = ("/vote", "/as", "/polls", "/results", "/open", "/close", "/help", "/quit")


def tally(path: Path) -> dict[str, int]:
    done = engagebot("results", "helmets", "-c", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    return {option["id"]: option["votes"] for option in json.loads(done.stdout)["options"]}


def test_cards_say_what_to_type(write_config: WriteConfig) -> None:
    done = engagebot("run", "-c", str(write_config()), stdin="")
    assert done.returncode == 0, done.stderr
    assert "  2) Urban Shell [urban] — €65.00" in done.stdout
    assert "     → type 2 or /vote helmets urban" in done.stdout
    assert "Vote: type a number from 1 to 3, or /vote helmets OPTION" in done.stdout


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [
        ("/vote helmets 2", "urban"),
        ("/vote helmets urban", "urban"),
        ("/vote helmets URBAN", "urban"),
        ("/vote helmets urban shell", "urban"),  # a label, no quotes needed
        ('/vote helmets "Trail Pro"', "trail"),
        ("/vote trail pro", "trail"),  # the poll shown last
    ],
)
def test_vote_accepts_a_number_an_id_or_a_label(
    write_config: WriteConfig, typed: str, chosen: str
) -> None:
    path = write_config()
    done = engagebot("run", "-c", str(path), stdin=f"{typed}\n")
    assert done.returncode == 0, done.stderr
    assert "✅ Your vote for" in done.stdout
    assert tally(path) == {"aero": 0, "urban": 0, "trail": 0} | {chosen: 1}


def test_multiple_choice_vote_by_numbers_and_labels(write_config: WriteConfig) -> None:
    path = write_config(max_choices=2)
    done = engagebot("run", "-c", str(path), stdin="/vote helmets 1 trail\n")
    assert done.returncode == 0, done.stderr
    assert tally(path) == {"aero": 1, "urban": 0, "trail": 1}


def test_vote_like_input_gets_the_range_and_never_counts(write_config: WriteConfig) -> None:
    path = write_config()
    lines = [*VOTE_LIKE, "/vote helmets 7", "/vote helmets -1"]
    done = engagebot("run", "-c", str(path), stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    hint = "→ (only merchant sees this) Type a number from 1 to 3 (or /vote helmets OPTION)."
    assert done.stdout.count(hint) == len(lines)
    assert tally(path) == {"aero": 0, "urban": 0, "trail": 0}


PROMPT_CONFIG = (
    BASIC_CONFIG.format(timing="duration: 7d", max_choices=1, allow_change="true", results="live")
    + """\
prompts:
  - id: daily
    channels: [community]
    cron: "0 0 * * *"
    questions:
      - text: Best ride this week?
"""
)


def test_only_real_text_is_a_reply_to_the_daily_question(write_config: WriteConfig) -> None:
    path = write_config(PROMPT_CONFIG)
    assert engagebot("run", "-c", str(path)).returncode == 0  # first run: sees the set
    running_since_yesterday(path)  # so today's 00:00 question is caught up
    script = ["", "   ", "...", "\u200b", *VOTE_LIKE, "Col du Galibier!", "/as bob", "👍"]
    done = engagebot("run", "-c", str(path), stdin="\n".join(script) + "\n")
    assert done.returncode == 0, done.stderr
    assert "💬 #general [daily] Best ride this week?" in done.stdout
    history = engagebot("prompts", "-c", str(path), "--format", "json")
    assert [post["replies"] for post in json.loads(history.stdout)[0]["posts"]] == [2]


def test_help_and_unknown_commands_list_every_command(write_config: WriteConfig) -> None:
    done = engagebot("run", "-c", str(write_config()), stdin="/help\n/frobnicate\n")
    assert done.returncode == 0, done.stderr
    help_part, unknown_part = done.stdout.split("/frobnicate", 1)
    assert "Unknown command /frobnicate." in unknown_part
    for part in (help_part, unknown_part):
        for command in EVERY_COMMAND:
            assert re.search(rf"^\s+{re.escape(command)}\b", part, re.MULTILINE), command


def test_no_console_reply_speaks_of_buttons_or_clicks(write_config: WriteConfig) -> None:
    path = write_config(max_choices=2)
    # Withdraw by choosing the same option twice; an unknown poll; the help.
    script = "1\n1\n/vote nope aero\n/help\n/as alice\n1\n/as merchant\n/close helmets\n2\n"
    done = engagebot("run", "-c", str(path), stdin=script)
    assert done.returncode == 0, done.stderr
    assert "was withdrawn. Type an option's number to vote again." in done.stdout
    assert "not a poll I know" in done.stdout
    assert not re.search(r"button|click", done.stdout, re.IGNORECASE)


def test_every_shared_reply_has_console_wording() -> None:
    """Catches a new shared text that mentions buttons before a customer sees it."""
    shared = [
        value
        for name, value in vars(messages).items()
        if isinstance(value, str) and name.isupper() and not name.startswith(("DISCORD", "SLACK"))
    ]
    speaking_of_buttons = [
        text for text in shared if re.search(r"button|click", render.console_wording(text), re.I)
    ]
    assert speaking_of_buttons == []
