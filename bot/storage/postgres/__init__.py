"""The PostgreSQL backend: asyncpg, a bounded pool, group-committed votes."""

from bot.storage.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
