"""Every command family on PostgreSQL, as real subprocesses against a fresh database:
run, polls, results, export, report, prompts, open, close, schedule. The URL comes from
the config (postgresql:// or postgres://) or from ENGAGEBOT_DATABASE_URL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_runner import engagebot
from tests.conftest import SHOP_HEADER, WriteConfig
from tests.pg import pg_url  # noqa: F401  (fixture)

SHOP = (
    SHOP_HEADER
    + """\
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [community]
    {timing}
    options:
      - {{id: aero, label: AeroLite MIPS}}
      - {{id: urban, label: Urban Shell}}
prompts:
  - id: daily
    channels: [community]
    at: "09:00"
    questions:
      - text: What are you riding this weekend?
"""
)


def shop(write_config: WriteConfig, url: str, timing: str = "duration: 7d") -> Path:
    """The shop's config with `database:` set to url."""
    return write_config(SHOP.format(timing=timing) + f"database: {url}\n")


def test_a_console_run_then_every_read_command(write_config: WriteConfig, pg_url: str) -> None:  # noqa: F811
    config = shop(write_config, pg_url)
    done = engagebot("run", "-c", str(config), stdin="1\n/as alice\n2\n/as bob\n2\n")
    assert done.returncode == 0, done.stderr
    assert "✅ Your vote for AeroLite MIPS is counted" in done.stdout
    assert "Traceback" not in done.stderr

    results = engagebot("results", "helmets", "-c", str(config), "--format", "json")
    assert results.returncode == 0, results.stderr
    data = json.loads(results.stdout)
    assert (data["state"], data["total_votes"], data["voters"]) == ("open", 3, 3)
    assert [(o["id"], o["votes"]) for o in data["options"]] == [("aero", 1), ("urban", 2)]

    polls = json.loads(engagebot("polls", "-c", str(config), "--format", "json").stdout)
    assert [(p["id"], p["state"], p["total_votes"]) for p in polls] == [("helmets", "open", 3)]

    export = engagebot("export", "helmets", "-c", str(config), "--format", "json")
    assert export.returncode == 0, export.stderr
    rows = json.loads(export.stdout)
    assert len(rows) == 3 and "alice" not in export.stdout  # pseudonyms, not names
    again = json.loads(engagebot("export", "helmets", "-c", str(config), "--format", "json").stdout)
    assert again == rows  # the pseudonym key lives in the database: stable across runs

    for command in (("report",), ("prompts",), ("schedule",)):
        done = engagebot(*command, "-c", str(config), "--format", "json")
        assert done.returncode == 0, (command, done.stderr)
        json.loads(done.stdout)

    # A second run continues where the first stopped.
    second = engagebot("run", "-c", str(config), stdin="/as zoe\n2\n")
    assert second.returncode == 0, second.stderr
    assert "Urban Shell 3" in second.stdout


def test_open_and_close_from_the_environment_url(
    write_config: WriteConfig,
    pg_url: str,  # noqa: F811
) -> None:
    # The config names a server that does not exist; the environment wins.
    config = shop(write_config, "postgresql://nobody@127.0.0.1:9/none", "opens: 2099-01-01 10:00")
    env = {"ENGAGEBOT_DATABASE_URL": pg_url.replace("postgresql://", "postgres://", 1)}
    listed = engagebot("polls", "-c", str(config), "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["state"] == "scheduled"
    opened = engagebot("open", "helmets", "-c", str(config), env=env)
    assert opened.returncode == 0 and "Poll helmets opened." in opened.stdout, opened.stderr
    assert "already opened" in engagebot("open", "helmets", "-c", str(config), env=env).stdout
    closed = engagebot("close", "helmets", "-c", str(config), env=env)
    assert "Poll helmets closed." in closed.stdout, closed.stderr
    again = engagebot("close", "helmets", "-c", str(config), env=env)
    assert "was already closed; nothing changed" in again.stdout


def test_read_commands_on_a_database_the_bot_never_used_read_it_as_empty(
    write_config: WriteConfig,
    pg_url: str,  # noqa: F811
) -> None:
    config = shop(write_config, pg_url)
    done = engagebot("polls", "-c", str(config), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [(p["id"], p["state"]) for p in json.loads(done.stdout)] == [("helmets", "scheduled")]
    status = engagebot("db", "status", "-c", str(config), "--format", "json")
    assert json.loads(status.stdout)["schema_version"] == 0  # still untouched


@pytest.mark.parametrize("command", [("run",), ("polls",), ("results", "helmets")])
def test_an_unreachable_server_is_one_line_and_exit_2(
    write_config: WriteConfig, command: tuple[str, ...]
) -> None:
    config = shop(write_config, "postgresql://shop:s3cr3t-pa55@127.0.0.1:9/engagebot")
    done = engagebot(*command, "-c", str(config), stdin="")
    assert done.returncode == 2, done.stderr
    # `run` logs its start-up line first (the database named without user or password).
    said = [line for line in done.stderr.splitlines() if not re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert len(said) == 1 and said[0].startswith("error: cannot reach PostgreSQL at 127.0.0.1:9")
    assert "s3cr3t" not in done.stderr and "shop:" not in done.stderr
