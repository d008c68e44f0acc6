"""SQLite implementation of the Store protocol.

Writes: one group-commit writer (writer.py) on its own thread and connection, so votes,
poll transitions and messages are serialized and many share one fsync. Reads: aiosqlite
on a second, read-only connection; in WAL mode readers never block the writer and always
see the last committed state."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from bot.core.refs import ChannelRef, MessageRef, UserRef
from bot.errors import StorageError
from bot.storage.base import (
    Ballot,
    BallotRequest,
    CastResult,
    EditLease,
    PollRecord,
    PollRound,
    PostClaim,
    PostKind,
    PromptPost,
    PromptReply,
    PromptSetSeen,
    Tally,
)
from bot.storage.codec import (
    BALLOT_COLUMNS,
    POLL_COLUMNS,
    ballot_from_row,
    from_micros,
    opt_to_micros,
    poll_from_row,
    to_micros,
)
from bot.storage.sqlite import lease_ops, ops, post_ops, prompt_ops, round_ops, votes
from bot.storage.sqlite.checkpoint import Checkpointer
from bot.storage.sqlite.files import ReadOnlyWriter, open_reader, prepare_private
from bot.storage.sqlite.migrate import apply_migrations
from bot.storage.sqlite.writer import GroupCommitWriter, WriterStats

# 32,768 pages of 4 KiB: 128 MiB of WAL, twice the checkpointer's RESTART limit.
BACKSTOP_CHECKPOINT_PAGES = 32768

Synchronous = Literal["FULL", "NORMAL"]

# One statement, so both halves come from the same snapshot.
_TALLY = """
SELECT 'o', option_id, platform, votes FROM option_counts WHERE poll_id = :poll AND votes > 0
UNION ALL
SELECT 'v', NULL, platform, voters FROM voter_counts WHERE poll_id = :poll AND voters > 0
"""

# The tallies of several polls (:polls is a JSON array of their ids).
_TALLIES = """
SELECT poll_id, 'o', option_id, platform, votes FROM option_counts
WHERE poll_id IN (SELECT value FROM json_each(:polls)) AND votes > 0
UNION ALL
SELECT poll_id, 'v', NULL, platform, voters FROM voter_counts
WHERE poll_id IN (SELECT value FROM json_each(:polls)) AND voters > 0
"""

# The same figures counted from the ballots themselves.
_RECOUNT = """
SELECT 'o', j.value, b.platform, COUNT(*) FROM ballots AS b, json_each(b.options) AS j
WHERE b.poll_id = :poll GROUP BY j.value, b.platform
UNION ALL
SELECT 'v', NULL, platform, COUNT(*) FROM ballots WHERE poll_id = :poll GROUP BY platform
"""


class SqliteStore:
    """Store on one SQLite file. Create, `await open()`, use, `await close()`."""

    shared = False  # one bot process per file

    def __init__(
        self,
        path: Path | str,
        *,
        max_batch: int = 256,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = 5.0,
        clock: Callable[[], datetime] | None = None,
        read_only: bool = False,
    ) -> None:
        """read_only: for commands that only read. Nothing is created, migrated or
        written (no -wal/-shm either), and every write raises StorageError."""
        self.path = Path(path)
        self.synchronous: Synchronous = synchronous
        self.busy_timeout = busy_timeout
        self.read_only = read_only
        self._now = ops.datetime_clock(clock) if clock else ops.system_now
        self._checkpointer = Checkpointer(self.path)
        if read_only:
            self._writer: GroupCommitWriter = ReadOnlyWriter(self._connect_writer, max_batch)
        else:
            committed = self._checkpointer.committed
            self._writer = GroupCommitWriter(
                self._connect_writer, max_batch, committed, busy_timeout
            )
        self._reader: aiosqlite.Connection | None = None

    @property
    def checkpointer(self) -> Checkpointer:
        """Copies the WAL into the database file off the writer's path (checkpoint.py)."""
        return self._checkpointer

    @property
    def writer_stats(self) -> WriterStats:
        """Batches and commits so far: how much grouping the writer achieved."""
        return self._writer.stats

    # -- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        if self._reader is not None:
            return
        try:
            await self._writer.start()  # creates the file and migrates first
            if not self.read_only:
                self._checkpointer.start()
            self._reader = await open_reader(self.path, self.read_only, self.busy_timeout)
        except sqlite3.Error as exc:
            await asyncio.to_thread(self._checkpointer.stop)
            await self._writer.close()
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
        except BaseException:
            await asyncio.to_thread(self._checkpointer.stop)
            raise

    async def close(self) -> None:
        """Drain queued writes (each caller still gets its answer), then disconnect."""
        try:
            await asyncio.to_thread(self._checkpointer.stop)
            await self._writer.close()
        finally:
            reader, self._reader = self._reader, None
            if reader is not None:
                await reader.close()

    def _connect_writer(self) -> sqlite3.Connection:
        """Runs on the writer thread."""
        prepare_private(self.path)
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                timeout=self.busy_timeout,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{self.path}: SQLite refused WAL mode (got {mode!r})")
            # FULL: the WAL is fsynced at every commit, so an acknowledged vote survives
            # power loss too. Group commit pays that fsync once per batch.
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            # 32 MB instead of 2 MB: a big poll's ballot B-tree stays in memory, so random
            # voter keys cost no reads from the OS.
            conn.execute("PRAGMA cache_size = -32768")
            # Checkpoints run on their own thread (checkpoint.py), not inside our commits;
            # a WAL file grown by a burst is cut back to 16 MB when it starts over. Our own
            # checkpoint stays as a backstop far past where that thread restarts the WAL
            # (64 MB), so the WAL stays bounded even if the thread could not run.
            conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_CHECKPOINT_PAGES}")
            conn.execute("PRAGMA journal_size_limit = 16777216")
            apply_migrations(conn, database=str(self.path))
        except sqlite3.Error as exc:
            conn.close()
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    # -- reads -------------------------------------------------------------------------

    async def _fetch(self, sql: str, params: Any = ()) -> list[Any]:
        if self._reader is None:
            raise StorageError("the store is not open")
        try:
            return list(await self._reader.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StorageError(f"database read failed: {exc}") from exc

    async def get_poll(self, poll_id: str) -> PollRecord | None:
        rows = await self._fetch(f"SELECT {POLL_COLUMNS} FROM polls WHERE poll_id = ?", (poll_id,))
        return poll_from_row(rows[0]) if rows else None

    async def list_polls(self) -> list[PollRecord]:
        rows = await self._fetch(f"SELECT {POLL_COLUMNS} FROM polls ORDER BY poll_id")
        return [poll_from_row(row) for row in rows]

    async def poll_messages(self, poll_id: str) -> list[MessageRef]:
        rows = await self._fetch(
            "SELECT platform, channel_id, message_id FROM poll_messages WHERE poll_id = ? "
            "ORDER BY platform, channel_id",
            (poll_id,),
        )
        return [MessageRef(ChannelRef(row[0], row[1]), row[2]) for row in rows]

    async def get_ballot(self, poll_id: str, voter: UserRef) -> Ballot | None:
        rows = await self._fetch(
            f"SELECT {BALLOT_COLUMNS} FROM ballots WHERE poll_id = ? AND voter_key = ?",
            (poll_id, voter.key),
        )
        return ballot_from_row(rows[0]) if rows else None

    async def ballots(self, poll_id: str) -> list[Ballot]:
        rows = await self._fetch(
            f"SELECT {BALLOT_COLUMNS} FROM ballots WHERE poll_id = ? "
            "ORDER BY recorded_at, voter_key",
            (poll_id,),
        )
        return [ballot_from_row(row) for row in rows]

    async def tally(self, poll_id: str) -> Tally:
        """From the running totals the vote writer keeps: a few rows, whatever the turnout."""
        return _tally(poll_id, await self._fetch(_TALLY, {"poll": poll_id}))

    async def tallies(self, poll_ids: Collection[str]) -> dict[str, Tally]:
        rows = await self._fetch(_TALLIES, {"polls": json.dumps(list(poll_ids))})
        return {
            poll_id: _tally(poll_id, [row[1:] for row in rows if row[0] == poll_id])
            for poll_id in poll_ids
        }

    async def recount(self, poll_id: str) -> Tally:
        """The same tally counted from the ballot rows: O(ballots), for checks and audits.
        Always equal to tally(): the writer changes them in the ballots' transaction."""
        return _tally(poll_id, await self._fetch(_RECOUNT, {"poll": poll_id}))

    # -- writes ------------------------------------------------------------------------

    async def ensure_polls(self, poll_ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(poll_ids))
        if ids:
            await self._writer.submit(ops.ensure_polls(ids, self._now))

    async def open_poll(
        self, poll_id: str, at: datetime, closes_at: datetime | None, by: str
    ) -> bool:
        op = ops.open_poll(poll_id, to_micros(at), opt_to_micros(closes_at), by, self._now)
        return await self._writer.submit(op)

    async def set_closes_at(self, poll_id: str, closes_at: datetime | None) -> bool:
        op = ops.set_closes_at(poll_id, opt_to_micros(closes_at), self._now)
        return await self._writer.submit(op)

    async def close_poll(self, poll_id: str, at: datetime, by: str) -> bool:
        return await self._writer.submit(ops.close_poll(poll_id, to_micros(at), by, self._now))

    async def mark_announced(self, poll_id: str, at: datetime) -> bool:
        return await self._writer.submit(ops.mark_announced(poll_id, to_micros(at), self._now))

    async def record_message(self, poll_id: str, message: MessageRef, at: datetime) -> None:
        await self._writer.submit(ops.record_message(poll_id, message, to_micros(at)))

    async def prune_deliveries(self, before: datetime) -> int:
        return await self._writer.submit(ops.prune_deliveries(to_micros(before)))

    # -- the post ledger ---------------------------------------------------------------

    async def take_post(
        self,
        kind: PostKind,
        subject: str,
        channel: ChannelRef,
        at: datetime,
        hold_until: datetime,
        holder: str = "",
        steal_from: str | None = None,
    ) -> PostClaim | None:
        op = post_ops.take(
            kind, subject, channel, to_micros(at), to_micros(hold_until), holder or None, steal_from
        )
        return await self._writer.submit(op)

    async def get_post(self, kind: PostKind, subject: str, channel: ChannelRef) -> PostClaim | None:
        rows = await self._fetch(
            f"SELECT {post_ops.POST_COLUMNS} FROM posts WHERE kind = ? AND subject = ? "
            "AND platform = ? AND channel_id = ?",
            (kind.value, subject, channel.platform, channel.id),
        )
        return post_ops.post_from_row(rows[0]) if rows else None

    async def confirm_post(self, claim: PostClaim, message: MessageRef, at: datetime) -> None:
        await self._writer.submit(post_ops.confirm(claim, message, to_micros(at)))

    async def post_sending(self, claim: PostClaim, at: datetime) -> None:
        await self._writer.submit(post_ops.sending(claim.key, to_micros(at)))

    async def post_failed(self, claim: PostClaim, error: str, retry_at: datetime) -> None:
        await self._writer.submit(post_ops.failed(claim.key, error, to_micros(retry_at)))

    async def unconfirmed_posts(self) -> list[PostClaim]:
        rows = await self._fetch(
            f"SELECT {post_ops.POST_COLUMNS} FROM posts WHERE message_id IS NULL "
            "ORDER BY not_before, kind, subject"
        )
        return [post_ops.post_from_row(row) for row in rows]

    async def cast(self, request: BallotRequest) -> CastResult:
        return await self._writer.submit(
            votes.CastOp(request, to_micros(request.occurred_at), self._now)
        )

    # -- edit leases -------------------------------------------------------------------

    async def take_edit_leases(
        self,
        wanted: Mapping[MessageRef, str],
        holder: str,
        at: datetime,
        until: datetime,
        steal_from: Collection[str] = (),
    ) -> list[EditLease]:
        if not wanted:
            return []
        op = lease_ops.take(dict(wanted), holder, to_micros(at), to_micros(until), steal_from)
        return await self._writer.submit(op)

    async def release_edit_leases(
        self, holder: str, messages: Collection[MessageRef] | None = None
    ) -> None:
        await self._writer.submit(lease_ops.release(holder, messages))

    # -- daily prompts -----------------------------------------------------------------

    async def claim_prompt_day(self, prompt_id: str, local_date: date) -> int:
        return await self._writer.submit(prompt_ops.claim_day(prompt_id, local_date, self._now()))

    async def last_prompt_seq(self, prompt_id: str) -> int | None:
        rows = await self._fetch(
            "SELECT MAX(seq) FROM prompt_days WHERE prompt_id = ?", (prompt_id,)
        )
        return rows[0][0] if rows and rows[0][0] is not None else None

    async def claim_prompt_post(
        self,
        prompt_id: str,
        local_date: date,
        channel: ChannelRef,
        question_index: int,
        due_at: datetime,
        at: datetime,
    ) -> bool:
        op = prompt_ops.claim_post(
            prompt_id, local_date, channel, question_index, to_micros(due_at), to_micros(at)
        )
        return await self._writer.submit(op)

    async def record_prompt_post(
        self, prompt_id: str, local_date: date, message: MessageRef, at: datetime
    ) -> None:
        """Set a prompt post's message directly (imports and tests; the bot confirms
        posts through the ledger)."""
        op = prompt_ops.record_post(prompt_id, local_date, message, to_micros(at))
        await self._writer.submit(op)

    async def find_prompt_post(self, message: MessageRef) -> PromptPost | None:
        rows = await self._fetch(
            f"SELECT {prompt_ops.POST_COLUMNS} FROM prompt_posts AS p "
            "WHERE p.platform = ? AND p.channel_id = ? AND p.message_id = ?",
            (message.channel.platform, message.channel.id, message.id),
        )
        return prompt_ops.post_from_row(rows[0]) if rows else None

    async def record_prompt_reply(
        self, post: PromptPost, reply_id: str, user: UserRef, at: datetime
    ) -> bool:
        op = prompt_ops.record_reply(post, reply_id, user, to_micros(at))
        return await self._writer.submit(op)

    async def prompt_posts(
        self, prompt_id: str | None = None, since: datetime | None = None
    ) -> list[PromptPost]:
        rows = await self._fetch(
            f"SELECT {prompt_ops.POST_COLUMNS} FROM prompt_posts AS p "
            "WHERE (:prompt IS NULL OR p.prompt_id = :prompt) "
            "AND (:since IS NULL OR p.due_at >= :since) "
            "ORDER BY p.due_at, p.prompt_id, p.platform, p.channel_id",
            {"prompt": prompt_id, "since": opt_to_micros(since)},
        )
        return [prompt_ops.post_from_row(row) for row in rows]

    # -- run-off rounds, secrets, reports ---------------------------------------------

    async def see_prompt_sets(
        self, schedules: Mapping[str, str], at: datetime
    ) -> dict[str, PromptSetSeen]:
        return await self._writer.submit(prompt_ops.see_sets(dict(schedules), to_micros(at)))

    async def prompt_sets(self) -> dict[str, PromptSetSeen]:
        table = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'prompt_sets'"
        if await self._fetch(table):
            rows = await self._fetch(f"SELECT {prompt_ops.SET_COLUMNS} FROM prompt_sets")
        else:  # a read-only look at a schema older than 0005: as its migration will see it
            rows = await self._fetch(prompt_ops.SETS_BEFORE_0005)
        return {row[0]: prompt_ops.set_from_row(row) for row in rows}

    async def create_round(
        self, round_: PollRound, opened_at: datetime, closes_at: datetime | None
    ) -> bool:
        op = round_ops.create_round(
            round_, to_micros(opened_at), opt_to_micros(closes_at), self._now()
        )
        return await self._writer.submit(op)

    async def poll_rounds(self) -> list[PollRound]:
        rows = await self._fetch(
            f"SELECT {round_ops.ROUND_COLUMNS} FROM poll_rounds ORDER BY created_at, poll_id"
        )
        return [round_ops.round_from_row(row) for row in rows]

    async def secret(self, name: str) -> bytes:
        rows = await self._fetch("SELECT value FROM secrets WHERE name = ?", (name,))
        if rows:
            return bytes(rows[0][0])
        if self.read_only:
            raise StorageError(
                f"the database has no {name} key yet, and this command only reads: "
                "start the bot once (it creates the key), then try again"
            )
        return await self._writer.submit(round_ops.secret(name, 32, self._now()))

    async def ballots_since(self, since: datetime | None = None) -> list[Ballot]:
        rows = await self._fetch(
            f"SELECT {BALLOT_COLUMNS} FROM ballots WHERE (:since IS NULL OR cast_at >= :since) "
            "ORDER BY cast_at, poll_id, voter_key",
            {"since": opt_to_micros(since)},
        )
        return [ballot_from_row(row) for row in rows]

    async def prompt_replies(self, since: datetime | None = None) -> list[PromptReply]:
        rows = await self._fetch(
            "SELECT prompt_id, local_date, voter_key, replied_at FROM prompt_replies "
            "WHERE (:since IS NULL OR replied_at >= :since) ORDER BY replied_at, reply_id",
            {"since": opt_to_micros(since)},
        )
        return [
            PromptReply(row[0], date.fromisoformat(row[1]), row[2], from_micros(row[3]))
            for row in rows
        ]


def _tally(poll_id: str, rows: list[Any]) -> Tally:
    counts: dict[str, int] = {}
    votes_by_platform: dict[str, int] = {}
    voters_by_platform: dict[str, int] = {}
    for kind, option_id, platform, number in rows:
        if kind == "o":
            counts[option_id] = counts.get(option_id, 0) + number
            votes_by_platform[platform] = votes_by_platform.get(platform, 0) + number
        else:
            voters_by_platform[platform] = number
    return Tally(
        poll_id=poll_id,
        counts=counts,
        voters=sum(voters_by_platform.values()),
        votes_by_platform=votes_by_platform,
        voters_by_platform=voters_by_platform,
    )
