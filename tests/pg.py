"""A real PostgreSQL for tests: 127.0.0.1:5432 (or ENGAGEBOT_TEST_PG), user postgres.

Each test that asks for `pg_url` gets its own fresh database, engagebot_test_<random>,
dropped afterwards. Without a server the tests skip on a developer's machine, and fail
in CI (CI=true): .ci/run starts PostgreSQL, so a missing one is a broken CI, not a skip."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

SERVER = os.environ.get("ENGAGEBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
_reachable: bool | None = None


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(f"{SERVER}/postgres", timeout=5)


async def require_postgres() -> None:
    """Skip (or fail in CI) when no PostgreSQL answers."""
    global _reachable
    if _reachable is None:
        try:
            conn = await _admin()
        except (OSError, TimeoutError, asyncpg.PostgresError):
            _reachable = False
        else:
            await conn.close()
            _reachable = True
    if not _reachable:
        message = f"PostgreSQL at {SERVER} is not reachable"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must run these tests: .ci/run starts PostgreSQL)")
        pytest.skip(message)


async def create_database() -> str:
    """A fresh, empty database; returns its URL."""
    await require_postgres()
    name = f"engagebot_test_{secrets.token_hex(6)}"
    conn = await _admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{SERVER}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    conn = await _admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a fresh PostgreSQL database, dropped after the test."""
    url = await create_database()
    try:
        yield url
    finally:
        await drop_database(url)
