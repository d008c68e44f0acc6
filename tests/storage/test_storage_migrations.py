"""Schema migrations: applied once, recorded in PRAGMA user_version, all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from storage_helpers import at, choose, request, user

from bot.errors import StorageError
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite.migrate import (
    Migration,
    apply_migrations,
    load_migrations,
    split_statements,
)


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def test_packaged_migrations_are_numbered_from_one() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"


async def test_open_applies_the_schema_once(db_path: Path) -> None:
    store = SqliteStore(db_path)
    await store.open()
    await store.close()
    latest = load_migrations()[-1].version
    assert user_version(db_path) == latest
    assert {"polls", "poll_messages", "ballots", "deliveries", "withdrawals"} <= tables(db_path)

    # Reopening finds nothing to do and keeps the data.
    store = SqliteStore(db_path)
    await store.open()
    await store.ensure_polls(["kept"])
    await store.close()
    store = SqliteStore(db_path)
    await store.open()
    assert [p.poll_id for p in await store.list_polls()] == ["kept"]
    await store.close()
    assert user_version(db_path) == latest


async def test_wal_mode_is_on(db_path: Path) -> None:
    store = SqliteStore(db_path)
    await store.open()
    try:
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        await store.close()


async def test_a_newer_schema_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    store = SqliteStore(db_path)
    with pytest.raises(StorageError, match="upgrade engagebot"):
        await store.open()


async def test_a_file_that_is_not_a_database_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    store = SqliteStore(db_path)
    with pytest.raises(StorageError, match="cannot open the database"):
        await store.open()


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(StorageError, match=r"0002_b\.sql"):
        apply_migrations(conn, [good, bad])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master").fetchall()}
    assert names == {"a", "engagebot_schema"}  # b was rolled back with the failed migration
    assert conn.execute("SELECT version, name FROM engagebot_schema").fetchall() == [
        (1, "0001_a.sql")
    ]
    conn.close()


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    sql = """
    -- a comment
    CREATE TABLE t (x INTEGER);
    CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN
        UPDATE t SET x = x + 1 WHERE x = NEW.x;
        DELETE FROM t WHERE x < 0;
    END;
    -- trailing comment
    """
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_version_3_claims_become_resolvable_ledger_entries(db_path: Path) -> None:
    """Posts claimed by the previous version and never confirmed were lost for good;
    after the upgrade they are claims anyone may resolve at once."""
    migrations = load_migrations()
    with sqlite3.connect(db_path, isolation_level=None) as conn:
        apply_migrations(conn, migrations[:3])
        conn.executescript(
            """
            INSERT INTO polls (poll_id, state, updated_at) VALUES ('p', 'open', 1);
            INSERT INTO poll_messages VALUES ('p', 'discord', 'c1', 'm1', 10);
            INSERT INTO poll_messages VALUES ('p', 'slack', 'C2', '', 11);
            INSERT INTO prompt_posts (prompt_id, local_date, platform, channel_id,
                question_index, due_at, claimed_at) VALUES ('d', '2026-03-02', 'slack',
                'C2', 0, 5, 6);
            """
        )
        apply_migrations(conn, migrations)
        rows = conn.execute(
            "SELECT kind, subject, platform, channel_id, message_id, not_before, "
            "length(claim_key) FROM posts ORDER BY kind, platform"
        ).fetchall()
        remaining = conn.execute("SELECT message_id FROM poll_messages").fetchall()
    assert rows == [
        ("poll", "p", "discord", "c1", "m1", 0, 24),
        ("poll", "p", "slack", "C2", None, 0, 24),
        ("prompt", "d@2026-03-02", "slack", "C2", None, 0, 24),
    ]
    assert remaining == [("m1",)]


async def test_running_totals_kept_by_triggers_carry_on_after_0008(db_path: Path) -> None:
    """A database from before 0008 (totals kept by triggers) keeps its totals, and the
    vote writer adds to them from then on."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    apply_migrations(conn, [m for m in load_migrations() if m.version < 8])
    conn.execute("INSERT INTO polls (poll_id, state, updated_at) VALUES ('helmets', 'open', 0)")
    conn.executemany(
        "INSERT INTO ballots (poll_id, voter_key, platform, user_id, options, cast_at, "
        "recorded_at) VALUES ('helmets', ?, 'discord', ?, ?, 1, 1)",
        [("discord:1", "1", '["aero"]'), ("discord:2", "2", '["urban"]')],
    )
    conn.close()
    store = SqliteStore(db_path)
    await store.open()
    try:
        assert (await store.tally("helmets")).counts == {"aero": 1, "urban": 1}
        changed = request(user(1), choose("urban"), when=at(10), poll="helmets")
        new = request(user(3), choose("aero"), when=at(10), poll="helmets")
        await store.cast(changed)
        await store.cast(new)
        tally = await store.tally("helmets")
        assert tally.counts == {"aero": 1, "urban": 2} and tally.voters == 3
        assert await store.recount("helmets") == tally
    finally:
        await store.close()
    with sqlite3.connect(db_path) as check:
        assert (
            check.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall() == []
        )


def another_builds_migrations() -> list[Migration]:
    """What an unreleased build shipped: its 0006 was another migration than ours."""
    ours = load_migrations()
    wishlists = Migration(6, "0006_wishlists.sql", "CREATE TABLE wishlists (x INTEGER);")
    return [*ours[:5], wishlists]


def schema_objects(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall()


@pytest.mark.parametrize("read_only", [False, True])
async def test_a_database_from_another_build_is_refused_by_migration_name(
    db_path: Path, read_only: bool
) -> None:
    """Its schema version (6) is one this build knows, but its 0006 is not ours: opening
    it would skip our 0006 and use tables this build does not expect."""
    with sqlite3.connect(db_path, isolation_level=None) as conn:
        apply_migrations(conn, another_builds_migrations())
    before = schema_objects(db_path)
    store = SqliteStore(db_path, read_only=read_only)
    with pytest.raises(StorageError) as refused:
        await store.open()
    message = str(refused.value)
    assert message.startswith(f"{db_path}: migration 0006 was recorded as '0006_wishlists.sql'")
    assert "this engagebot's migration 0006 is '0006_edit_leases.sql'" in message
    assert "restore a backup" in message.lower() and "engagebot db copy" in message
    assert user_version(db_path) == 6 and schema_objects(db_path) == before


async def test_a_database_from_before_names_were_kept_gets_them_once(db_path: Path) -> None:
    """Earlier builds kept only PRAGMA user_version: such a database opens as before and
    its applied migrations are named after this build's files (marked inferred), the
    newer ones as they are applied."""
    migrations = load_migrations()
    with sqlite3.connect(db_path, isolation_level=None) as conn:
        for migration in migrations[:5]:  # as the builds before names were kept did
            conn.executescript(migration.sql)
            conn.execute(f"PRAGMA user_version = {migration.version}")
    store = SqliteStore(db_path)
    await store.open()
    await store.close()
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT version, name, inferred FROM engagebot_schema").fetchall()
    assert rows == [(m.version, m.name, int(m.version <= 5)) for m in migrations]
    assert user_version(db_path) == migrations[-1].version
