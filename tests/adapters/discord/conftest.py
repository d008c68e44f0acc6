"""Discord tests run offline against FakeDiscord: resolving any host but this machine
(discord.com, gateway.discord.gg, the CDN) fails the test, and so does any error logged
meanwhile — discord.py only logs exceptions raised in view callbacks and listeners."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.adapters.discord.fake_discord import FakeDiscord

LOCAL = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    attempts: list[str] = []
    real = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOCAL:
            attempts.append(name)
            raise OSError(f"test tried to reach {name}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    yield attempts
    assert attempts == [], f"tried to reach the internet: {attempts}"


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
