"""Values from ${ENV} are never echoed: whichever key a variable is written under (a
token pasted where a channel id, guild id or staff user belongs, a URL, a poll field),
neither validate, nor run, nor the log shows its value. Token shapes are checked
without printing them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError
from tests.cli_runner import engagebot
from tests.config.tokens import DISCORD_TOKEN, SLACK_APP_TOKEN, SLACK_BOT_TOKEN

TEMPLATE = """\
store:
  name: {store_name}
  timezone: {timezone}
  currency: {currency}
database: {database}
platforms:
  console:
    staff: [{console_staff}]
  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: [{guild}]
    staff_roles: [{staff_role}]
    staff_users: [{discord_staff}]
    api_base_url: {discord_api}
    gateway_url: {gateway}
  slack:
    mode: {slack_mode}
    bot_token: ${{SLACK_BOT_TOKEN}}
    app_token: ${{SLACK_APP_TOKEN}}
    host: {host}
    port: {port}
    path: {path}
    staff_users: [{slack_staff}]
    staff_groups: [{slack_group}]
    api_base_url: {slack_api}
channels:
  community:
    console: {ch_console}
    discord: {ch_discord}
    slack: {ch_slack}
polls:
  - id: {poll_id}
    question: {question}
    description: {description}
    channels: [{poll_channel}]
    opens: {opens}
    closes: {closes}
    max_choices: {max_choices}
    results: {results}
    decision: {{min_votes: {min_votes}, min_margin: {min_margin}}}
    options:
      - id: {option_id}
        label: {label}
        image: {image}
        price: {price}
        description: {option_description}
        link: {link}
      - id: b
        label: B
prompts:
  - id: {prompt_id}
    channels: [community]
    cron: {cron}
    timezone: {prompt_tz}
    order: {order}
    start: {start}
    questions:
      - text: {text}
        image: {q_image}
"""
GOOD = {
    "store_name": "Velo Corner",
    "timezone": "UTC",
    "currency": "EUR",
    "database": "sqlite:///data/shop.db",
    "console_staff": "merchant",
    "guild": '"123456789012345678"',
    "staff_role": "Staff",
    "discord_staff": '"456789012345678901"',
    "discord_api": "https://discord.example/api",
    "gateway": "wss://gateway.example",
    "slack_mode": "socket",
    "host": "127.0.0.1",
    "port": "3000",
    "path": "/slack/events",
    "slack_staff": "U0123ABCD",
    "slack_group": "S0123ABCD",
    "slack_api": "https://slack.example/api/",
    "ch_console": "general",
    "ch_discord": '"234567890123456789"',
    "ch_slack": "C0123ABCD",
    "poll_id": "helmets",
    "question": "Which helmet?",
    "description": "The winner lands in March.",
    "poll_channel": "community",
    "opens": "2026-03-01 09:00",
    "closes": "2026-03-08 09:00",
    "max_choices": "1",
    "results": "live",
    "min_votes": "10",
    "min_margin": "0.1",
    "option_id": "aero",
    "label": "AeroLite",
    "image": "https://cdn.example/a.png",
    "price": "89.0",
    "option_description": "Light.",
    "link": "https://shop.example/aero",
    "prompt_id": "daily",
    "cron": '"0 10 * * 1-5"',
    "prompt_tz": "UTC",
    "order": "sequence",
    "start": "2026-03-01 00:00",
    "text": "Best ride this week?",
    "q_image": "https://cdn.example/b.png",
}
TOKENS = {
    "DISCORD_TOKEN": DISCORD_TOKEN,
    "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
    "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
}
# What a misplaced variable might hold: tokens, and a password with spaces.
SECRETS = [
    "xoxb-9999-8888-LeakedSecretValue",
    "MTIzNDU2Nzg5MDEy.LeakedSecret.Zm9vYmFyYmF6cXV4",
    "Leaked Secret password 42",
]
# The cases that leaked before (a token where an id, a channel name or a URL belongs),
# and others, each with what validate says instead of the value.
MISPLACED = {
    "guild": "this value (from the environment) is not a Discord id",
    "discord_staff": "this value (from the environment) is not a Discord id",
    "slack_staff": "this value (from the environment) is not a Slack id",
    "slack_group": "this value (from the environment) is not a Slack group id",
    "ch_discord": "this value (from the environment) is not a Discord id",
    "ch_slack": "this value (from the environment) is not a Slack id",
    "poll_channel": "unknown channel (the name comes from the environment)",
    "discord_api": "api_base_url: this value (from the environment) is not a https:// or",
    "gateway": "gateway_url: this value (from the environment) is not a wss:// or ws://",
    "slack_api": "api_base_url: this value (from the environment) is not a https:// or",
    "path": "path: this value (from the environment) is not a valid path",
    "database": "the database URL is not supported",
    "poll_id": "not a valid id",
    "currency": "not a currency code",
    "image": "image file '(from the environment)' not found",
}


def write(folder: Path, key: str) -> Path:
    values = dict(GOOD, **{key: '"${LEAKED}"'})
    path = folder / "bot.yaml"
    path.write_text(TEMPLATE.format(**values), encoding="utf-8")
    return path


def test_the_template_is_valid_as_written(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(TEMPLATE.format(**GOOD), encoding="utf-8")
    config = load_config(path, env=TOKENS)
    assert config.enabled_platforms == ("console", "discord", "slack")


@pytest.mark.parametrize("key", list(GOOD))
@pytest.mark.parametrize("secret", SECRETS)
def test_no_problem_ever_shows_a_value_from_the_environment(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, secret: str
) -> None:
    caplog.set_level(logging.DEBUG)
    path = write(tmp_path, key)
    try:
        load_config(path, env={**TOKENS, "LEAKED": secret})
        shown = ""
    except ConfigError as error:
        shown = str(error)
        assert error.problems
    assert "Leaked" not in shown + caplog.text


@pytest.mark.parametrize("key", list(MISPLACED))
def test_validate_never_shows_a_misplaced_secret(tmp_path: Path, key: str) -> None:
    secret = SECRETS[0]
    done = engagebot("validate", str(write(tmp_path, key)), env={**TOKENS, "LEAKED": secret})
    assert done.returncode == 2, done.stdout
    assert "Leaked" not in done.stdout + done.stderr
    assert MISPLACED[key] in done.stderr  # the problem is still explained


def test_run_refuses_an_api_address_from_the_environment_without_showing_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(
        "store: {name: Shop}\n"
        "platforms:\n"
        "  discord:\n"
        "    token: ${DISCORD_TOKEN}\n"
        "    api_base_url: ${DISCORD_TOKEN}\n"
        "channels:\n"
        '  community: {discord: "234567890123456789"}\n',
        encoding="utf-8",
    )
    done = engagebot("run", "-c", str(path), env={"DISCORD_TOKEN": DISCORD_TOKEN})
    assert done.returncode == 2
    assert done.stderr.startswith(f"{path}:5:19: api_base_url: this value (from the environment)")
    assert DISCORD_TOKEN not in done.stdout + done.stderr
    assert DISCORD_TOKEN.split(".")[0] not in done.stdout + done.stderr


SLACK = """\
store: {name: Shop}
platforms:
  slack:
    bot_token: ${SLACK_BOT_TOKEN}
    app_token: ${SLACK_APP_TOKEN}
