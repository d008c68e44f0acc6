"""Configs that must load, and what the loaded config offers the rest of the bot."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from textwrap import dedent
from zoneinfo import ZoneInfo

import pytest

from bot.config import default_config_path, json_schema, load_config
from bot.core.content import Image
from bot.errors import ConfigError
from tests.config.tokens import DISCORD_TOKEN

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """\
store:
  name: Velo Corner
channels:
  community: {}
polls:
  - id: helmets
    question: Which helmet?
    channels: [community]
    options:
      - {id: aero, label: AeroLite}
      - {id: urban, label: Urban Shell}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text), encoding="utf-8")
    return path


def test_example_config_loads() -> None:
    config = load_config(REPO / "config" / "example.yaml", env={})
    assert config.enabled_platforms == ("console",)
    assert config.root == REPO / "config"
    assert config.sources == (REPO / "config" / "example.yaml",)
    assert config.zone == ZoneInfo("Europe/Paris")
    poll = config.poll("spring-helmets")
    assert poll is not None and poll.duration == timedelta(days=7)
    assert [o.id for o in poll.options] == ["aero", "urban", "trail"]
    assert config.image(poll.options[0].image) == Image(
        path=REPO / "config" / "images" / "aerolite.png", root=REPO / "config"
    )
    prompt = config.settings.prompts[0]
    assert prompt.at == "10:00" and prompt.days == ["mon", "tue", "wed", "thu", "fri"]
    assert config.channel_id("community", "console") == "general"
    assert config.channel_id("community", "discord") is None
    assert config.database_url == f"sqlite:///{REPO}/config/data/engagebot.db"


def test_merchant_friendly_scalars(tmp_path: Path) -> None:
    text = MINIMAL.replace("Which helmet?", "no").replace("AeroLite", "on") + dedent(
        """\
        prompts:
          - id: daily
            channels: [community]
            at: 10:00
            start: 2026-03-01 09:00
            questions:
              - text: yes
              - text: 1.50
        """
    )
    config = load_config(write(tmp_path / "bot.yaml", text), env={})
    poll = config.settings.polls[0]
    assert poll.question == "no"  # not False: only true/false are booleans
    assert poll.options[0].label == "on"
    prompt = config.settings.prompts[0]
    assert prompt.at == "10:00"  # not 600 (YAML 1.1 sexagesimal)
    assert prompt.start == datetime(2026, 3, 1, 9, 0)  # read as store-local, not UTC
    assert [q.text for q in prompt.questions] == ["yes", "1.5"]


def test_numbers_where_text_is_expected(tmp_path: Path) -> None:
    text = (
        dedent(
            """\
        store: {name: 2026}
        platforms:
          discord: {token: "${DISCORD_TOKEN}", guilds: [987654321098765432]}
        channels:
          community: {discord: 123456789012345678}
        """
        )
        + MINIMAL.split("channels:\n  community: {}\n")[1]
    )
    config = load_config(write(tmp_path / "bot.yaml", text), env={"DISCORD_TOKEN": DISCORD_TOKEN})
    assert config.settings.store.name == "2026"
    assert config.channel_id("community", "discord") == "123456789012345678"
    assert config.settings.platforms.discord is not None
    assert config.settings.platforms.discord.guilds == ["987654321098765432"]


def test_env_substitution(tmp_path: Path) -> None:
    text = MINIMAL.replace("store:\n", "store:\n  currency: ${CURRENCY}\n").replace(
        "Which helmet?", "Which helmet, $${NAME}?"
    ).replace("community: {}", 'community: {discord: "42"}') + dedent(
        """\
        platforms:
          discord:
            token: ${DISCORD_TOKEN}
        """
    )
    env = {"DISCORD_TOKEN": DISCORD_TOKEN, "CURRENCY": "EUR"}
    config = load_config(write(tmp_path / "bot.yaml", text), env=env)
    assert config.enabled_platforms == ("discord",)
    discord = config.settings.platforms.discord
    assert discord is not None and discord.token.get_secret_value() == DISCORD_TOKEN
    assert DISCORD_TOKEN not in repr(config.settings)
    assert config.settings.store.currency == "EUR"
    assert config.settings.polls[0].question == "Which helmet, ${NAME}?"


def test_disabled_platform_may_leave_its_variable_unset(tmp_path: Path) -> None:
    text = MINIMAL + "platforms:\n  slack:\n    enabled: false\n    bot_token: ${SLACK_BOT_TOKEN}\n"
    config = load_config(write(tmp_path / "bot.yaml", text), env={})
    assert config.enabled_platforms == ("console",)


