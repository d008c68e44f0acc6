"""The database-URL policy, in one place: which backend a URL names, where it points,
and how to name it in a message without its password.

    sqlite:///data/engagebot.db          relative to the config folder (resolved on load)
    sqlite:////srv/bot/engagebot.db      absolute
    postgresql://user:pw@host:5432/db    also postgres://, ?pool=N bounds the connections

Messages never repeat a URL: a PostgreSQL URL may carry a password."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from bot.errors import StorageError, UnsupportedDatabase

DEFAULT_URL = "sqlite:///data/engagebot.db"
DEFAULT_POOL = 10
MAX_POOL = 200
SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite"})
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,30}):")
# What the config validator accepts before the URL is parsed in full at open time.
CONFIG_PATTERN = re.compile(r"^(sqlite(\+aiosqlite)?:///.+|postgres(ql)?(\+asyncpg)?://.+)$")


@dataclass(frozen=True)
class PostgresUrl:
    """dsn: the URL as asyncpg takes it (postgresql://, our own options removed)."""

    dsn: str
    host: str
    port: int
    database: str
    pool: int

    @property
    def where(self) -> str:
        """host:port/database, for messages (never the user or password)."""
        return f"{self.host}:{self.port}/{self.database}"


def scheme_of(url: str) -> str:
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else ""


def is_postgres(url: str) -> bool:
    return scheme_of(url) in POSTGRES_SCHEMES


def is_sqlite(url: str) -> bool:
    return scheme_of(url) in SQLITE_SCHEMES


def resolve_relative(url: str, root: Path) -> str:
    """sqlite:///data/x.db is relative to the config folder: sqlite:////abs/data/x.db.
    Other URLs are returned as they are."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    if rest.startswith(("/", ":memory:", "file:")):
        return url
    return prefix + os.path.abspath(root / rest)


def describe(url: str) -> str:
    """The database for a message: a file path, or postgresql://host:port/db."""
    try:
        if is_postgres(url):
            return f"postgresql://{postgres_url(url).where}"
        return str(sqlite_path(url))
    except StorageError:
        return "the database"


def sqlite_path(url: str) -> Path:
    """The file a sqlite URL names; UnsupportedDatabase for other engines."""
    scheme = scheme_of(url)
    if scheme not in SQLITE_SCHEMES:
        raise _unsupported(scheme)
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


def postgres_url(url: str) -> PostgresUrl:
    """postgresql://user:password@host:port/dbname?pool=10 -> its parts; StorageError
    (without the URL) when it is malformed."""
    scheme = scheme_of(url)
    if scheme not in POSTGRES_SCHEMES:
        raise _unsupported(scheme)
    try:
        parts = urlsplit(url.strip())
        port = parts.port or 5432
    except ValueError:
        raise StorageError("the PostgreSQL URL's port is not a number") from None
    host = parts.hostname or "localhost"
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise StorageError(
            "the PostgreSQL URL names no database: postgresql://user@host:5432/engagebot"
        )
    options = parse_qsl(parts.query, keep_blank_values=True)
    pool = DEFAULT_POOL
    kept: list[tuple[str, str]] = []
    for name, value in options:
        if name == "pool":
            if not value.isdigit() or not 1 <= int(value) <= MAX_POOL:
                raise StorageError(f"?pool= takes a number of connections from 1 to {MAX_POOL}")
            pool = int(value)
        else:
            kept.append((name, value))
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(kept), ""))
    return PostgresUrl(dsn=dsn, host=host, port=port, database=database, pool=pool)


def _unsupported(scheme: str) -> UnsupportedDatabase:
    named = f"'{scheme}' databases are not supported" if scheme else "not a database URL"
    return UnsupportedDatabase(
        f"{named}: write the database as a SQLite URL, e.g. {DEFAULT_URL} (relative to the "
        "config folder), or a PostgreSQL one, e.g. postgresql://user@host:5432/engagebot"
    )
