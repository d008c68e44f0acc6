"""The database's files on disk: created private, and opened read-only without leaving
a trace for the commands that only read.

SQLite gives its -wal and -shm files the database file's own permissions, so a 0600
database keeps its journal private too."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import aiosqlite

from bot.errors import StorageError
from bot.private_files import create_private, make_folders, make_private
from bot.storage.migration_names import check_names
from bot.storage.sqlite.migrate import NAMES_KEPT, RECORDED_NAMES, load_migrations
from bot.storage.sqlite.writer import GroupCommitWriter, Operation

T = TypeVar("T")

log = logging.getLogger(__name__)

JOURNAL_SUFFIXES = ("-wal", "-shm")


def journal_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in JOURNAL_SUFFIXES]


def prepare_private(path: Path) -> None:
    """Before the writer connects: create the database file 0600 (its folder 0700), or
    take other users' access away from an existing one and its journal (one warning)."""
    try:
        make_folders(path.parent)
        if create_private(path):
            return
        changed = {f.name: mode for f in [path, *journal_files(path)] if (mode := make_private(f))}
    except OSError as exc:
        # SQLite's own open reports a folder we cannot write to; a file we may not chmod
        # (another owner) still works, it just stays as its owner left it.
        log.warning("could not make the database %s private: %s", path, exc.strerror or exc)
        return
    if changed:
        was = ", ".join(f"{name} {mode:04o}" for name, mode in changed.items())
        log.warning(
            "the database holds customers' ids and names, but other users could read it "
            "(%s): made it private (0600)",
            was,
        )


def read_only_uri(path: Path) -> str:
    """A URI that opens the database without ever writing to it or its folder.

    While a bot has the database open its -wal file exists, and mode=ro reads through it
    (the last committed state). Without a -wal nobody is writing (SQLite removes it when
    the last connection closes), and mode=ro would create -wal and -shm files next to the
    database and leave them behind: immutable=1 reads the file as it is instead."""
    uri = "file:" + quote(str(path.absolute()))
    if any(f.exists() for f in journal_files(path)):
        return uri + "?mode=ro"
    return uri + "?mode=ro&immutable=1"


async def open_reader(path: Path, read_only: bool, busy_timeout: float) -> aiosqlite.Connection:
    """The store's reading connection. For a read-only store there is no writer to create
    and migrate the file first: a database that does not exist yet reads as an empty one,
    and an older schema is read as it is (said in one line)."""
    if not read_only:
        reader = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout)
    elif not path.exists():
        reader = await aiosqlite.connect(":memory:", isolation_level=None)
        for migration in load_migrations():
            await reader.executescript(migration.sql)
    else:
        reader = await aiosqlite.connect(
            read_only_uri(path), uri=True, isolation_level=None, timeout=busy_timeout
        )
        try:
            await _check_schema(reader, path)
        except BaseException:
            await reader.close()
            raise
    await reader.execute("PRAGMA query_only = ON")
    return reader


async def _check_schema(reader: aiosqlite.Connection, path: Path) -> None:
    rows = list(await reader.execute_fetchall("PRAGMA user_version"))
    version = int(rows[0][0])
    migrations = load_migrations()
    latest = migrations[-1].version
    if await reader.execute_fetchall(NAMES_KEPT):
        names = await reader.execute_fetchall(RECORDED_NAMES)
        check_names(str(path), [(v, n) for v, n in names], {m.version: m.name for m in migrations})
    if version > latest:
        raise StorageError(
            f"the database schema is version {version} but this engagebot knows only up to "
            f"{latest}: upgrade engagebot or use another database file"
        )
    if version < latest:
        log.warning(
            "the database %s has schema version %d, this engagebot's is %d: read as it is "
            "(the bot upgrades it when it next starts)",
            path,
            version,
            latest,
        )


class ReadOnlyWriter(GroupCommitWriter):
    """The writer of a read-only store: never connects, refuses every write."""

    async def start(self) -> None:
        return None

    async def submit(self, operation: Operation[T]) -> T:
        raise StorageError("this command opened the database read-only and cannot change it")
