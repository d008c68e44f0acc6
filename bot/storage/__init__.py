"""Durable state: poll lifecycle, posted messages, ballots, deliveries.

open_store() turns a database URL from the config into a Store (not yet opened)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.errors import StorageError, UnsupportedDatabase
from bot.private_files import make_folders
from bot.storage.base import Store
from bot.storage.sqlite import SqliteStore

__all__ = ["SqliteStore", "Store", "open_store", "sqlite_path"]

DEFAULT_URL = "sqlite:///data/engagebot.db"
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite"}
_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,30}):")


def open_store(url: str, read_only: bool = False) -> Store:
    """sqlite:///relative/path.db or sqlite:////absolute/path.db -> an unopened SqliteStore.
    read_only: for commands that only read (nothing is created or changed on disk).

    Error messages never repeat the URL: a PostgreSQL URL may carry a password."""
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


def sqlite_path(url: str) -> Path:
    """The file a sqlite URL names; UnsupportedDatabase for other engines."""
    match = _SCHEME.match(url.strip())
    scheme = match.group(1).lower() if match else ""
    if scheme in _POSTGRES_SCHEMES:
        raise UnsupportedDatabase(
            f"PostgreSQL support is planned but not in this version; for now use {DEFAULT_URL}"
        )
    if scheme not in _SQLITE_SCHEMES:
        named = f"'{scheme}' databases are not supported" if scheme else "not a database URL"
        raise UnsupportedDatabase(
            f"{named}: write the database as a SQLite URL, e.g. {DEFAULT_URL} "
            "(relative to the config folder) or sqlite:////absolute/path/engagebot.db"
        )
    parts = urlsplit(url.strip())
    if parts.netloc:
        raise StorageError(
            "a SQLite URL has no host: use three slashes for a relative path "
            f"({DEFAULT_URL}) or four for an absolute one (sqlite:////srv/engagebot.db)"
        )
    if parts.query or parts.fragment:
        raise StorageError("options after '?' or '#' in a SQLite URL are not supported")
    # urlsplit keeps the slash after the empty host: "/data/x.db" means relative "data/x.db",
    # "//srv/x.db" (four slashes in the URL) means absolute "/srv/x.db".
    raw = unquote(parts.path)
    if not raw.startswith("/"):
        raise StorageError(f"write the SQLite URL with three slashes, e.g. {DEFAULT_URL}")
    name = raw[1:]
    if not name or name.endswith("/"):
        raise StorageError(f"the SQLite URL names no file; e.g. {DEFAULT_URL}")
    if name == ":memory:" or name.startswith("file:"):
        raise StorageError(
            "in-memory SQLite cannot be shared by the writer and readers; use a file path"
        )
    return Path(name)
