"""The write operations, as plain functions of a sqlite3 connection (votes: votes.py).

They run on the writer thread inside the batch transaction (see writer.py), so each one
sees every earlier operation of the same batch and none can interleave with another."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import datetime

from bot.core.refs import MessageRef
from bot.storage.base import (
    PollState,
)
from bot.storage.codec import (
    to_micros,
)

Now = Callable[[], int]  # microseconds since the epoch


def system_now() -> int:
    return time.time_ns() // 1000


# Poll lifecycle: each UPDATE is its own compare-and-set, so a transition happens once.


def ensure_polls(poll_ids: list[str], now: Now) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        at = now()
        conn.executemany(
            "INSERT OR IGNORE INTO polls (poll_id, state, updated_at) VALUES (?, ?, ?)",
            [(poll_id, PollState.SCHEDULED.value, at) for poll_id in poll_ids],
        )

    return run


def open_poll(
    poll_id: str, at: int, closes_at: int | None, by: str, now: Now
) -> Callable[[sqlite3.Connection], bool]:
    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "UPDATE polls SET state = 'open', opened_at = ?, closes_at = ?, opened_by = ?, "
            "updated_at = ? WHERE poll_id = ? AND state = 'scheduled'",
            (at, closes_at, by, now(), poll_id),
        )
        return cursor.rowcount == 1

    return run


def set_closes_at(
    poll_id: str, closes_at: int | None, now: Now
) -> Callable[[sqlite3.Connection], bool]:
    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "UPDATE polls SET closes_at = ?, updated_at = ? WHERE poll_id = ? AND state = 'open'",
            (closes_at, now(), poll_id),
        )
        return cursor.rowcount == 1

    return run


def close_poll(poll_id: str, at: int, by: str, now: Now) -> Callable[[sqlite3.Connection], bool]:
    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "UPDATE polls SET state = 'closed', closed_at = ?, closed_by = ?, updated_at = ? "
            "WHERE poll_id = ? AND state IN ('scheduled', 'open')",
            (at, by, now(), poll_id),
        )
        return cursor.rowcount == 1

    return run


def mark_announced(poll_id: str, at: int, now: Now) -> Callable[[sqlite3.Connection], bool]:
    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "UPDATE polls SET announced_at = ?, updated_at = ? "
            "WHERE poll_id = ? AND announced_at IS NULL",
            (at, now(), poll_id),
        )
        return cursor.rowcount == 1

    return run


def record_message(
    poll_id: str, message: MessageRef, at: int
) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO poll_messages (poll_id, platform, channel_id, message_id, posted_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (poll_id, platform, channel_id) DO UPDATE SET "
            "message_id = excluded.message_id, posted_at = excluded.posted_at",
            (poll_id, message.channel.platform, message.channel.id, message.id, at),
        )

    return run


def prune_deliveries(before: int) -> Callable[[sqlite3.Connection], int]:
    def run(conn: sqlite3.Connection) -> int:
        cursor = conn.execute("DELETE FROM deliveries WHERE recorded_at < ?", (before,))
        return cursor.rowcount

    return run


def datetime_clock(clock: Callable[[], datetime]) -> Now:
    """Adapt a datetime clock (e.g. bot.clock.Clock.now) to microseconds."""
    return lambda: to_micros(clock())
