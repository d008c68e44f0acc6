"""Discord shards: platforms.discord.shard_count and shard_ids, and the environment
overrides ENGAGEBOT_DISCORD_SHARD_COUNT / _IDS that let one config file serve several
processes. Mistakes are file:line:col (or the variable's name) with a hint, exit 2."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError
from tests.cli_runner import engagebot
from tests.config.tokens import DISCORD_TOKEN

SHOP = """\
store: {{name: Shop}}
platforms:
  discord:
    token: ${{DISCORD_TOKEN}}
    guilds: ["800000000000000001"]
{shards}
channels:
  community:
    discord: "900000000000000001"
"""
ENV = {"DISCORD_TOKEN": DISCORD_TOKEN}
PG = "postgresql://bot@db.internal:5432/shop"


def shop(tmp_path: Path, shards: str = "") -> Path:
    path = tmp_path / "bot.yaml"
    indented = textwrap.indent(textwrap.dedent(shards), "    ")
    path.write_text(SHOP.format(shards=indented), encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={**ENV, **(env or {})})
    return [str(problem) for problem in caught.value.problems]


def test_without_shard_keys_discord_is_unsharded(tmp_path: Path) -> None:
    discord = load_config(shop(tmp_path), env=ENV).settings.platforms.discord
    assert discord is not None
    assert (discord.shard_count, discord.shard_ids, discord.shards) == (None, None, None)


def test_shard_count_alone_means_every_shard(tmp_path: Path) -> None:
    discord = load_config(shop(tmp_path, "shard_count: 3"), env=ENV).settings.platforms.discord
    assert discord is not None and discord.shards == (0, 1, 2)


def test_shard_ids_pick_this_process_s_shards(tmp_path: Path) -> None:
    path = shop(tmp_path, "shard_count: 4\nshard_ids: [2, 3]")
    discord = load_config(path, env=ENV).settings.platforms.discord
    assert discord is not None and discord.shards == (2, 3) and discord.shard_count == 4


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    path = shop(tmp_path, "shard_count: 2\nshard_ids: [0]")
    env = {**ENV, "ENGAGEBOT_DISCORD_SHARD_COUNT": "4", "ENGAGEBOT_DISCORD_SHARD_IDS": " 1, 3 "}
    discord = load_config(path, env=env).settings.platforms.discord
    assert discord is not None and discord.shards == (1, 3) and discord.shard_count == 4
    # Empty counts as unset, like ${VARIABLES}: the file's values stay.
    blank = {**ENV, "ENGAGEBOT_DISCORD_SHARD_COUNT": "", "ENGAGEBOT_DISCORD_SHARD_IDS": ""}
    discord = load_config(path, env=blank).settings.platforms.discord
    assert discord is not None and discord.shards == (0,) and discord.shard_count == 2


def test_the_environment_alone_shards_a_config_without_the_keys(tmp_path: Path) -> None:
    env = {**ENV, "ENGAGEBOT_DISCORD_SHARD_COUNT": "4", "ENGAGEBOT_DISCORD_SHARD_IDS": "0,1"}
    discord = load_config(shop(tmp_path), env=env).settings.platforms.discord
    assert discord is not None and discord.shards == (0, 1)


def test_file_mistakes_are_placed_and_explained(tmp_path: Path) -> None:
    path = shop(tmp_path, "shard_ids: [0, 1]")
    assert problems(path) == [
        f"{path}:6:16: shard_ids needs shard_count: the total number of shards of all "
        "processes together (add shard_count: (e.g. 4), or set ENGAGEBOT_DISCORD_SHARD_COUNT)"
    ]
    path = shop(tmp_path, "shard_count: 4\nshard_ids: [1, 4, 1, 7]")
    assert problems(path) == [
        f"{path}:7:16: shard 4, 7 does not exist with shard_count 4 "
        "(shard ids run from 0 to 3; raise shard_count or lower the ids)",
        f"{path}:7:16: shard 1 is listed twice in shard_ids (list each shard once)",
    ]
    found = problems(shop(tmp_path, "shard_count: 0\nshard_ids: [-1]"))
    assert [p.split(": ", 1)[0] for p in found] == [f"{path}:6:18", f"{path}:7:17"]


def test_environment_mistakes_name_the_variable(tmp_path: Path) -> None:
    path = shop(tmp_path, "shard_count: 4")
    env = {"ENGAGEBOT_DISCORD_SHARD_COUNT": "four", "ENGAGEBOT_DISCORD_SHARD_IDS": "0;1"}
    assert problems(path, env) == [
        "ENGAGEBOT_DISCORD_SHARD_COUNT: ENGAGEBOT_DISCORD_SHARD_COUNT must be a whole number "
        "of 1 or more (e.g. ENGAGEBOT_DISCORD_SHARD_COUNT=4)",
        "ENGAGEBOT_DISCORD_SHARD_IDS: ENGAGEBOT_DISCORD_SHARD_IDS must be shard numbers "
        "separated by commas (e.g. ENGAGEBOT_DISCORD_SHARD_IDS=0,1)",
    ]
    # Only ASCII digits are shard numbers: int() would read "٣" (Arabic-Indic) as 3.
    for look_alike in ("\u0663", "\uff11", "1\u0660"):
        found = problems(path, {"ENGAGEBOT_DISCORD_SHARD_IDS": look_alike})
        assert found == [found[0]] and "must be shard numbers" in found[0], look_alike
    # A good value from the environment that does not fit the file's count.
    assert problems(path, {"ENGAGEBOT_DISCORD_SHARD_IDS": "3,4"}) == [
        "ENGAGEBOT_DISCORD_SHARD_IDS: shard 4 does not exist with shard_count 4 "
        "(shard ids run from 0 to 3; raise shard_count or lower the ids)"
    ]
    path = shop(tmp_path, "shard_ids: [0, 3]")
    assert problems(path, {"ENGAGEBOT_DISCORD_SHARD_COUNT": "2"}) == [
        f"{path}:6:16: shard 3 does not exist with shard_count 2 (from "
        "ENGAGEBOT_DISCORD_SHARD_COUNT) (shard ids run from 0 to 1; raise shard_count or "
        "lower the ids)"
    ]


def test_validate_shows_the_shards_and_a_bad_variable_exits_2(tmp_path: Path) -> None:
    path = shop(tmp_path, "shard_count: 4")
    env = {**ENV, "ENGAGEBOT_DISCORD_SHARD_IDS": "2,3"}
    done = engagebot("validate", str(path), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "discord: this process connects shards 2, 3 of 4",
        # The other shards need other processes, which SQLite cannot serve.
        "ENGAGEBOT_DISCORD_SHARD_IDS: warning: this process connects 2 of 4 Discord shards, "
        "and a SQLite database serves one process: servers on the other shards would get no "
        "answer (split shards across processes on a PostgreSQL database (README: Running at "
        "scale), or leave out shard_ids so this process connects them all)",
    ]
    done = engagebot("validate", str(path), env={**ENV, "ENGAGEBOT_DISCORD_SHARD_IDS": "x"})
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith("ENGAGEBOT_DISCORD_SHARD_IDS: ")
    assert "Traceback" not in done.stderr
    done = engagebot("run", "-c", str(path), env={**ENV, "ENGAGEBOT_DISCORD_SHARD_COUNT": "0"})
    assert done.returncode == 2
    assert done.stderr.startswith("ENGAGEBOT_DISCORD_SHARD_COUNT: ")


def test_some_shards_on_sqlite_or_beside_the_console_are_warned_about(tmp_path: Path) -> None:
    """Connecting only some shards needs other processes, which need PostgreSQL; and the
    console then serves only one of them. Warnings: the config still runs."""
    path = shop(tmp_path, "shard_count: 4\nshard_ids: [2, 3]")
    assert load_config(path, env=ENV).notices == [
        f"{path}:7:5: warning: this process connects 2 of 4 Discord shards, and a SQLite "
        "database serves one process: servers on the other shards would get no answer "
        "(split shards across processes on a PostgreSQL database (README: Running at scale), "
        "or leave out shard_ids so this process connects them all)"
    ]
    on_pg = replace(load_config(path, env=ENV), database_url="postgresql://bot@db/shop")
    assert on_pg.notices == []
    every = shop(tmp_path, "shard_count: 4")
    assert load_config(every, env=ENV).notices == []

    path = shop(tmp_path, "shard_count: 4\nshard_ids: [2, 3]")
    with_console = path.read_text(encoding="utf-8").replace(
        "platforms:\n", "platforms:\n  console: {staff: [merchant]}\n"
    )
    path.write_text(with_console + "    console: general\n", encoding="utf-8")
    notices = load_config(path, env=ENV).notices
    assert notices[0] == (
        f"{path}:3:3: warning: the console serves only the process it runs in, and "
        "connecting only some Discord shards lets several processes run this bot (run several "
        "processes with enabled: false under platforms: console:, and use the console with "
        "one process)"
    )
    assert len(notices) == 2 and "2 of 4 Discord shards" in notices[1]


@pytest.mark.parametrize(
    ("written", "shown"),
    [("true", "true/false"), ('"4"', "'4'"), ("2.5", "2.5")],
)
def test_counts_are_written_as_whole_numbers(tmp_path: Path, written: str, shown: str) -> None:
    """YAML reads `true` as a boolean, which lax validation took as 1 (shard_count: true
    was one shard; max_choices: true was one choice): a count must be a whole number."""
    path = shop(tmp_path, f"shard_count: {written}")
    assert problems(path) == [
        f"{path}:6:18: 'shard_count' should be a whole number, not {shown} (write a whole number)"
    ]
    web = path.read_text(encoding="utf-8").replace(f"    shard_count: {written}\n", "")
    path.write_text(web + f"web: {{port: {written}}}\n", encoding="utf-8")
    assert problems(path) == [
        f"{path}:9:13: 'port' should be a whole number, not {shown} (write a whole number)"
    ]


def test_a_big_bot_s_shards_are_named_in_ranges(tmp_path: Path) -> None:
    path = shop(
        tmp_path,
        "shard_count: 1024\nshard_ids: ["
        + ", ".join(str(n) for n in [*range(512), 600, 700, 701])
        + "]",
    )
    done = engagebot("validate", str(path), env={**ENV, "ENGAGEBOT_DATABASE_URL": PG})
    assert done.returncode == 0, done.stderr
    assert "discord: this process connects shards 0–511, 600, 700, 701 of 1024" in done.stdout
