"""The post ledger (migration 0004): claims, take-overs and confirmations of every post,
run by the group-commit writer inside its batch transaction, plus row conversion."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import PostClaim, PostKind
from bot.storage.codec import from_micros, opt_from_micros

POST_COLUMNS = (
    "kind, subject, platform, channel_id, claim_key, message_id, claimed_at, not_before, "
    "attempts, last_error, posted_at, last_sent_at, holder"
)
_WHERE_POST = "kind = ? AND subject = ? AND platform = ? AND channel_id = ?"
KEY_BYTES = 12  # 24 hex characters: a Discord nonce may hold 25


def post_from_row(row: Sequence[Any]) -> PostClaim:
    return PostClaim(
        kind=PostKind(row[0]),
        subject=row[1],
        channel=ChannelRef(row[2], row[3]),
        key=row[4],
        message_id=row[5],
        claimed_at=from_micros(row[6]),
        not_before=from_micros(row[7]),
        attempts=int(row[8]),
        last_error=row[9],
        posted_at=opt_from_micros(row[10]),
        last_sent_at=opt_from_micros(row[11]),
        holder=row[12],
    )


def take(
    kind: PostKind,
    subject: str,
    channel: ChannelRef,
    now: int,
    hold_until: int,
    holder: str | None,
    steal_from: str | None = None,
) -> Callable[[sqlite3.Connection], PostClaim | None]:
    """Create the claim, or take over an unconfirmed one nobody holds (its hold or its
    back-off is over, or it is held by `steal_from`, a process known to be gone). None:
    posted already, or someone else holds it now."""
    where = (kind.value, subject, channel.platform, channel.id)

    def run(conn: sqlite3.Connection) -> PostClaim | None:
        created = conn.execute(
            "INSERT OR IGNORE INTO posts (kind, subject, platform, channel_id, claim_key, "
            "claimed_at, not_before, holder) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*where, secrets.token_hex(KEY_BYTES), now, hold_until, holder),
        ).rowcount
        if not created:
            taken = conn.execute(
                f"UPDATE posts SET not_before = ?, holder = ? WHERE {_WHERE_POST} "
                "AND message_id IS NULL AND (not_before <= ? OR holder = ?)",
                (hold_until, holder, *where, now, steal_from),
            ).rowcount
            if not taken:
                return None
        row = conn.execute(f"SELECT {POST_COLUMNS} FROM posts WHERE {_WHERE_POST}", where)
        claim = post_from_row(row.fetchone())
        return claim if created else claim.taken_over()

    return run


def confirm(claim: PostClaim, message: MessageRef, at: int) -> Callable[[sqlite3.Connection], None]:
    """Record the platform's message id, with the poll's or prompt's own record of it in
    the same transaction: once confirmed, live tallies and reply counts find it."""

    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE posts SET message_id = ?, posted_at = ?, last_error = NULL, holder = NULL "
            "WHERE claim_key = ?",
            (message.id, at, claim.key),
        )
        channel = message.channel
        if claim.kind is PostKind.POLL:
            conn.execute(
                "INSERT INTO poll_messages (poll_id, platform, channel_id, message_id, "
                "posted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (poll_id, platform, "
                "channel_id) DO UPDATE SET message_id = excluded.message_id, "
                "posted_at = excluded.posted_at",
                (claim.subject, channel.platform, channel.id, message.id, at),
            )
        elif claim.kind is PostKind.PROMPT:
            prompt_id, _, local_date = claim.subject.rpartition("@")
            conn.execute(
                "UPDATE prompt_posts SET message_id = ?, posted_at = ? WHERE prompt_id = ? "
                "AND local_date = ? AND platform = ? AND channel_id = ?",
                (message.id, at, prompt_id, local_date, channel.platform, channel.id),
            )

    return run


def sending(key: str, at: int) -> Callable[[sqlite3.Connection], None]:
    """About to send: from now on an earlier try may have landed."""

    def run(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE posts SET last_sent_at = ? WHERE claim_key = ?", (at, key))

    return run


def failed(key: str, error: str, retry_at: int) -> Callable[[sqlite3.Connection], None]:
    """The send failed: anyone may try again from retry_at (the back-off)."""

    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE posts SET attempts = attempts + 1, last_error = ?, not_before = ?, "
            "holder = NULL WHERE claim_key = ? AND message_id IS NULL",
            (error[:500], retry_at, key),
        )

    return run
