"""Edit leases on PostgreSQL (migration 0006): every wanted message of one process in one
statement and one round trip, run every few seconds by each process."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import EditLease
from bot.storage.codec import from_micros

# $1-$4 the wanted messages and their polls, $5 the holder, $6 until, $7 now, $8 holders
# known to be gone. The final SELECT reads the statement's snapshot, so a lease this
# statement took shows the old holder there: the taken ones are answered from `taken`.
TAKE = """
WITH wanted AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
        AS w (platform, channel_id, message_id, poll_id)
), taken AS (
    INSERT INTO edit_leases AS l (platform, channel_id, message_id, poll_id, holder, expires_at)
    SELECT platform, channel_id, message_id, poll_id, $5, $6 FROM wanted
    ON CONFLICT (platform, channel_id, message_id) DO UPDATE
        SET poll_id = EXCLUDED.poll_id, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE l.holder = EXCLUDED.holder OR l.expires_at <= $7 OR l.holder = ANY($8::text[])
    RETURNING platform, channel_id, message_id
)
SELECT w.platform, w.channel_id, w.message_id, w.poll_id,
       CASE WHEN t.message_id IS NULL THEN COALESCE(l.holder, '') ELSE $5 END,
       CASE WHEN t.message_id IS NULL THEN COALESCE(l.expires_at, $7) ELSE $6 END
FROM wanted AS w
LEFT JOIN taken AS t USING (platform, channel_id, message_id)
LEFT JOIN edit_leases AS l USING (platform, channel_id, message_id)
"""

RELEASE_ALL = "DELETE FROM edit_leases WHERE holder = $1"

RELEASE = """
DELETE FROM edit_leases AS l USING unnest($2::text[], $3::text[], $4::text[])
    AS m (platform, channel_id, message_id)
WHERE l.holder = $1 AND l.platform = m.platform AND l.channel_id = m.channel_id
    AND l.message_id = m.message_id
"""


def take_args(
    wanted: Mapping[MessageRef, str], holder: str, until: int, now: int, gone: Collection[str]
) -> tuple[Any, ...]:
    # One order in every process: two processes taking the same rows wait, not deadlock.
    messages = sorted(wanted, key=lambda m: (m.channel.platform, m.channel.id, m.id))
    return (
        *message_columns(messages),
        [wanted[m] for m in messages],
        holder,
        until,
        now,
        list(gone),
    )


def message_columns(messages: Collection[MessageRef]) -> tuple[list[str], list[str], list[str]]:
    return (
        [m.channel.platform for m in messages],
        [m.channel.id for m in messages],
        [m.id for m in messages],
    )


def lease_from_row(row: Any) -> EditLease:
    message = MessageRef(ChannelRef(row[0], row[1]), row[2])
    return EditLease(message, row[3], row[4], from_micros(row[5]))
