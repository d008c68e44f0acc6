"""Commands that only read (results, export, polls, report, prompts, schedule) never
write to the database, need no platform secrets, and work where the database cannot be
written: on a backup copy, from another user's account, next to a running bot."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import SqliteStore
from bot.storage.sqlite.migrate import apply_migrations, load_migrations
from tests.cli_runner import REPO, engagebot
from tests.conftest import SHOP_HEADER, WriteConfig

POLL = """\
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [community]
    duration: 7d
    options:
      - {id: aero, label: AeroLite MIPS}
      - {id: urban, label: Urban Shell}
prompts:
  - id: daily
    channels: [community]
    at: "09:00"
    questions:
      - text: What are you riding this weekend?
"""

# The same shop as the server runs it: Discord and Slack, tokens only in the server's
# environment. The merchant's laptop (or a cron job) has a copy without them.
ON_THE_SERVER = (
    """\
store: {name: Test Shop, timezone: Europe/Paris, currency: EUR}
platforms:
  discord:
    enabled: true
    token: ${DISCORD_TOKEN}
    guilds: ["123456789012345678"]
    staff_roles: [Staff]
  slack:
    enabled: true
    bot_token: ${SLACK_BOT_TOKEN}
    app_token: ${SLACK_APP_TOKEN}
    staff_users: [U0123ABCD]
channels:
  community:
    discord: "234567890123456789"
    slack: C0123ABCD
"""
    + POLL
)

AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
NO_SECRETS = {"DISCORD_TOKEN": "", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": ""}
READ_COMMANDS = [
    ("results", "helmets", "--format", "json"),
    ("export", "helmets", "--format", "json", "--raw-ids"),
    ("polls", "--format", "json"),
    ("report", "--format", "json"),
    ("prompts", "--format", "json"),
    ("schedule", "--format", "json"),
]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in the database's folder: its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def check_outputs(outputs: dict[str, str]) -> None:
    results = json.loads(outputs["results"])
    assert (results["state"], results["total_votes"]) == ("open", 2)
    export = json.loads(outputs["export"])
    assert sorted((row["user_name"], row["option"]) for row in export) == [
        ("bob", "urban"),
        ("merchant", "aero"),
    ]
    assert [p["id"] for p in json.loads(outputs["polls"])] == ["helmets"]
    assert sum(day["votes"] for day in json.loads(outputs["report"])["days"]) == 2
    assert [p["id"] for p in json.loads(outputs["prompts"])] == ["daily"]
    assert any(run["kind"] == "poll_close" for run in json.loads(outputs["schedule"]))


@pytest.fixture
def shop(write_config: WriteConfig, tmp_path: Path) -> Path:
    """A shop whose bot ran once (two votes, poll still open); returns the server's config."""
    console = write_config(SHOP_HEADER + POLL, name="laptop.yaml")
    done = engagebot("run", "-c", str(console), stdin="1\n/as bob\n2\n")
    assert done.returncode == 0, done.stderr
    return write_config(ON_THE_SERVER, name="server.yaml")


@pytest.mark.parametrize("config_name", ["laptop.yaml", "server.yaml"])
def test_read_commands_change_nothing_and_need_no_secrets(
    shop: Path, tmp_path: Path, config_name: str
) -> None:
    config = tmp_path / config_name  # the console config, and the server's without secrets
    data = tmp_path / "data"
    before = snapshot(data)
    assert list(before) == ["charts", "engagebot.db"] or list(before) == ["engagebot.db"]
    outputs: dict[str, str] = {}
    for command in READ_COMMANDS:
        done = engagebot(*command, "-c", str(config), env=NO_SECRETS)
        assert done.returncode == 0, (command, done.stderr)
        assert "Traceback" not in done.stderr
        outputs[command[0]] = done.stdout
        # Not a byte, not a timestamp, and no -wal/-shm left next to it.
        assert snapshot(data) == before, command
    check_outputs(outputs)


def test_commands_that_change_the_database_still_need_the_secrets(shop: Path) -> None:
    done = engagebot("close", "helmets", "-c", str(shop), env=NO_SECRETS)
    assert done.returncode == 2
    assert "DISCORD_TOKEN" in done.stderr


async def test_read_commands_read_what_a_running_bot_just_wrote(shop: Path, tmp_path: Path) -> None:
    # The bot holds the database open; its latest vote is only in the -wal file.
    running = SqliteStore(tmp_path / "data" / "engagebot.db")
    await running.open()
    try:
        await running.close_poll("helmets", datetime.now(UTC), "test")
        done = engagebot("results", "helmets", "--format", "json", "-c", str(shop), env=NO_SECRETS)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["state"] == "closed"
    finally:
        await running.close()


def test_a_database_not_created_yet_is_read_as_empty_and_not_created(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config(ON_THE_SERVER, name="server.yaml")
    for command in READ_COMMANDS:
        done = engagebot(*command, "-c", str(config), env=NO_SECRETS)
        if command[0] == "export":
            # No votes and no pseudonym key yet: said in one line.
            assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
            assert "start the bot once" in done.stderr
            continue
        assert done.returncode == 0, (command, done.stderr)
    assert not (tmp_path / "data").exists()
    done = engagebot("polls", "--format", "json", "-c", str(config), env=NO_SECRETS)
    assert [(p["id"], p["state"], p["total_votes"]) for p in json.loads(done.stdout)] == [
        ("helmets", "scheduled", 0)
    ]


def test_an_older_schema_is_read_as_it_is_and_said_in_one_line(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config(ON_THE_SERVER, name="server.yaml")
    database = tmp_path / "data" / "engagebot.db"
    database.parent.mkdir()
    older = load_migrations()[:3]
    with sqlite3.connect(database, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        apply_migrations(conn, older)
    conn.close()
    before = snapshot(database.parent)
    done = engagebot("polls", "--format", "json", "-c", str(config), env=NO_SECRETS)
    assert done.returncode == 0, done.stderr
    assert [p["id"] for p in json.loads(done.stdout)] == ["helmets"]
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "schema version 3" in lines[0], done.stderr
    assert snapshot(database.parent) == before


@pytest.fixture
def other_users_folder() -> Iterator[Path]:
    """A folder another (unprivileged) user can reach: pytest's tmp_path is root's own."""
    folder = Path(tempfile.mkdtemp(prefix="engagebot-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run a command as an unprivileged user",
)
def test_read_commands_work_where_the_database_cannot_be_written(
    shop: Path, tmp_path: Path, other_users_folder: Path
) -> None:
    # root ignores file permissions, so the command runs as `nobody`, for whom the
    # database and its folder are read-only (owner nobody, r-x / r--).
    shutil.copytree(tmp_path, other_users_folder / "shop", symlinks=True)
    shop_copy = other_users_folder / "shop"
    config = shop_copy / shop.name
    shop_copy.chmod(0o755)  # the config stays readable for everyone
    for yaml in shop_copy.glob("*.yaml"):
        yaml.chmod(0o644)
    data = shop_copy / "data"
    for path in [data, *data.rglob("*")]:
        os.chown(path, 65534, 65534)
        path.chmod(0o500 if path.is_dir() else 0o400)
    before = snapshot(data)
    outputs: dict[str, str] = {}
    for command in READ_COMMANDS:
        done = subprocess.run(
            [*AS_NOBODY, sys.executable, "-m", "bot", *command, "-c", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env={**os.environ, **NO_SECRETS, "HOME": str(other_users_folder)},
        )
        assert done.returncode == 0, (command, done.stderr)
        outputs[command[0]] = done.stdout
    check_outputs(outputs)
    assert snapshot(data) == before
