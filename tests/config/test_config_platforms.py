"""Turning platforms on and off: enabled: false switches one off; a platform block whose
secrets are not set, and that does not say enabled: true, is skipped with one line at
validate and run, so copying the full example with only DISCORD_TOKEN set gives a
working Discord bot. validate says which platforms will run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError
from tests.cli_runner import REPO, engagebot
from tests.config.tokens import DISCORD_TOKEN, SLACK_APP_TOKEN, SLACK_BOT_TOKEN

FULL = REPO / "config" / "example-full.yaml"
NO_SECRETS = {"DISCORD_TOKEN": "", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": ""}
SLACK_SKIPPED = (
    "slack: skipped, SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set; set them to run on "
    "Slack, or write enabled: false under platforms: slack:"
)


def test_the_full_example_with_only_a_discord_token_runs_discord() -> None:
    done = engagebot("validate", str(FULL), env={**NO_SECRETS, "DISCORD_TOKEN": DISCORD_TOKEN})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{FULL}: OK — 1 poll(s), 1 prompt set(s), platforms: console, discord",
        SLACK_SKIPPED,
    ]
    assert DISCORD_TOKEN not in done.stdout + done.stderr
    config = load_config(FULL, env={"DISCORD_TOKEN": DISCORD_TOKEN})
    assert config.enabled_platforms == ("console", "discord")
    assert config.skipped_platforms == (("slack", ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")),)


def test_the_full_example_with_every_secret_runs_everywhere() -> None:
    env = {
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
        "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
    }
    done = engagebot("validate", str(FULL), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{FULL}: OK — 1 poll(s), 1 prompt set(s), platforms: console, discord, slack"
    ]


def test_the_full_example_with_no_secret_still_runs_the_console() -> None:
    done = engagebot("validate", str(FULL), env=NO_SECRETS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].endswith("platforms: console")
    assert done.stdout.splitlines()[1].startswith("discord: skipped, DISCORD_TOKEN is not set;")


BLOCKS = """\
store: {name: Shop}
platforms:
CONSOLE
  discord:
DISCORD
    token: ${DISCORD_TOKEN}
  slack:
SLACK
    bot_token: ${SLACK_BOT_TOKEN}
    app_token: ${SLACK_APP_TOKEN}
channels:
  community: {discord: "234567890123456789", slack: C0123ABCD}
polls:
  - id: helmets
    question: Which helmet?
    channels: [community]
    options: [{id: a, label: A}, {id: b, label: B}]
"""


def write(folder: Path, console: str = "", discord: str = "", slack: str = "") -> Path:
    text = BLOCKS.replace("CONSOLE\n", console).replace("DISCORD\n", discord)
    path = folder / "bot.yaml"
    path.write_text(text.replace("SLACK\n", slack), encoding="utf-8")
    return path


def test_enabled_true_with_a_missing_secret_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, slack="    enabled: true\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"DISCORD_TOKEN": DISCORD_TOKEN})
    assert [str(p).removeprefix(f"{path}:") for p in info.value.problems] == [
        "7:16: environment variable SLACK_BOT_TOKEN is not set "
        "(export SLACK_BOT_TOKEN=... before starting; secrets never go in the YAML)",
        "8:16: environment variable SLACK_APP_TOKEN is not set "
        "(export SLACK_APP_TOKEN=... before starting; secrets never go in the YAML)",
    ]


def test_enabled_false_turns_a_platform_off_without_a_word(tmp_path: Path) -> None:
    path = write(tmp_path, slack="    enabled: false\n")
    done = engagebot("validate", str(path), env={**NO_SECRETS, "DISCORD_TOKEN": DISCORD_TOKEN})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{path}: OK — 1 poll(s), 0 prompt set(s), platforms: discord"
    ]


def test_nothing_left_to_run_makes_the_missing_secret_an_error(tmp_path: Path) -> None:
    path = write(tmp_path)  # discord and slack, no console block, no secrets
    done = engagebot("validate", str(path), env=NO_SECRETS)
    assert done.returncode == 2
    assert [line.removeprefix(f"{path}:") for line in done.stderr.splitlines()] == [
        "4:12: environment variable DISCORD_TOKEN is not set "
        "(export DISCORD_TOKEN=... before starting; secrets never go in the YAML)",
        "6:16: environment variable SLACK_BOT_TOKEN is not set "
        "(export SLACK_BOT_TOKEN=... before starting; secrets never go in the YAML)",
        "7:16: environment variable SLACK_APP_TOKEN is not set "
        "(export SLACK_APP_TOKEN=... before starting; secrets never go in the YAML)",
        "3 problems found.",
    ]


def test_slack_over_http_needs_the_signing_secret_not_the_app_token(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        console="  console: {}\n",
        slack="    mode: http\n    signing_secret: ${SLACK_SIGNING_SECRET}\n",
    )
    config = load_config(path, env={"DISCORD_TOKEN": DISCORD_TOKEN, "SLACK_BOT_TOKEN": "xoxb-1"})
    assert config.enabled_platforms == ("console", "discord")
    assert config.skipped_platforms == (("slack", ("SLACK_SIGNING_SECRET",)),)


def test_run_says_which_platform_it_skips(tmp_path: Path) -> None:
    path = write(tmp_path, console="  console: {}\n")
    done = engagebot("run", "-c", str(path), stdin="/quit\n", env=NO_SECRETS)
    assert done.returncode == 0, done.stderr
    assert "discord: skipped, DISCORD_TOKEN is not set;" in done.stderr
    assert SLACK_SKIPPED in done.stderr
    assert "Which helmet?" in done.stdout  # the console ran the poll
    assert "Traceback" not in done.stderr


def test_validate_without_a_config_is_one_friendly_line(tmp_path: Path) -> None:
    # Run from an empty folder, with this checkout's code.
    done = engagebot("validate", cwd=tmp_path, env={"PYTHONPATH": str(REPO)})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "config/bot.yaml:1:1: no config found "
        "(create config/bot.yaml (copy config/example.yaml to start) or pass --config PATH)",
        "1 problem found.",
    ]
