"""Writes for run-off rounds and per-database secrets, run by the group-commit writer
(see writer.py) inside its batch transaction, plus row conversion for reads."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from bot.storage.base import PollRound
from bot.storage.codec import from_micros

ROUND_COLUMNS = "poll_id, runoff_of, reason, definition, created_at"


def round_from_row(row: Sequence[Any]) -> PollRound:
    return PollRound(
        poll_id=row[0],
        runoff_of=row[1],
        reason=row[2],
        definition=row[3],
        created_at=from_micros(row[4]),
    )


def create_round(
    round_: PollRound, opened_at: int, closes_at: int | None, now: int
) -> Callable[[sqlite3.Connection], bool]:
    """Record the round and open its poll, in one transaction. False (and nothing
    written) if the parent already has a run-off: the UNIQUE constraint decides."""

    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            f"INSERT OR IGNORE INTO poll_rounds ({ROUND_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (round_.poll_id, round_.runoff_of, round_.reason, round_.definition, now),
        )
        if cursor.rowcount != 1:
            return False
        # A plain INSERT: an id already used by another poll fails the whole operation
        # (SAVEPOINT in the writer) rather than reuse that poll's votes.
        conn.execute(
            "INSERT INTO polls (poll_id, state, opened_at, closes_at, opened_by, updated_at) "
            "VALUES (?, 'open', ?, ?, 'runoff', ?)",
            (round_.poll_id, opened_at, closes_at, now),
        )
        return True

    return run


def secret(name: str, size: int, now: int) -> Callable[[sqlite3.Connection], bytes]:
    """The named secret, created at random the first time (the same for every process)."""

    def run(conn: sqlite3.Connection) -> bytes:
        conn.execute(
            "INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)",
            (name, secrets.token_bytes(size), now),
        )
        row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])

    return run