@pytest.mark.parametrize(
    ("platforms", "expected"),
    [
        ("", ("console",)),
        ("  discord: {token: '${T}'}\n", ("discord",)),
        ("  console: {}\n  discord: {token: '${T}'}\n", ("console", "discord")),
        ("  console: {enabled: false}\n  discord: {token: '${T}'}\n", ("discord",)),
        ("  discord: {token: '${T}', enabled: false}\n", ("console",)),
        (
            "  slack: {bot_token: '${B}', app_token: '${A}'}\n  discord: {token: '${T}'}\n",
            ("discord", "slack"),
        ),
    ],
)
def test_enabled_platforms(tmp_path: Path, platforms: str, expected: tuple[str, ...]) -> None:
    text = MINIMAL.replace("community: {}", "community: {discord: '1', slack: C1}")
    config = load_config(
        write(tmp_path / "bot.yaml", text + "platforms:\n" + platforms),
        env={"T": DISCORD_TOKEN, "B": "xoxb-1-2-b", "A": "xapp-1-A1-2-a"},
    )
    assert config.enabled_platforms == expected


def test_directory_layout(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    write(shop / "bot.yaml", MINIMAL.replace("Which helmet?", "Inline poll"))
    (shop / "polls" / "images").mkdir(parents=True)
    (shop / "polls" / "images" / "glove.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    write(
        shop / "polls" / "b-gloves.yaml",
        """\
        - id: gloves
          question: Which gloves?
          channels: [community]
          options:
            - {id: winter, label: Winter, image: images/glove.png}
            - {id: summer, label: Summer, image: "https://cdn.example/summer.png"}
        - id: socks
          question: Which socks?
          channels: [community]
          options: [{id: a, label: A}, {id: b, label: B}]
        """,
    )
    write(
        shop / "polls" / "a-lights.yaml",
        """\
        id: lights
        question: Which lights?
        channels: [community]
        options: [{id: a, label: A}, {id: b, label: B}]
        """,
    )
    write(
        shop / "prompts" / "daily.yaml",
        """\
        id: daily
        channels: [community]
        cron: "0 10 * * 1-5"
        timezone: America/New_York
        questions:
          - text: Best ride?
        """,
    )
    config = load_config(shop, env={})
    assert [p.id for p in config.settings.polls] == ["helmets", "lights", "gloves", "socks"]
    assert config.root == shop
    assert config.sources == (
        shop / "bot.yaml",
        shop / "polls" / "a-lights.yaml",
        shop / "polls" / "b-gloves.yaml",
        shop / "prompts" / "daily.yaml",
    )
    gloves = config.poll("gloves")
    assert gloves is not None
    assert config.image(gloves.options[0].image) == Image(
        path=shop / "polls" / "images" / "glove.png", root=shop
    )
    assert config.image(gloves.options[1].image) == Image(url="https://cdn.example/summer.png")
    assert config.image(None) is None
    assert config.image("x.png", relative_to=shop / "polls") == Image(
        path=shop / "polls" / "x.png", root=shop
    )
    prompt = config.prompt("daily")
    assert prompt is not None and config.prompt_zone(prompt) == ZoneInfo("America/New_York")
    assert config.poll("nope") is None


def test_database_path_resolves_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "conf" / "bot.yaml", MINIMAL + "database: sqlite:///state/bot.db\n")
    config = load_config("conf/bot.yaml", env={})
    assert config.root == tmp_path / "conf"
    assert config.database_url == f"sqlite:///{tmp_path}/conf/state/bot.db"
    for url in ("sqlite:////var/lib/bot.db", "sqlite:///:memory:"):
        write(tmp_path / "conf" / "bot.yaml", MINIMAL + f'database: "{url}"\n')
        assert load_config("conf", env={}).database_url == url


def test_default_config_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        default_config_path(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}/config/bot.yaml:1:1: no config found (")
    write(tmp_path / "config" / "example.yaml", MINIMAL)
    assert default_config_path(tmp_path) == tmp_path / "config" / "example.yaml"
    write(tmp_path / "config" / "bot.yaml", MINIMAL)
    assert default_config_path(tmp_path) == tmp_path / "config"


def test_json_schema_describes_what_merchants_write() -> None:
    schema = json_schema()
    json.dumps(schema)  # what `engagebot schema` prints
    assert schema["title"] == "engagebot config"
    assert schema["required"] == ["store"]
    assert schema["additionalProperties"] is False
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    opens = defs["PollConfig"]["properties"]["opens"]["anyOf"][0]
    assert opens["examples"] == ["2026-03-01 09:00"]


def test_disabled_platform_needs_no_token(tmp_path: Path) -> None:
    text = MINIMAL + "platforms:\n  discord: {enabled: false}\n  slack: {enabled: false}\n"
    config = load_config(write(tmp_path / "bot.yaml", text), env={})
    assert config.enabled_platforms == ("console",)


def test_anchors_and_aliases_reuse_values(tmp_path: Path) -> None:
    text = MINIMAL.replace("channels: [community]", "channels: &where [community]") + dedent(
        """\
        prompts:
          - id: daily
            channels: *where
            at: 9:30
            questions: [{text: Hi}]
        """
    )
    config = load_config(write(tmp_path / "bot.yaml", text), env={})
    assert config.settings.prompts[0].channels == ["community"]
    assert config.settings.prompts[0].at == "9:30"
