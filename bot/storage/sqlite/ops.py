"""The write operations, as plain functions of a sqlite3 connection.

They run on the writer thread inside the batch transaction (see writer.py), so each one
sees every earlier operation of the same batch and none can interleave with another."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.refs import MessageRef, UserRef
from bot.storage.base import (
    Ballot,
    BallotRequest,
    CastResult,
    CastStatus,
    PollState,
    Rejection,
)
from bot.storage.codec import (
    dump_options,
    from_micros,
    load_options,
    normalize_selection,
    to_micros,
)

Now = Callable[[], int]  # microseconds since the epoch


def system_now() -> int:
    return time.time_ns() // 1000


# One statement reads everything cast() needs, consistently and with one round trip:
# replay?, poll state, the current ballot, and the last withdrawal.
_CAST_LOOKUP = """
SELECT
    EXISTS (SELECT 1 FROM deliveries WHERE delivery_id = :delivery),
    (SELECT state FROM polls WHERE poll_id = :poll),
    b.options, b.cast_at, b.recorded_at, b.user_name,
    (SELECT cast_at FROM withdrawals WHERE poll_id = :poll AND voter_key = :voter)
FROM (SELECT 1) LEFT JOIN ballots AS b ON b.poll_id = :poll AND b.voter_key = :voter
"""

_UPSERT_BALLOT = """
INSERT INTO ballots (poll_id, voter_key, platform, user_id, user_name, options, cast_at,
                     recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (poll_id, voter_key) DO UPDATE SET
    user_name = excluded.user_name, options = excluded.options,
    cast_at = excluded.cast_at, recorded_at = excluded.recorded_at
"""


@dataclass(frozen=True)
class CastOp:
    """cast() prepared on the event loop (keys and times converted, so a bad datetime fails
    the caller at once) and run on the writer thread."""

    request: BallotRequest
    occurred: int  # request.occurred_at in microseconds
    now: Now

    def __call__(self, conn: sqlite3.Connection) -> CastResult:
        req = self.request
        voter = req.voter
        key = voter.key
        params = {"delivery": req.delivery_id, "poll": req.poll_id, "voter": key}
        replayed, state, options, cast_at, recorded_at, name, withdrawn_at = conn.execute(
            _CAST_LOOKUP, params
        ).fetchone()
        current = None
        if options is not None:
            current = Ballot(
                req.poll_id,
                UserRef(voter.platform, voter.id, name),
                load_options(options),
                from_micros(cast_at),
                from_micros(recorded_at),
            )
        previous = current.options if current else None

        if replayed:
            return CastResult(CastStatus.DUPLICATE, current, previous)
        if state != PollState.OPEN.value:
            return CastResult(CastStatus.NOT_OPEN, current, previous)
        latest = cast_at if current else withdrawn_at
        if latest is not None and self.occurred < latest:
            self._record_delivery(conn)
            return CastResult(CastStatus.STALE, current, previous)

        decision = req.decide(current)
        if isinstance(decision, Rejection):
            return CastResult(CastStatus.REJECTED, current, previous, decision)
        selection = normalize_selection(decision)

        if not selection:
            if current is not None:
                conn.execute(
                    "DELETE FROM ballots WHERE poll_id = ? AND voter_key = ?", (req.poll_id, key)
                )
            conn.execute(
                "INSERT INTO withdrawals (poll_id, voter_key, cast_at) VALUES (?, ?, ?) "
                "ON CONFLICT (poll_id, voter_key) DO UPDATE SET cast_at = excluded.cast_at",
                (req.poll_id, key, self.occurred),
            )
            self._record_delivery(conn)
            status = CastStatus.WITHDRAWN if current else CastStatus.UNCHANGED
            return CastResult(status, None, previous)

        if current is not None and set(selection) == set(current.options):
            # Nothing to count, but remember this click as the newest so an older one
            # arriving late is still recognised as stale.
            conn.execute(
                "UPDATE ballots SET cast_at = ? WHERE poll_id = ? AND voter_key = ?",
                (self.occurred, req.poll_id, key),
            )
            self._record_delivery(conn)
            kept = Ballot(
                req.poll_id,
                current.voter,
                current.options,
                from_micros(self.occurred),
                current.recorded_at,
            )
            return CastResult(CastStatus.UNCHANGED, kept, previous)

        now = self.now()
        conn.execute(
            _UPSERT_BALLOT,
            (
                req.poll_id,
                key,
                voter.platform,
                voter.id,
                voter.name,
                dump_options(selection),
                self.occurred,
                now,
            ),
        )
        if withdrawn_at is not None:
            conn.execute(
                "DELETE FROM withdrawals WHERE poll_id = ? AND voter_key = ?", (req.poll_id, key)
            )
        self._record_delivery(conn, now)
        stored = Ballot(req.poll_id, voter, selection, from_micros(self.occurred), from_micros(now))
        return CastResult(CastStatus.ACCEPTED, stored, previous)

    def _record_delivery(self, conn: sqlite3.Connection, now: int | None = None) -> None:
        conn.execute(
            "INSERT INTO deliveries (delivery_id, poll_id, recorded_at) VALUES (?, ?, ?)",
            (self.request.delivery_id, self.request.poll_id, self.now() if now is None else now),
        )


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
