"""Prompt writes as plain functions of a sqlite3 connection, run by the group-commit
writer (see writer.py), plus the row conversion for reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from bot.core.refs import ChannelRef, MessageRef, UserRef
from bot.storage.base import PromptPost, PromptSetSeen
from bot.storage.codec import from_micros, opt_from_micros

POST_COLUMNS = (
    "p.prompt_id, p.local_date, p.platform, p.channel_id, p.question_index, p.due_at, "
    "p.claimed_at, p.message_id, p.posted_at, "
    "(SELECT COUNT(*) FROM prompt_replies AS r WHERE r.prompt_id = p.prompt_id "
    " AND r.local_date = p.local_date AND r.post_platform = p.platform "
    " AND r.post_channel_id = p.channel_id)"
)


def post_from_row(row: Sequence[Any]) -> PromptPost:
    return PromptPost(
        prompt_id=row[0],
        local_date=date.fromisoformat(row[1]),
        channel=ChannelRef(row[2], row[3]),
        question_index=row[4],
        due_at=from_micros(row[5]),
        claimed_at=from_micros(row[6]),
        message_id=row[7],
        posted_at=opt_from_micros(row[8]),
        replies=row[9],
    )


def claim_day(prompt_id: str, local_date: date, now: int) -> Callable[[sqlite3.Connection], int]:
    def run(conn: sqlite3.Connection) -> int:
        conn.execute(
            "INSERT OR IGNORE INTO prompt_days (prompt_id, local_date, seq, created_at) "
            "VALUES (?, ?, (SELECT COALESCE(MAX(seq) + 1, 0) FROM prompt_days "
            "WHERE prompt_id = ?), ?)",
            (prompt_id, local_date.isoformat(), prompt_id, now),
        )
        row = conn.execute(
            "SELECT seq FROM prompt_days WHERE prompt_id = ? AND local_date = ?",
            (prompt_id, local_date.isoformat()),
        ).fetchone()
        return int(row[0])

    return run


def claim_post(
    prompt_id: str,
    local_date: date,
    channel: ChannelRef,
    question_index: int,
    due_at: int,
    at: int,
) -> Callable[[sqlite3.Connection], bool]:
    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO prompt_posts (prompt_id, local_date, platform, channel_id, "
            "question_index, due_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                prompt_id,
                local_date.isoformat(),
                channel.platform,
                channel.id,
                question_index,
                due_at,
                at,
            ),
        )
        return cursor.rowcount == 1

    return run


def record_post(
    prompt_id: str, local_date: date, message: MessageRef, at: int
) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE prompt_posts SET message_id = ?, posted_at = ? WHERE prompt_id = ? "
            "AND local_date = ? AND platform = ? AND channel_id = ?",
            (
                message.id,
                at,
                prompt_id,
                local_date.isoformat(),
                message.channel.platform,
                message.channel.id,
            ),
        )

    return run


def record_reply(
    post: PromptPost, reply_id: str, user: UserRef, at: int
) -> Callable[[sqlite3.Connection], bool]:
    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO prompt_replies (platform, reply_id, prompt_id, local_date, "
            "post_platform, post_channel_id, voter_key, replied_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user.platform,
                reply_id,
                post.prompt_id,
                post.local_date.isoformat(),
                post.channel.platform,
                post.channel.id,
                user.key,
                at,
            ),
        )
        return cursor.rowcount == 1

    return run


SET_COLUMNS = "prompt_id, first_seen_at, schedule, schedule_since"
# What migration 0005 records for sets that posted before it (same columns).
SETS_BEFORE_0005 = (
    "SELECT prompt_id, MIN(created_at), '', MIN(created_at) FROM prompt_days GROUP BY prompt_id"
)


def set_from_row(row: Sequence[Any]) -> PromptSetSeen:
    return PromptSetSeen(
        prompt_id=row[0],
        first_seen_at=from_micros(row[1]),
        schedule=row[2],
        schedule_since=from_micros(row[3]),
    )


def see_sets(
    schedules: Mapping[str, str], at: int
) -> Callable[[sqlite3.Connection], dict[str, PromptSetSeen]]:
    def run(conn: sqlite3.Connection) -> dict[str, PromptSetSeen]:
        for prompt_id, schedule in schedules.items():
            conn.execute(
                "INSERT INTO prompt_sets (prompt_id, first_seen_at, schedule, schedule_since) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (prompt_id) DO UPDATE SET "
                "schedule_since = CASE WHEN schedule = '' THEN schedule_since "
                "ELSE excluded.schedule_since END, schedule = excluded.schedule "
                "WHERE schedule <> excluded.schedule",
                (prompt_id, at, schedule, at),
            )
        rows = conn.execute(f"SELECT {SET_COLUMNS} FROM prompt_sets").fetchall()
        return {row[0]: set_from_row(row) for row in rows}

    return run
