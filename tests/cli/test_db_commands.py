"""`engagebot db status` and `engagebot db copy`, as real subprocesses: a shop moves
from SQLite to PostgreSQL (and back) and nothing changes for its merchant or customers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.storage.admin import TABLES
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
    duration: 7d
    options:
      - {id: aero, label: AeroLite MIPS}
      - {id: urban, label: Urban Shell}
"""
)

VOTES = "1\n/as alice\n2\n/as bob\n2\n/as carol\n1\n/as carol\n2\n"


def readouts(config: Path, env: dict[str, str] | None = None) -> tuple[object, ...]:
    """What the merchant sees: results, the poll list and the pseudonymous export."""
    out = []
    for command in (
        ("results", "helmets", "--format", "json"),
        ("polls", "--format", "json"),
        ("export", "helmets", "--format", "json"),
    ):
        done = engagebot(*command, "-c", str(config), env=env)
        assert done.returncode == 0, (command, done.stderr)
        out.append(json.loads(done.stdout))
    return tuple(out)


def test_sqlite_to_postgres_and_back_changes_nothing_the_merchant_sees(
    write_config: WriteConfig,
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    config = write_config(SHOP)
    ran = engagebot("run", "-c", str(config), stdin=VOTES)
    assert ran.returncode == 0, ran.stderr
    before = readouts(config)

    copied = engagebot("db", "copy", "-c", str(config), "--to", pg_url)
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith("Copied ")
    assert "the tallies of 1 polls match" in copied.stdout
    assert "ballots" in copied.stdout and "secrets" in copied.stdout

    on_pg = {"ENGAGEBOT_DATABASE_URL": pg_url}
    assert readouts(config, on_pg) == before  # same tally, same pseudonyms
    status = json.loads(
        engagebot("db", "status", "-c", str(config), "--format", "json", env=on_pg).stdout
    )
    assert status["backend"] == "postgresql" and status["schema_version"] >= 4
    assert status["rows"]["ballots"] == 4 and status["rows"]["polls"] == 1
    assert "postgres@" not in json.dumps(status)  # the user and password never shown

    # The bot goes on on PostgreSQL: one more vote counts.
    more = engagebot("run", "-c", str(config), stdin="/as dave\n1\n", env=on_pg)
    assert more.returncode == 0, more.stderr
    after = readouts(config, on_pg)
    assert after[0]["total_votes"] == 5  # type: ignore[index]

    # And back to a new SQLite file.
    back = tmp_path / "back.db"
    returned = engagebot("db", "copy", "-c", str(config), "--to", f"sqlite:///{back}", env=on_pg)
    assert returned.returncode == 0, returned.stderr
    assert readouts(config, {"ENGAGEBOT_DATABASE_URL": f"sqlite:///{back}"}) == after


def test_a_target_with_data_is_refused_and_left_as_it_was(
    write_config: WriteConfig,
    pg_url: str,  # noqa: F811
) -> None:
    config = write_config(SHOP)
    assert engagebot("run", "-c", str(config), stdin=VOTES).returncode == 0
    assert engagebot("db", "copy", "-c", str(config), "--to", pg_url).returncode == 0
    on_pg = {"ENGAGEBOT_DATABASE_URL": pg_url}
    before = readouts(config, on_pg)

    again = engagebot("db", "copy", "-c", str(config), "--to", pg_url)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1
    assert "already holds engagebot data" in again.stderr and "nothing was copied" in again.stderr
    assert readouts(config, on_pg) == before


def test_status_of_a_sqlite_database(write_config: WriteConfig) -> None:
    config = write_config(SHOP)
    fresh = engagebot("db", "status", "-c", str(config))
    assert fresh.returncode == 0, fresh.stderr
    assert "no engagebot tables yet" in fresh.stdout
    assert engagebot("run", "-c", str(config), stdin=VOTES).returncode == 0
    status = json.loads(engagebot("db", "status", "-c", str(config), "--format", "json").stdout)
    assert status["backend"] == "sqlite" and status["database"].endswith("engagebot.db")
    assert status["rows"]["ballots"] == 4 and status["size_bytes"] > 0


def test_copy_takes_every_table_the_bot_keeps(write_config: WriteConfig) -> None:
    """A table left out of `db copy` is lost on the move (prompt_sets once was: the moved bot
    then caught up no missed prompt of that day)."""
    config = write_config(SHOP)
    assert engagebot("run", "-c", str(config), stdin="").returncode == 0
    database = next(config.parent.rglob("*.db"))
    with sqlite3.connect(database) as db:
        kept = {
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        }
    not_moved = {"engagebot_schema", "edit_leases"}  # the target's own; leases name processes
    assert kept - not_moved == set(TABLES)
