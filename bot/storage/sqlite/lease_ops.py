"""Edit leases (migration 0006), run by the group-commit writer inside its batch
transaction. One SQLite file serves one bot process, so a lease there is always free or
already its own; the operations still behave as on PostgreSQL (the contract tests)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping

from bot.core.refs import MessageRef
from bot.storage.base import EditLease
from bot.storage.codec import from_micros

_WHERE = "platform = ? AND channel_id = ? AND message_id = ?"


def _key(message: MessageRef) -> tuple[str, str, str]:
    return (message.channel.platform, message.channel.id, message.id)


def take(
    wanted: Mapping[MessageRef, str],
    holder: str,
    now: int,
    until: int,
    steal_from: Collection[str],
) -> Callable[[sqlite3.Connection], list[EditLease]]:
    gone = list(steal_from)
    others = ", ".join("?" for _ in gone) or "NULL"

    def run(conn: sqlite3.Connection) -> list[EditLease]:
        leases: list[EditLease] = []
        for message, poll_id in wanted.items():
            conn.execute(
                "INSERT INTO edit_leases (platform, channel_id, message_id, poll_id, holder, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, channel_id, "
                "message_id) DO UPDATE SET poll_id = excluded.poll_id, holder = excluded.holder, "
                "expires_at = excluded.expires_at WHERE edit_leases.holder = excluded.holder "
                f"OR edit_leases.expires_at <= ? OR edit_leases.holder IN ({others})",
                (*_key(message), poll_id, holder, until, now, *gone),
            )
            row = conn.execute(
                f"SELECT holder, expires_at FROM edit_leases WHERE {_WHERE}", _key(message)
            ).fetchone()
            leases.append(EditLease(message, poll_id, row[0], from_micros(row[1])))
        return leases

    return run


def release(
    holder: str, messages: Collection[MessageRef] | None
) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        if messages is None:
            conn.execute("DELETE FROM edit_leases WHERE holder = ?", (holder,))
            return
        for message in messages:
            conn.execute(
                f"DELETE FROM edit_leases WHERE {_WHERE} AND holder = ?", (*_key(message), holder)
            )

    return run
