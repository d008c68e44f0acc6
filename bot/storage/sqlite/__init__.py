"""The SQLite backend: one file, one group-commit writer, WAL readers."""

from bot.storage.sqlite.store import SqliteStore, Synchronous

__all__ = ["SqliteStore", "Synchronous"]
