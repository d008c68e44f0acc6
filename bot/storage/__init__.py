"""Durable state: poll lifecycle, posted messages, ballots, deliveries.

open_store() turns a database URL from the config into a Store (not yet opened): the
URL's scheme picks the backend (see urls.py for the whole URL policy)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.errors import StorageError
from bot.private_files import make_folders
from bot.storage.base import Store
from bot.storage.sqlite import SqliteStore
from bot.storage.urls import DEFAULT_URL, is_postgres, postgres_url, sqlite_path

__all__ = ["DEFAULT_URL", "SqliteStore", "Store", "open_store", "sqlite_path"]


def open_store(
    url: str, read_only: bool = False, clock: Callable[[], datetime] | None = None
) -> Store:
    """sqlite:///relative/path.db, sqlite:////absolute/path.db or postgresql://... -> an
    unopened store. read_only: for commands that only read (nothing is created or changed).
    clock: the app's time, for PostgreSQL's timestamps and its reconnect back-off.

    Error messages never repeat the URL: a PostgreSQL URL may carry a password."""
    if is_postgres(url):
        # Imported here: asyncpg costs SQLite users ~50 ms at every command.
        from bot.storage.postgres import PostgresStore

        return PostgresStore(postgres_url(url), read_only=read_only, clock=clock)
    path = sqlite_path(url)
    if read_only:
        return SqliteStore(path, read_only=True)
    try:
        make_folders(path.parent)  # 0700: the database holds customers' ids and names
    except OSError as exc:
        raise StorageError(
            f"cannot create the database folder {path.parent}: {exc.strerror or exc}"
        ) from None
    return SqliteStore(path)
