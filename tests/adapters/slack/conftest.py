"""Slack tests run offline: any attempt to resolve a host other than this machine (such
as slack.com) fails the test that made it."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

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
        if record.name.startswith(("bot", "slack_bolt", "slack_sdk")):
            self.records.append(record)


@pytest.fixture(autouse=True)
def no_logged_errors() -> Iterator[list[logging.LogRecord]]:
    """Listeners catch and log their errors (so bolt never loses an ack); a test in
    which one was logged fails. Tests that expect errors clear the returned list."""
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []
