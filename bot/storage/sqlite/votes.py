"""cast() on SQLite, a batch at a time.

The writer hands every run of consecutive cast() calls in its batch to `cast_batch`: a
few statements read what the whole batch needs (the polls' states, which deliveries were
seen, the voters' ballots and withdrawals), the rules shared with PostgreSQL decide each
vote in order in Python (bot/storage/ballot_rules.py), and `executemany` writes one row
per voter. Per vote that is no statement of its own, where the one-at-a-time path ran
three to five. The running totals take the batch's net change, one statement per counter
touched (migration 0008 dropped the per-row triggers that did it before).

If a write fails, cast_batch raises and the writer redoes the batch with each operation
alone in a savepoint (CastOp called on its own is a batch of one), so one bad vote fails
alone and the others are stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.ballot_rules import LookupRow, NetWrites, Now, Outcome, plan_batch
from bot.storage.base import BallotRequest, CastResult

# IN lists are padded to a power of two (repeating the last value), so a handful of
# statement texts serve every batch size and stay in the connection's statement cache.
_CHUNK = 256

_ADD = """
INSERT INTO ballots (poll_id, voter_key, platform, user_id, user_name, options, cast_at,
                     recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
_CHANGE = (
    "UPDATE ballots SET user_name = ?, options = ?, cast_at = ?, recorded_at = ? "
    "WHERE poll_id = ? AND voter_key = ?"
)
_TOUCH = "UPDATE ballots SET cast_at = ?, recorded_at = ? WHERE poll_id = ? AND voter_key = ?"
_REMOVE = "DELETE FROM ballots WHERE poll_id = ? AND voter_key = ?"
_WITHDRAW = (
    "INSERT INTO withdrawals (poll_id, voter_key, cast_at) VALUES (?, ?, ?) "
    "ON CONFLICT (poll_id, voter_key) DO UPDATE SET cast_at = excluded.cast_at"
)
_UNWITHDRAW = "DELETE FROM withdrawals WHERE poll_id = ? AND voter_key = ?"
_DELIVERED = "INSERT INTO deliveries (delivery_id, poll_id, recorded_at) VALUES (?, ?, ?)"
_COUNT_VOTERS = (
    "INSERT INTO voter_counts (poll_id, platform, voters) VALUES (?, ?, ?) "
    "ON CONFLICT (poll_id, platform) DO UPDATE SET voters = voters + excluded.voters"
)
_COUNT_VOTES = (
    "INSERT INTO option_counts (poll_id, option_id, platform, votes) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (poll_id, option_id, platform) DO UPDATE SET votes = votes + excluded.votes"
)


@dataclass(frozen=True)
class CastOp:
    """cast() prepared on the event loop (keys and times converted, so a bad datetime fails
    the caller at once) and run on the writer thread."""

    request: BallotRequest
    occurred: int  # request.occurred_at in microseconds
    now: Now

    def __call__(self, conn: sqlite3.Connection) -> CastResult:
        ok, value = cast_batch(conn, [self])[0]
        if not ok:
            raise value
        result: CastResult = value
        return result

    # The writer runs consecutive operations that share this together (see writer.py).
    @staticmethod
    def run_many(conn: sqlite3.Connection, ops: Sequence[Any]) -> list[Outcome]:
        return cast_batch(conn, ops)


def cast_batch(conn: sqlite3.Connection, ops: Sequence[CastOp]) -> list[Outcome]:
    """Decide and store ops in order, inside the writer's transaction; an outcome each.
    Raises if a write fails (nothing of it can be vouched for: the writer redoes)."""
    requests = [op.request for op in ops]
    plan = plan_batch(
        [(op.request, op.occurred) for op in ops], _lookup(conn, requests), ops[0].now
    )
    _write(conn, plan.net())
    return plan.outcomes


def _lookup(conn: sqlite3.Connection, requests: list[BallotRequest]) -> list[LookupRow]:
    polls = list(dict.fromkeys(r.poll_id for r in requests))
    states: dict[str, str] = {}
    for chunk, holes in _chunks(polls):
        sql = f"SELECT poll_id, state FROM polls WHERE poll_id IN ({holes})"
        states.update(conn.execute(sql, chunk).fetchall())
    replayed: set[str] = set()
    for chunk, holes in _chunks([r.delivery_id for r in requests]):
        sql = f"SELECT delivery_id FROM deliveries WHERE delivery_id IN ({holes})"
        replayed.update(row[0] for row in conn.execute(sql, chunk))
    ballots: dict[tuple[str, str], tuple[str, int, int, str]] = {}
    withdrawals: dict[tuple[str, str], int] = {}
    for poll_id in polls:
        keys = list(dict.fromkeys(r.voter.key for r in requests if r.poll_id == poll_id))
        for chunk, holes in _chunks(keys):
            params = (poll_id, *chunk)
            sql = (
                "SELECT voter_key, options, cast_at, recorded_at, user_name FROM ballots "
                f"WHERE poll_id = ? AND voter_key IN ({holes})"
            )
            for key, options, cast_at, recorded_at, name in conn.execute(sql, params):
                ballots[(poll_id, key)] = (options, cast_at, recorded_at, name)
            sql = (
                "SELECT voter_key, cast_at FROM withdrawals "
                f"WHERE poll_id = ? AND voter_key IN ({holes})"
            )
            for key, cast_at in conn.execute(sql, params):
                withdrawals[(poll_id, key)] = cast_at
    rows: list[LookupRow] = []
    for r in requests:
        key = (r.poll_id, r.voter.key)
        options, cast_at, recorded_at, name = ballots.get(key, (None, None, None, None))
        rows.append(
            (
                r.delivery_id in replayed,
                states.get(r.poll_id),
                options,
                cast_at,
                recorded_at,
                name,
                withdrawals.get(key),
            )
        )
    return rows


def _chunks(values: list[str]) -> Iterator[tuple[list[str], str]]:
    """values in slices of at most _CHUNK, each padded to a power of two, with its
    placeholders."""
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        size = 1 << (len(chunk) - 1).bit_length()
        chunk += [chunk[-1]] * (size - len(chunk))
        yield chunk, ", ".join("?" * size)


def _write(conn: sqlite3.Connection, net: NetWrites) -> None:
    if net.added:
        conn.executemany(_ADD, net.added)
    if net.changed:
        conn.executemany(_CHANGE, [(r[4], r[5], r[6], r[7], r[0], r[1]) for r in net.changed])
    if net.touched:
        conn.executemany(_TOUCH, [(r[6], r[7], r[0], r[1]) for r in net.touched])
    if net.removed:
        conn.executemany(_REMOVE, net.removed)
    if net.withdrawn:
        conn.executemany(_WITHDRAW, net.withdrawn)
    if net.unwithdrawn:
        conn.executemany(_UNWITHDRAW, net.unwithdrawn)
    if net.deliveries:
        conn.executemany(_DELIVERED, net.deliveries)
    if net.voter_delta:
        conn.executemany(_COUNT_VOTERS, [(*key, delta) for key, delta in net.voter_delta])
    if net.option_delta:
        conn.executemany(_COUNT_VOTES, [(*key, delta) for key, delta in net.option_delta])
