"""Discord tests run against FakeDiscord (offline-only is enforced by
tests/adapters/conftest.py); any error logged meanwhile fails the test — discord.py only
logs exceptions raised in view callbacks and listeners."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.adapters.discord.fake_discord import FakeDiscord


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def logged_errors() -> Iterator[list[logging.LogRecord]]:
    """Every ERROR logged during the test (discord.py's 'Ignoring exception in dynamic
    item callback', the app's 'could not handle', asyncio's lost task exceptions...)."""
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
    assert [f"{r.name}: {r.getMessage()}" for r in handler.records] == []


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
        assert server.unknown == [], f"calls the fake does not know: {server.unknown}"
