"""PostgreSQL migrations: versioned like SQLite's (the same numbers), applied once under
an advisory lock however many processes start together, all or nothing per file."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.errors import StorageError
from bot.storage.postgres import PostgresStore
from bot.storage.postgres.migrate import Migration, apply_migrations, load_migrations
from bot.storage.sqlite.migrate import load_migrations as sqlite_migrations
from bot.storage.urls import postgres_url
from tests.pg import pg_url  # noqa: F401  (fixture)


def test_both_backends_have_the_same_schema_versions() -> None:
    assert [m.name for m in load_migrations()] == [m.name for m in sqlite_migrations()]


async def test_processes_starting_together_migrate_once(pg_url: str) -> None:  # noqa: F811
    stores = [PostgresStore(postgres_url(pg_url)) for _ in range(6)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        latest = load_migrations()[-1].version
        assert {s.schema_version for s in stores} == {latest}
        conn = await asyncpg.connect(pg_url)
        try:
            rows = await conn.fetch("SELECT version FROM engagebot_schema ORDER BY version")
        finally:
            await conn.close()
        assert [r[0] for r in rows] == list(range(1, latest + 1))
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_a_newer_schema_is_refused_in_one_line(pg_url: str) -> None:  # noqa: F811
    first = PostgresStore(postgres_url(pg_url))
    await first.open()
    await first.close()
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("INSERT INTO engagebot_schema (version, name) VALUES (99, 'future')")
    finally:
        await conn.close()
    with pytest.raises(StorageError, match="schema is version 99 but this engagebot knows"):
        await PostgresStore(postgres_url(pg_url)).open()


async def table_names(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r[0] for r in rows}


@pytest.mark.parametrize("read_only", [False, True])
async def test_a_database_from_another_build_is_refused_by_migration_name(
    pg_url: str,  # noqa: F811
    read_only: bool,
) -> None:
    """An unreleased build whose 0006 was another migration left schema version 6: this
    build would skip its own 0006 and use tables it does not expect."""
    ours = load_migrations()
    theirs = [*ours[:5], Migration(6, "0006_wishlists.sql", "CREATE TABLE wishlists (x INT)")]
    conn = await asyncpg.connect(pg_url)
    try:
        await apply_migrations(conn, theirs)
    finally:
        await conn.close()
    before = await table_names(pg_url)
    url = postgres_url(pg_url)
    with pytest.raises(StorageError) as refused:
        await PostgresStore(url, read_only=read_only).open()
    message = str(refused.value)
    assert message.startswith(
        f"postgresql://{url.where}: migration 0006 was recorded as '0006_wishlists.sql'"
    )
    assert "this engagebot's migration 0006 is '0006_edit_leases.sql'" in message
    assert "restore a backup" in message.lower() and "engagebot db copy" in message
    assert await table_names(pg_url) == before and "edit_leases" not in before