channels:
  community: {slack: C0123ABCD}
"""


def problems(folder: Path, text: str, **env: str) -> list[str]:
    path = folder / "bot.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    shown = [str(p).removeprefix(f"{path}:") for p in info.value.problems]
    secrets = [value[6:] for value in env.values() if len(value) > 10]
    assert not any(secret in line for line in shown for secret in secrets)
    return shown


def test_a_swapped_pair_of_slack_tokens_is_named(tmp_path: Path) -> None:
    assert problems(
        tmp_path, SLACK, SLACK_BOT_TOKEN=SLACK_APP_TOKEN, SLACK_APP_TOKEN=SLACK_BOT_TOKEN
    ) == [
        "4:16: platforms.slack.bot_token looks like an app-level token (xapp-…) "
        "(swap the values of bot_token and app_token)",
        "5:16: platforms.slack.app_token looks like a bot token (xoxb-…) "
        "(swap the values of app_token and bot_token)",
    ]


def test_a_user_token_or_junk_is_not_a_slack_bot_token(tmp_path: Path) -> None:
    assert problems(
        tmp_path, SLACK, SLACK_BOT_TOKEN="xoxp-1-2-3-userToken", SLACK_APP_TOKEN="abc-def"
    ) == [
        "4:16: platforms.slack.bot_token looks like a user token (xoxp-…) "
        "(use the xoxb-… token from your Slack app's OAuth & Permissions > Bot User OAuth Token)",
        "5:16: platforms.slack.app_token does not start with xapp- (use the xapp-… token from "
        "your Slack app's Basic Information > App-Level Tokens (scope connections:write))",
    ]


DISCORD = """\
store: {name: Shop}
platforms:
  discord:
    token: ${DISCORD_TOKEN}
channels:
  community: {discord: "234567890123456789"}
"""


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (
            "not-a-token-at-all",
            "4:12: platforms.discord.token does not look like a Discord bot token "
            "(copy it again from the Developer Portal: your app > Bot > Reset Token "
            "(three parts separated by dots))",
        ),
        (
            "MTIzNDU2.abc def.ghijkl",
            "4:12: platforms.discord.token does not look like a Discord bot token "
            "(copy it again from the Developer Portal: your app > Bot > Reset Token "
            "(three parts separated by dots))",
        ),
        (
            "Bot " + DISCORD_TOKEN,
            "4:12: platforms.discord.token starts with 'Bot ' "
            "(set DISCORD_TOKEN to the token alone; engagebot adds 'Bot ' itself)",
        ),
    ],
)
def test_a_malformed_discord_token_is_caught_at_validate(
    tmp_path: Path, token: str, expected: str
) -> None:
    assert problems(tmp_path, DISCORD, DISCORD_TOKEN=token) == [expected]


def test_well_shaped_tokens_pass(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(SLACK.replace("community: {slack", "c: {slack"), encoding="utf-8")
    load_config(path, env=TOKENS)
    path.write_text(DISCORD, encoding="utf-8")
    load_config(path, env=TOKENS)
