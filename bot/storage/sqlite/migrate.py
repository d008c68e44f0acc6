"""Versioned schema migrations: bot/storage/sqlite/migrations/NNNN_name.sql, applied in order.

The applied version lives in SQLite's own header (PRAGMA user_version); the name of each
applied file is kept in engagebot_schema, like on PostgreSQL, and checked on open
(migration_names.py). Databases from before names were kept get the names of this
build's files for the versions they have, once: from then on another build's 0006 is
noticed. Each file runs in one transaction together with the version bump and its name:
a failed migration leaves the database as it was."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from bot.errors import StorageError
from bot.storage.migration_names import check_names

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The packaged migrations, checked to be numbered 1, 2, 3... without gaps."""
    folder = resources.files("bot.storage.sqlite").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StorageError(
                f"migration {migration.name} is out of sequence (expected {expected:04d})"
            )
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script into statements; sqlite3.complete_statement keeps trigger bodies whole."""
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip() and not _only_comments(pending):
        raise StorageError("migration ends with an incomplete SQL statement")
    return statements


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


# inferred = 1: the name was not recorded when the migration ran (a database from before
# names were kept) and is this build's file name for that version.
_SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS engagebot_schema (
    version  INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    inferred INTEGER NOT NULL DEFAULT 0
)
"""


def current_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


# Also read by the read-only store's own connection (files.py).
NAMES_KEPT = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'engagebot_schema'"
RECORDED_NAMES = "SELECT version, name FROM engagebot_schema"


def recorded_names(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(version, name) of every recorded migration; none before names were kept."""
    if conn.execute(NAMES_KEPT).fetchone() is None:
        return []
    return [(int(v), str(n)) for v, n in conn.execute(RECORDED_NAMES)]


def check_recorded_names(
    conn: sqlite3.Connection, database: str, migrations: list[Migration] | None = None
) -> None:
    """Refuse (SchemaMismatch) a database whose recorded migrations are not these files."""
    migrations = load_migrations() if migrations is None else migrations
    check_names(database, recorded_names(conn), {m.version: m.name for m in migrations})


def _record_names(conn: sqlite3.Connection, database: str, migrations: list[Migration]) -> None:
    """Check the recorded names under the write lock, and record the ones of the applied
    versions that a database from before names were kept lacks."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_SCHEMA_TABLE)
        check_recorded_names(conn, database, migrations)
        applied = current_version(conn)
        conn.executemany(
            "INSERT OR IGNORE INTO engagebot_schema (version, name, inferred) VALUES (?, ?, 1)",
            [(m.version, m.name) for m in migrations if m.version <= applied],
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def apply_migrations(
    conn: sqlite3.Connection,
    migrations: list[Migration] | None = None,
    database: str = "the database",
) -> int:
    """Bring the schema up to date; returns the resulting version. database names the
    file in messages.

    conn must be in autocommit mode (isolation_level=None): we issue BEGIN ourselves, and
    IMMEDIATE so a second process opening the same file waits instead of migrating twice."""
    migrations = load_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    version = current_version(conn)
    if version > latest:
        raise StorageError(
            f"the database schema is version {version} but this engagebot knows only up to "
            f"{latest}: upgrade engagebot or use another database file"
        )
    _record_names(conn, database, migrations)
    for migration in migrations:
        if migration.version <= version:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            if current_version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            for statement in split_statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO engagebot_schema (version, name) VALUES (?, ?)",
                (migration.version, migration.name),
            )
            conn.execute(f"PRAGMA user_version = {migration.version:d}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StorageError(f"migration {migration.name} failed: {exc}") from exc
        version = migration.version
    return current_version(conn)
