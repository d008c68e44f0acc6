"""Versioned schema migrations on PostgreSQL: bot/storage/postgres/migrations/NNNN_name.sql.

The numbers match the SQLite migrations, so one schema version means the same tables on
both backends. Applied versions are rows of engagebot_schema, with the file's name: a
database whose names are not this build's files is refused (migration_names.py).
Everything runs under one advisory lock, so processes starting together wait for each
other instead of racing; each file runs in one transaction with its row (a failed
migration changes nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bot.errors import StorageError
from bot.storage.migration_names import check_names

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any fixed number both processes agree on: "engagebot" in ASCII, as a bigint.
MIGRATION_LOCK = 0x656E676167656274

_SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS engagebot_schema (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The packaged migrations, checked to be numbered 1, 2, 3... without gaps."""
    folder = resources.files("bot.storage.postgres").joinpath("migrations")
    found = [
        Migration(int(match.group(1)), entry.name, entry.read_text("utf-8"))
        for entry in folder.iterdir()
        if (match := _NAME.match(entry.name))
    ]
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StorageError(
                f"migration {migration.name} is out of sequence (expected {expected:04d})"
            )
    return found


async def current_version(conn: Any) -> int:
    """0 for a database engagebot has never touched."""
    exists = await conn.fetchval("SELECT to_regclass('engagebot_schema') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM engagebot_schema")
    return int(version)


async def check_recorded_names(
    conn: Any, database: str, migrations: list[Migration] | None = None
) -> None:
    """Refuse (SchemaMismatch) a database whose recorded migrations are not these files."""
    migrations = load_migrations() if migrations is None else migrations
    if not await conn.fetchval("SELECT to_regclass('engagebot_schema') IS NOT NULL"):
        return
    rows = await conn.fetch("SELECT version, name FROM engagebot_schema")
    check_names(database, [(r[0], r[1]) for r in rows], {m.version: m.name for m in migrations})


async def apply_migrations(
    conn: Any, migrations: list[Migration] | None = None, database: str = "the database"
) -> int:
    """Bring the schema up to date under the migration lock; returns the version.
    database names it in messages."""
    migrations = load_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(_SCHEMA_TABLE)
        version = await current_version(conn)
        if version > latest:
            raise StorageError(
                f"the database schema is version {version} but this engagebot knows only up "
                f"to {latest}: upgrade engagebot or use another database"
            )
        await check_recorded_names(conn, database, migrations)
        for migration in migrations:
            if migration.version <= version:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO engagebot_schema (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
            except Exception as exc:
                if isinstance(exc, StorageError):
                    raise
                raise StorageError(f"migration {migration.name} failed: {exc}") from exc
            version = migration.version
        return version
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
