"""Slack tests fail on any error logged by our code or by slack-bolt (offline-only is
enforced by tests/adapters/conftest.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


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
