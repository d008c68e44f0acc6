"""Inspecting and moving a whole database: `engagebot db status` and `engagebot db copy`.

Both backends have the same tables with the same columns and values (times as integer
microseconds, selections as JSON text), so a copy moves rows unchanged, including the
pseudonym key: exported pseudonyms stay the same after a move."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bot.errors import DatabaseUnreachable, StorageError
from bot.storage import open_store
from bot.storage.postgres.migrate import current_version as pg_version
from bot.storage.postgres.store import CONNECT_TIMEOUT, CONNECTION_ERRORS
from bot.storage.sqlite.files import read_only_uri
from bot.storage.urls import describe, is_postgres, postgres_url, sqlite_path

# Every table, parents before children. Not edit_leases: a lease names a process that
# runs on the old database; on the new one every message starts free.
TABLES = (
    "polls",
    "poll_messages",
    "ballots",
    "withdrawals",
    "deliveries",
    "option_counts",
    "voter_counts",
    "prompt_days",
    "prompt_posts",
    "prompt_replies",
    "prompt_sets",
    "poll_rounds",
    "secrets",
    "posts",
)


class TargetNotEmpty(StorageError):
    """db copy refuses a target that already holds engagebot data (exit code 2)."""


@dataclass
class Status:
    backend: str  # "sqlite" or "postgresql"
    database: str  # a path, or postgresql://host:port/db (never a password)
    schema_version: int
    rows: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "database": self.database,
            "schema_version": self.schema_version,
            "rows": self.rows,
            "size_bytes": self.size_bytes,
        }


@dataclass
class Snapshot:
    """Every row of every table: table -> (columns, rows)."""

    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, (_, rows) in self.tables.items()}

    def tallies(self) -> dict[str, dict[tuple[str, str], int]]:
        """Each poll's votes per (option, platform), counted from its ballots."""
        columns, rows = self.tables["ballots"]
        at = {c: i for i, c in enumerate(columns)}
        tallies: dict[str, Counter[tuple[str, str]]] = {}
        for row in rows:
            counts = tallies.setdefault(row[at["poll_id"]], Counter())
            for option in json.loads(row[at["options"]]):
                counts[(option, row[at["platform"]])] += 1
        return {poll: dict(counts) for poll, counts in tallies.items()}


# -- status ------------------------------------------------------------------------------


async def status(url: str) -> Status:
    """Backend, schema version, row counts and size; reads only, creates nothing."""
    if is_postgres(url):
        conn = await _pg_connect(url, read_only=True)
        try:
            version = await pg_version(conn)
            rows = {}
            for table in TABLES:
                if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
                    rows[table] = int(await conn.fetchval(f"SELECT COUNT(*) FROM {table}"))
            size = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
        finally:
            await conn.close()
        return Status("postgresql", describe(url), version, rows, size)
    path = sqlite_path(url)
    if not path.exists():
        return Status("sqlite", str(path), 0)
    return await asyncio.to_thread(_sqlite_status, path)


def _sqlite_status(path: Path) -> Status:
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        rows = {
            t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
            for t in TABLES
            if t in names
        }
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return Status("sqlite", str(path), version, rows, size)


# -- copy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyReport:
    rows: dict[str, int]
    polls_checked: int


async def copy_database(source_url: str, target_url: str) -> CopyReport:
    """Everything from source into an empty target, in one transaction on the target;
    counts and every poll's tally are checked before it commits. Nothing is half-copied."""
    if describe(source_url) == describe(target_url):
        raise TargetNotEmpty("the target is the config's own database: give another one")
    # Both schemas up to date first (the source is the bot's own database; the bot
    # would migrate it on its next start anyway).
    for url in (source_url, target_url):
        store = open_store(url)
        await store.open()
        await store.close()
    snapshot = await _read(source_url)
    if is_postgres(target_url):
        await _write_pg(target_url, snapshot)
    else:
        await asyncio.to_thread(_write_sqlite, sqlite_path(target_url), snapshot)
    return CopyReport(snapshot.counts(), len(snapshot.tables["polls"][1]))


async def _read(url: str) -> Snapshot:
    if not is_postgres(url):
        return await asyncio.to_thread(_read_sqlite, sqlite_path(url))
    conn = await _pg_connect(url, read_only=True)
    try:
        # One snapshot for every table, while the bot may go on writing.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            tables = {}
            for table in TABLES:
                records = await conn.fetch(f"SELECT * FROM {table}")
                columns = await _pg_columns(conn, table)
                tables[table] = (columns, [tuple(r[c] for c in columns) for r in records])
    finally:
        await conn.close()
    return Snapshot(tables)


def _read_sqlite(path: Path) -> Snapshot:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")  # one snapshot for every table
        tables = {}
        for table in TABLES:
            cursor = conn.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            tables[table] = (columns, [tuple(r) for r in cursor.fetchall()])
        conn.execute("COMMIT")
    finally:
        conn.close()
    return Snapshot(tables)


async def _pg_columns(conn: Any, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return [r[0] for r in rows]


def _refuse_non_empty(counts: dict[str, int]) -> None:
    filled = {t: n for t, n in counts.items() if n}
    if filled:
        listed = ", ".join(f"{t} {n}" for t, n in filled.items())
        raise TargetNotEmpty(
            f"the target database already holds engagebot data ({listed}): "
            "db copy only copies into an empty database, so nothing was copied"
        )


async def _write_pg(url: str, snapshot: Snapshot) -> None:
    conn = await _pg_connect(url, read_only=False)
    try:
        async with conn.transaction():
            # Nobody else writes engagebot tables while we fill them.
            for table in TABLES:
                await conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            _refuse_non_empty(
                {t: int(await conn.fetchval(f"SELECT COUNT(*) FROM {t}")) for t in TABLES}
            )
            for table in TABLES:
                columns, rows = snapshot.tables[table]
                if rows:
                    await conn.copy_records_to_table(table, records=rows, columns=columns)
            copied = {t: int(await conn.fetchval(f"SELECT COUNT(*) FROM {t}")) for t in TABLES}
            columns = await _pg_columns(conn, "ballots")
            ballots = [
                tuple(r[c] for c in columns) for r in await conn.fetch("SELECT * FROM ballots")
            ]
            _verify(
                snapshot,
                copied,
                Snapshot({"ballots": (columns, ballots)}),
                await conn.fetch(_RUNNING_VOTES),
                await conn.fetch(_RUNNING_VOTERS),
            )
    except CONNECTION_ERRORS as exc:
        raise StorageError(f"lost the connection to PostgreSQL during the copy: {exc}") from exc
    except asyncpg.PostgresError as exc:
        raise StorageError(f"the copy failed and nothing was copied: {exc}") from exc
    finally:
        await conn.close()


def _write_sqlite(path: Path, snapshot: Snapshot) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            _refuse_non_empty(
                {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}
            )
            # The running totals come over as they are: the trigger must not add to them.
            # It is dropped inside the transaction, so a failed copy restores it too.
            trigger = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ballots_counted'"
            ).fetchone()
            conn.execute("DROP TRIGGER IF EXISTS ballots_counted")
            for table in TABLES:
                columns, rows = snapshot.tables[table]
                if rows:
                    marks = ", ".join("?" * len(columns))
                    conn.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                    )
            if trigger is not None:
                conn.execute(trigger[0])
            copied = {
                t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES
            }
            cursor = conn.execute("SELECT * FROM ballots")
            stored = Snapshot({"ballots": ([d[0] for d in cursor.description], cursor.fetchall())})
            _verify(
                snapshot,
                copied,
                stored,
                conn.execute(_RUNNING_VOTES).fetchall(),
                conn.execute(_RUNNING_VOTERS).fetchall(),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise StorageError(f"the copy failed and nothing was copied: {exc}") from exc
    finally:
        conn.close()


_RUNNING_VOTES = "SELECT poll_id, option_id, platform, votes FROM option_counts WHERE votes <> 0"
_RUNNING_VOTERS = "SELECT poll_id, platform, voters FROM voter_counts WHERE voters <> 0"


def _verify(
    source: Snapshot,
    copied: dict[str, int],
    stored: Snapshot,
    running: list[Any],
    voters: list[Any],
) -> None:
    """Counts and every poll's tally (from the ballots and from the running totals)
    must equal the source's; otherwise the copy's transaction is rolled back."""
    if copied != source.counts():
        raise StorageError("the copied row counts differ from the source; nothing was copied")
    expected = source.tallies()
    if stored.tallies() != expected:
        raise StorageError("the copied ballots tally differently; nothing was copied")
    totals: dict[str, dict[tuple[str, str], int]] = {}
    for poll, option, platform, votes in running:
        totals.setdefault(poll, {})[(option, platform)] = int(votes)
    if totals != {p: c for p, c in expected.items() if c}:
        raise StorageError("the copied running totals differ from the ballots; nothing was copied")
    columns, rows = source.tables["ballots"]
    poll, platform = columns.index("poll_id"), columns.index("platform")
    expected_voters = Counter((row[poll], row[platform]) for row in rows)
    if {(p, pf): int(n) for p, pf, n in voters} != dict(expected_voters):
        raise StorageError("the copied voter totals differ from the ballots; nothing was copied")


async def _pg_connect(url: str, read_only: bool) -> Any:
    target = postgres_url(url)
    settings = {"application_name": "engagebot"}
    if read_only:
        settings["default_transaction_read_only"] = "on"
    try:
        return await asyncpg.connect(target.dsn, timeout=CONNECT_TIMEOUT, server_settings=settings)
    except (*CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
        reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise DatabaseUnreachable(
            f"cannot reach PostgreSQL at {target.host}:{target.port}: {reason}"
        ) from None
