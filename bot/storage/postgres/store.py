"""PostgreSQL implementation of the Store protocol, on asyncpg with a bounded pool.

asyncpg over psycopg 3 with pipelining: on the same 100-vote batches it took 2.4-2.8 ms a
batch against 3.0-3.2 ms (its binary protocol outweighs the round trips pipelining saves).

Votes go through the VoteBatcher (group commit, see votes.py). Every other write is one
short transaction whose compare-and-set (UPDATE ... WHERE state = ..., INSERT ... ON
CONFLICT DO NOTHING) makes it happen once, however many processes try at the same time."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import asyncpg

from bot.core.refs import ChannelRef, MessageRef, UserRef
from bot.errors import DatabaseUnreachable, StorageError
from bot.storage.ballot_rules import plan_batch
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
from bot.storage.postgres import leases
from bot.storage.postgres.migrate import (
    apply_migrations,
    check_recorded_names,
    current_version,
    load_migrations,
)
from bot.storage.postgres.votes import (
    KnownVoters,
    Row,
    VoteBatcher,
    VoteStats,
    apply_args,
    columns,
)
from bot.storage.sqlite.post_ops import KEY_BYTES
from bot.storage.sqlite.post_ops import POST_COLUMNS as CLAIM_COLUMNS
from bot.storage.sqlite.post_ops import post_from_row as claim_from_row
from bot.storage.sqlite.prompt_ops import POST_COLUMNS as PROMPT_POST_COLUMNS
from bot.storage.sqlite.prompt_ops import SET_COLUMNS, set_from_row
from bot.storage.sqlite.prompt_ops import post_from_row as prompt_post_from_row
from bot.storage.sqlite.round_ops import ROUND_COLUMNS, round_from_row
from bot.storage.sqlite.writer import WriterStats
from bot.storage.urls import PostgresUrl

log = logging.getLogger(__name__)
T = TypeVar("T")
Conn = Any  # asyncpg.Connection (asyncpg ships no type information)

# Errors that mean "the database went away": the connection, not the statement.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    # asyncpg's own state machine, tripped by a connection that died mid-operation.
    asyncpg.InternalClientError,
)
_RETRY = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
CONNECT_TIMEOUT = 10.0
# A batch whose expectations failed this many times in a row (other processes keep
# changing the same voters) is decided under its locks: slower, but it always finishes.
OPTIMISTIC_ATTEMPTS = 2


class _RefusedBatch(StorageError):
    """PostgreSQL refused a batch's statement for its data (not the connection)."""


_TALLY = """
SELECT 'o', option_id, platform, votes FROM option_counts WHERE poll_id = $1 AND votes > 0
UNION ALL
SELECT 'v', NULL, platform, voters FROM voter_counts WHERE poll_id = $1 AND voters > 0
"""

_TALLIES = """
SELECT poll_id, 'o', option_id, platform, votes FROM option_counts
WHERE poll_id = ANY($1::text[]) AND votes > 0
UNION ALL
SELECT poll_id, 'v', NULL, platform, voters FROM voter_counts
WHERE poll_id = ANY($1::text[]) AND voters > 0
"""

_RECOUNT = """
SELECT 'o', j.value, b.platform, COUNT(*)
FROM ballots AS b, json_array_elements_text(b.options::json) AS j (value)
WHERE b.poll_id = $1 GROUP BY j.value, b.platform
UNION ALL
SELECT 'v', NULL, platform, COUNT(*) FROM ballots WHERE poll_id = $1 GROUP BY platform
"""

_WHERE_POST = "kind = $1 AND subject = $2 AND platform = $3 AND channel_id = $4"


class PostgresStore:
    """Store on one PostgreSQL database. Create, `await open()`, use, `await close()`."""

    shared = True  # several bot processes may run on one database

    def __init__(
        self,
        url: PostgresUrl,
        *,
        max_batch: int = 256,
        clock: Callable[[], datetime] | None = None,
        read_only: bool = False,
    ) -> None:
        self.url = url
        self.read_only = read_only
        self._clock = clock
        self._pool: Any = None
        self._votes = VoteBatcher(self._run_vote_batch, max_batch=max_batch)
        self._known = KnownVoters()
        self.vote_stats = VoteStats()
        # The vote batcher's own connection, outside the pool: a pool connection is reset
        # (one more round trip) every time it is given back.
        self._vote_conn: Conn = None
        self.schema_version = 0
        self._empty = False  # read-only, and engagebot never created its tables here
        self._failures = 0  # connection failures in a row
        self._retry_at = 0.0  # _seconds() before which we do not try again

    @property
    def writer_stats(self) -> WriterStats:
        """Vote batches and commits so far (the same figures as the SQLite writer's)."""
        return self._votes.stats

    def _now(self) -> int:
        if self._clock is not None:
            return to_micros(self._clock())
        return time.time_ns() // 1000

    # -- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            pool = await asyncpg.create_pool(
                self.url.dsn,
                min_size=1,
                # One connection of the budget is the vote batcher's (opened at the first vote).
                max_size=max(1, self.url.pool - 1),
                timeout=CONNECT_TIMEOUT,
                server_settings=self._settings(),
            )
        except (
            asyncpg.InvalidCatalogNameError,
            asyncpg.InvalidAuthorizationSpecificationError,
            asyncpg.InvalidPasswordError,
        ) as exc:
            raise DatabaseUnreachable(
                f"PostgreSQL at {self.url.host}:{self.url.port} refused the connection to "
                f"database '{self.url.database}': {_reason(exc)}"
            ) from None
        except (*CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
            raise DatabaseUnreachable(
                f"cannot reach PostgreSQL at {self.url.host}:{self.url.port}: {_reason(exc)}"
            ) from None
        try:
            async with pool.acquire() as conn:
                if self.read_only:
                    self.schema_version = await self._check_schema(conn)
                else:
                    self.schema_version = await apply_migrations(
                        conn, database=f"postgresql://{self.url.where}"
                    )
        except BaseException:
            await pool.close()
            raise
        self._pool = pool
        self._votes.start()

    def _settings(self) -> dict[str, str]:
        settings = {"application_name": "engagebot"}
        if self.read_only:
            settings["default_transaction_read_only"] = "on"
        return settings

    async def _check_schema(self, conn: Conn) -> int:
        """For a read-only store nothing is migrated: a database the bot never used reads
        as an empty one, and an older schema is read as it is (said in one line)."""
        version = await current_version(conn)
        await check_recorded_names(conn, f"postgresql://{self.url.where}")
        latest = load_migrations()[-1].version
        if version > latest:
            raise StorageError(
                f"the database schema is version {version} but this engagebot knows only up "
                f"to {latest}: upgrade engagebot or use another database"
            )
        if version == 0:
            self._empty = True
        elif version < latest:
            log.warning(
                "the database postgresql://%s has schema version %d, this engagebot's is %d: "
                "read as it is (the bot upgrades it when it next starts)",
                self.url.where,
                version,
                latest,
            )
        return version

    async def close(self) -> None:
        try:
            await self._votes.close()
        finally:
            pool, self._pool = self._pool, None
            await self._drop_vote_connection(clean=True)
            if pool is not None:
                await pool.close()

    # -- plumbing ----------------------------------------------------------------------

    def _require_pool(self) -> Any:
        if self._pool is None:
            raise StorageError("the store is not open")
        return self._pool

    def _seconds(self) -> float:
        """The reconnect back-off's time: the app's clock when the store has it."""
        return self._clock().timestamp() if self._clock is not None else time.monotonic()

    def _check_backoff(self) -> None:
        """While PostgreSQL is away, fail at once instead of every caller waiting for a
        connection attempt; try again after a back-off that doubles up to 5 s."""
        if self._failures >= 2 and self._seconds() < self._retry_at:
            raise StorageError(
                f"PostgreSQL at {self.url.host}:{self.url.port} is not answering; "
                "reconnecting in a moment"
            )

    async def _connection_lost(self, exc: BaseException) -> StorageError:
        # One dead connection means the server went away (restart, failover, terminated
        # backends): the pool's idle ones are dead too. Replace them all at their next
        # use, or every one of them would refuse a click before the pool recovers.
        if self._pool is not None:
            await self._pool.expire_connections()
        self._failures += 1
        if self._failures == 1:
            log.warning(
                "lost the connection to PostgreSQL at %s:%d (%s): reconnecting",
                self.url.host,
                self.url.port,
                _reason(exc),
            )
        if self._failures >= 2:
            self._retry_at = self._seconds() + min(5.0, 0.1 * 2 ** (self._failures - 2))
        return _lost(exc)

    def _connection_ok(self) -> None:
        if self._failures:
            log.warning("PostgreSQL at %s:%d answers again", self.url.host, self.url.port)
            self._failures = 0

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        pool = self._require_pool()
        if self._empty:
            return []
        self._check_backoff()
        try:
            rows = list(await pool.fetch(sql, *args))
        except CONNECTION_ERRORS as exc:
            raise await self._connection_lost(exc) from exc
        except asyncpg.PostgresError as exc:
            raise StorageError(f"database read failed: {exc}") from exc
        self._connection_ok()
        return rows

    async def _write(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """work(conn) in one transaction; retried when PostgreSQL picks it as a deadlock
        or serialization victim (work only reads its inputs from the database)."""
        if self.read_only:
            raise StorageError("this command only reads; the database was opened read-only")
        pool = self._require_pool()
        self._check_backoff()
        for attempt in range(5):
            try:
                async with pool.acquire() as conn, conn.transaction():
                    result = await work(conn)
                self._connection_ok()
                return result
            except _RETRY as exc:
                if attempt == 4:
                    raise StorageError("the database kept refusing the write (contention)") from exc
                await asyncio.sleep(0.005 * 2**attempt)
            except CONNECTION_ERRORS as exc:
                # Not retried: the COMMIT may have landed, and nobody may hear "counted"
                # for a vote we cannot vouch for. The caller says "please try again".
                raise await self._connection_lost(exc) from exc
            except asyncpg.PostgresError as exc:
                raise StorageError(f"database write failed: {exc}") from exc
        raise AssertionError("unreachable")

    async def _vote_connection(self) -> Conn:
        conn = self._vote_conn
        if conn is not None and not conn.is_closed():
            return conn
        self._check_backoff()
        try:
            conn = await asyncpg.connect(
                self.url.dsn, timeout=CONNECT_TIMEOUT, server_settings=self._settings()
            )
        except (*CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
            raise await self._connection_lost(exc) from exc
        self._vote_conn = conn
        return conn

    async def _drop_vote_connection(self, clean: bool = False) -> None:
        conn, self._vote_conn = self._vote_conn, None
        if conn is None or conn.is_closed():
            return
        if clean:
            try:
                await conn.close(timeout=CONNECT_TIMEOUT)
                return
            except (*CONNECTION_ERRORS, asyncpg.PostgresError):
                pass
        conn.terminate()

    async def _run_vote_batch(self, requests: list[tuple[BallotRequest, int]]) -> list[Any]:
        """One batch; if PostgreSQL refuses its statement for what one vote holds, each
        vote is tried alone, so only that one fails (as the SQLite writer does)."""
        try:
            return await self._vote_batch(requests)
        except _RefusedBatch:
            if len(requests) == 1:
                raise
        self.vote_stats.split += 1
        outcomes: list[Any] = []
        for one in requests:
            try:
                outcomes += await self._vote_batch([one])
            except StorageError as exc:
                outcomes.append((False, exc))
        return outcomes

    async def _vote_batch(self, requests: list[tuple[BallotRequest, int]]) -> list[Any]:
        """Decide the batch against what we expect is stored and send it in one statement
        (see votes.py); decide again on what was stored when that was not it."""
        if self.read_only:
            raise StorageError("this command only reads; the database was opened read-only")
        conn = await self._vote_connection()
        keys = (
            [r.delivery_id for r, _ in requests],
            [r.poll_id for r, _ in requests],
            [r.voter.key for r, _ in requests],
        )
        rows: list[Row] = self._known.expected(requests)
        stats = self.vote_stats
        mismatches = deadlocks = 0
        while True:
            try:
                if mismatches < OPTIMISTIC_ATTEMPTS:
                    plan = plan_batch(requests, rows, self._now)
                    stats.statements += 1
                    found = await conn.fetch(
                        _CAST_BATCH, *keys, *columns(rows, 7), *apply_args(plan)
                    )
                else:
                    stats.locked += 1
                    async with conn.transaction():
                        rows = _rows(await conn.fetch(_CAST_LOOKUP, *keys))
                        plan = plan_batch(requests, rows, self._now)
                        stats.statements += 1
                        found = await conn.fetch(
                            _CAST_BATCH, *keys, *columns(rows, 7), *apply_args(plan)
                        )
                        if found:  # cannot happen: the locks were held since the lookup
                            raise StorageError("a vote batch changed under its own locks")
            except _RETRY as exc:
                deadlocks += 1
                if deadlocks == 5:
                    raise StorageError("the database kept refusing the write (contention)") from exc
                await asyncio.sleep(0.005 * 2**deadlocks)
                continue
            except CONNECTION_ERRORS as exc:
                # Not retried: the statement may have committed, and nobody may hear
                # "counted" for a vote we cannot vouch for. The caller says "try again".
                self._known.forget(requests)
                await self._drop_vote_connection()
                raise await self._connection_lost(exc) from exc
            except asyncpg.PostgresError as exc:
                raise _RefusedBatch(f"database write failed: {exc}") from exc
            self._connection_ok()
            if not found:
                self._known.remember(plan)
                return plan.outcomes
            stats.decided_again += 1
            mismatches += 1
            rows = _rows(found)

    # -- reads -------------------------------------------------------------------------

    async def get_poll(self, poll_id: str) -> PollRecord | None:
        rows = await self._fetch(f"SELECT {POLL_COLUMNS} FROM polls WHERE poll_id = $1", poll_id)
        return poll_from_row(rows[0]) if rows else None

    async def list_polls(self) -> list[PollRecord]:
        rows = await self._fetch(f"SELECT {POLL_COLUMNS} FROM polls ORDER BY poll_id")
        return [poll_from_row(row) for row in rows]

    async def poll_messages(self, poll_id: str) -> list[MessageRef]:
        rows = await self._fetch(
            "SELECT platform, channel_id, message_id FROM poll_messages WHERE poll_id = $1 "
            "ORDER BY platform, channel_id",
            poll_id,
        )
        return [MessageRef(ChannelRef(row[0], row[1]), row[2]) for row in rows]

    async def get_ballot(self, poll_id: str, voter: UserRef) -> Ballot | None:
        rows = await self._fetch(
            f"SELECT {BALLOT_COLUMNS} FROM ballots WHERE poll_id = $1 AND voter_key = $2",
            poll_id,
            voter.key,
        )
        return ballot_from_row(rows[0]) if rows else None

    async def ballots(self, poll_id: str) -> list[Ballot]:
        rows = await self._fetch(
            f"SELECT {BALLOT_COLUMNS} FROM ballots WHERE poll_id = $1 "
            'ORDER BY recorded_at, voter_key COLLATE "C"',
            poll_id,
        )
        return [ballot_from_row(row) for row in rows]

    async def tally(self, poll_id: str) -> Tally:
        return tally_from_rows(poll_id, await self._fetch(_TALLY, poll_id))

    async def tallies(self, poll_ids: Collection[str]) -> dict[str, Tally]:
        rows = await self._fetch(_TALLIES, list(poll_ids))
        return {
            poll_id: tally_from_rows(poll_id, [row[1:] for row in rows if row[0] == poll_id])
            for poll_id in poll_ids
        }

    async def recount(self, poll_id: str) -> Tally:
        """The tally counted from the ballot rows (checks and audits)."""
        return tally_from_rows(poll_id, await self._fetch(_RECOUNT, poll_id))

    # -- poll lifecycle ----------------------------------------------------------------

    async def ensure_polls(self, poll_ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(poll_ids))
        if not ids:
            return
        now = self._now()

        async def run(conn: Conn) -> None:
            await conn.execute(
                "INSERT INTO polls (poll_id, state, updated_at) "
                "SELECT p, 'scheduled', $2 FROM unnest($1::text[]) AS p "
                "ON CONFLICT (poll_id) DO NOTHING",
                ids,
                now,
            )

        await self._write(run)

    async def _changed(self, sql: str, *args: Any) -> bool:
        async def run(conn: Conn) -> bool:
            return _count(await conn.execute(sql, *args)) == 1

        return await self._write(run)

    async def _changed_any(self, sql: str, *args: Any) -> None:
        async def run(conn: Conn) -> None:
            await conn.execute(sql, *args)

        await self._write(run)

    async def open_poll(
        self, poll_id: str, at: datetime, closes_at: datetime | None, by: str
    ) -> bool:
        return await self._changed(
            "UPDATE polls SET state = 'open', opened_at = $1, closes_at = $2, opened_by = $3, "
            "updated_at = $4 WHERE poll_id = $5 AND state = 'scheduled'",
            to_micros(at),
            opt_to_micros(closes_at),
            by,
            self._now(),
            poll_id,
        )

    async def set_closes_at(self, poll_id: str, closes_at: datetime | None) -> bool:
        return await self._changed(
            "UPDATE polls SET closes_at = $1, updated_at = $2 WHERE poll_id = $3 "
            "AND state = 'open'",
            opt_to_micros(closes_at),
            self._now(),
            poll_id,
        )

    async def close_poll(self, poll_id: str, at: datetime, by: str) -> bool:
        return await self._changed(
            "UPDATE polls SET state = 'closed', closed_at = $1, closed_by = $2, updated_at = $3 "
            "WHERE poll_id = $4 AND state IN ('scheduled', 'open')",
            to_micros(at),
            by,
            self._now(),
            poll_id,
        )

    async def mark_announced(self, poll_id: str, at: datetime) -> bool:
        return await self._changed(
            "UPDATE polls SET announced_at = $1, updated_at = $2 "
            "WHERE poll_id = $3 AND announced_at IS NULL",
            to_micros(at),
            self._now(),
            poll_id,
        )

    async def record_message(self, poll_id: str, message: MessageRef, at: datetime) -> None:
        await self._changed(_RECORD_MESSAGE, poll_id, *_where(message), to_micros(at))

    async def prune_deliveries(self, before: datetime) -> int:
        async def run(conn: Conn) -> int:
            return _count(
                await conn.execute(
                    "DELETE FROM deliveries WHERE recorded_at < $1", to_micros(before)
                )
            )

        return await self._write(run)

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
        where = (kind.value, subject, channel.platform, channel.id)
        now, until = to_micros(at), to_micros(hold_until)

        async def run(conn: Conn) -> PostClaim | None:
            created = _count(
                await conn.execute(
                    "INSERT INTO posts (kind, subject, platform, channel_id, claim_key, "
                    "claimed_at, not_before, holder) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                    "ON CONFLICT (kind, subject, platform, channel_id) DO NOTHING",
                    *where,
                    secrets.token_hex(KEY_BYTES),
                    now,
                    until,
                    holder or None,
                )
            )
            if not created:
                taken = _count(
                    await conn.execute(
                        f"UPDATE posts SET not_before = $5, holder = $7 WHERE {_WHERE_POST} "
                        "AND message_id IS NULL AND (not_before <= $6 OR holder = $8)",
                        *where,
                        until,
                        now,
                        holder or None,
                        steal_from,
                    )
                )
                if not taken:
                    return None
            row = await conn.fetchrow(
                f"SELECT {CLAIM_COLUMNS} FROM posts WHERE {_WHERE_POST}", *where
            )
            claim = claim_from_row(row)
            return claim if created else claim.taken_over()

        return await self._write(run)

    async def get_post(self, kind: PostKind, subject: str, channel: ChannelRef) -> PostClaim | None:
        rows = await self._fetch(
            f"SELECT {CLAIM_COLUMNS} FROM posts WHERE {_WHERE_POST}",
            kind.value,
            subject,
            channel.platform,
            channel.id,
        )
        return claim_from_row(rows[0]) if rows else None

    async def confirm_post(self, claim: PostClaim, message: MessageRef, at: datetime) -> None:
        micros = to_micros(at)

        async def run(conn: Conn) -> None:
            await conn.execute(
                "UPDATE posts SET message_id = $1, posted_at = $2, last_error = NULL, "
                "holder = NULL WHERE claim_key = $3",
                message.id,
                micros,
                claim.key,
            )
            if claim.kind is PostKind.POLL:
                await conn.execute(_RECORD_MESSAGE, claim.subject, *_where(message), micros)
            elif claim.kind is PostKind.PROMPT:
                prompt_id, _, local_date = claim.subject.rpartition("@")
                await conn.execute(
                    _RECORD_PROMPT_POST,
                    message.id,
                    micros,
                    prompt_id,
                    local_date,
                    message.channel.platform,
                    message.channel.id,
                )

        await self._write(run)

    async def post_sending(self, claim: PostClaim, at: datetime) -> None:
        await self._changed(
            "UPDATE posts SET last_sent_at = $1 WHERE claim_key = $2", to_micros(at), claim.key
        )

    async def post_failed(self, claim: PostClaim, error: str, retry_at: datetime) -> None:
        await self._changed(
            "UPDATE posts SET attempts = attempts + 1, last_error = $1, not_before = $2, "
            "holder = NULL WHERE claim_key = $3 AND message_id IS NULL",
            error[:500],
            to_micros(retry_at),
            claim.key,
        )

    async def unconfirmed_posts(self) -> list[PostClaim]:
        rows = await self._fetch(
            f"SELECT {CLAIM_COLUMNS} FROM posts WHERE message_id IS NULL "
            'ORDER BY not_before, kind, subject COLLATE "C"'
        )
        return [claim_from_row(row) for row in rows]

    # -- votes -------------------------------------------------------------------------

    async def cast(self, request: BallotRequest) -> CastResult:
        if self.read_only:
            raise StorageError("this command only reads; the database was opened read-only")
        self._require_pool()
        return await self._votes.submit(request, to_micros(request.occurred_at))

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
        args = leases.take_args(wanted, holder, to_micros(until), to_micros(at), steal_from)

        async def run(conn: Conn) -> list[EditLease]:
            return [leases.lease_from_row(row) for row in await conn.fetch(leases.TAKE, *args)]

        return await self._write(run)

    async def release_edit_leases(
        self, holder: str, messages: Collection[MessageRef] | None = None
    ) -> None:
        if messages is None:
            await self._changed_any(leases.RELEASE_ALL, holder)
        elif messages:
            await self._changed_any(leases.RELEASE, holder, *leases.message_columns(messages))

    # -- daily prompts -----------------------------------------------------------------

    async def claim_prompt_day(self, prompt_id: str, local_date: date) -> int:
        now = self._now()

        async def run(conn: Conn) -> int:
            # One prompt's days are numbered one at a time across processes.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))", prompt_id)
            await conn.execute(
                "INSERT INTO prompt_days (prompt_id, local_date, seq, created_at) "
                "VALUES ($1, $2, (SELECT COALESCE(MAX(seq) + 1, 0) FROM prompt_days "
                "WHERE prompt_id = $1), $3) ON CONFLICT (prompt_id, local_date) DO NOTHING",
                prompt_id,
                local_date.isoformat(),
                now,
            )
            seq = await conn.fetchval(
                "SELECT seq FROM prompt_days WHERE prompt_id = $1 AND local_date = $2",
                prompt_id,
                local_date.isoformat(),
            )
            return int(seq)

        return await self._write(run)

    async def last_prompt_seq(self, prompt_id: str) -> int | None:
        rows = await self._fetch("SELECT MAX(seq) FROM prompt_days WHERE prompt_id = $1", prompt_id)
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    async def claim_prompt_post(
        self,
        prompt_id: str,
        local_date: date,
        channel: ChannelRef,
        question_index: int,
        due_at: datetime,
        at: datetime,
    ) -> bool:
        return await self._changed(
            "INSERT INTO prompt_posts (prompt_id, local_date, platform, channel_id, "
            "question_index, due_at, claimed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT DO NOTHING",
            prompt_id,
            local_date.isoformat(),
            channel.platform,
            channel.id,
            question_index,
            to_micros(due_at),
            to_micros(at),
        )

    async def record_prompt_post(
        self, prompt_id: str, local_date: date, message: MessageRef, at: datetime
    ) -> None:
        await self._changed(
            _RECORD_PROMPT_POST,
            message.id,
            to_micros(at),
            prompt_id,
            local_date.isoformat(),
            message.channel.platform,
            message.channel.id,
        )

    async def find_prompt_post(self, message: MessageRef) -> PromptPost | None:
        rows = await self._fetch(
            f"SELECT {PROMPT_POST_COLUMNS} FROM prompt_posts AS p "
            "WHERE p.platform = $1 AND p.channel_id = $2 AND p.message_id = $3",
            message.channel.platform,
            message.channel.id,
            message.id,
        )
        return prompt_post_from_row(rows[0]) if rows else None

    async def record_prompt_reply(
        self, post: PromptPost, reply_id: str, user: UserRef, at: datetime
    ) -> bool:
        return await self._changed(
            "INSERT INTO prompt_replies (platform, reply_id, prompt_id, local_date, "
            "post_platform, post_channel_id, voter_key, replied_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            user.platform,
            reply_id,
            post.prompt_id,
            post.local_date.isoformat(),
            post.channel.platform,
            post.channel.id,
            user.key,
            to_micros(at),
        )

    async def see_prompt_sets(
        self, schedules: Mapping[str, str], at: datetime
    ) -> dict[str, PromptSetSeen]:
        micros = to_micros(at)

        async def run(conn: Conn) -> dict[str, PromptSetSeen]:
            for prompt_id, schedule in schedules.items():
                await conn.execute(
                    "INSERT INTO prompt_sets AS s (prompt_id, first_seen_at, schedule, "
                    "schedule_since) VALUES ($1, $2, $3, $2) ON CONFLICT (prompt_id) DO UPDATE "
                    "SET schedule_since = CASE WHEN s.schedule = '' THEN s.schedule_since "
                    "ELSE EXCLUDED.schedule_since END, schedule = EXCLUDED.schedule "
                    "WHERE s.schedule <> EXCLUDED.schedule",
                    prompt_id,
                    micros,
                    schedule,
                )
            rows = await conn.fetch(f"SELECT {SET_COLUMNS} FROM prompt_sets")
            return {row[0]: set_from_row(row) for row in rows}

        return await self._write(run)

    async def prompt_sets(self) -> dict[str, PromptSetSeen]:
        rows = await self._fetch(f"SELECT {SET_COLUMNS} FROM prompt_sets")
        return {row[0]: set_from_row(row) for row in rows}

    async def prompt_posts(
        self, prompt_id: str | None = None, since: datetime | None = None
    ) -> list[PromptPost]:
        rows = await self._fetch(
            f"SELECT {PROMPT_POST_COLUMNS} FROM prompt_posts AS p "
            "WHERE ($1::text IS NULL OR p.prompt_id = $1) "
            "AND ($2::bigint IS NULL OR p.due_at >= $2) "
            'ORDER BY p.due_at, p.prompt_id COLLATE "C", p.platform COLLATE "C", '
            'p.channel_id COLLATE "C"',
            prompt_id,
            opt_to_micros(since),
        )
        return [prompt_post_from_row(row) for row in rows]

    # -- run-off rounds, secrets, reports ---------------------------------------------

    async def create_round(
        self, round_: PollRound, opened_at: datetime, closes_at: datetime | None
    ) -> bool:
        now = self._now()

        async def run(conn: Conn) -> bool:
            created = _count(
                await conn.execute(
                    f"INSERT INTO poll_rounds ({ROUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5) "
                    "ON CONFLICT DO NOTHING",
                    round_.poll_id,
                    round_.runoff_of,
                    round_.reason,
                    round_.definition,
                    now,
                )
            )
            if not created:
                return False
            # A plain INSERT: an id already used by another poll fails the whole round.
            await conn.execute(
                "INSERT INTO polls (poll_id, state, opened_at, closes_at, opened_by, updated_at) "
                "VALUES ($1, 'open', $2, $3, 'runoff', $4)",
                round_.poll_id,
                to_micros(opened_at),
                opt_to_micros(closes_at),
                now,
            )
            return True

        return await self._write(run)

    async def poll_rounds(self) -> list[PollRound]:
        rows = await self._fetch(
            f'SELECT {ROUND_COLUMNS} FROM poll_rounds ORDER BY created_at, poll_id COLLATE "C"'
        )
        return [round_from_row(row) for row in rows]

    async def secret(self, name: str) -> bytes:
        rows = await self._fetch("SELECT value FROM secrets WHERE name = $1", name)
        if rows:
            return bytes(rows[0][0])
        if self.read_only:
            raise StorageError(
                f"the database has no {name} key yet, and this command only reads: "
                "start the bot once (it creates the key), then try again"
            )
        now = self._now()

        async def run(conn: Conn) -> bytes:
            await conn.execute(
                "INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (name) DO NOTHING",
                name,
                secrets.token_bytes(32),
                now,
            )
            return bytes(await conn.fetchval("SELECT value FROM secrets WHERE name = $1", name))

        return await self._write(run)

    async def ballots_since(self, since: datetime | None = None) -> list[Ballot]:
        rows = await self._fetch(
            f"SELECT {BALLOT_COLUMNS} FROM ballots WHERE ($1::bigint IS NULL OR cast_at >= $1) "
            'ORDER BY cast_at, poll_id COLLATE "C", voter_key COLLATE "C"',
            opt_to_micros(since),
        )
        return [ballot_from_row(row) for row in rows]

    async def prompt_replies(self, since: datetime | None = None) -> list[PromptReply]:
        rows = await self._fetch(
            "SELECT prompt_id, local_date, voter_key, replied_at FROM prompt_replies "
            "WHERE ($1::bigint IS NULL OR replied_at >= $1) "
            'ORDER BY replied_at, reply_id COLLATE "C"',
            opt_to_micros(since),
        )
        return [
            PromptReply(row[0], date.fromisoformat(row[1]), row[2], from_micros(row[3]))
            for row in rows
        ]


_CAST_LOOKUP = "SELECT * FROM engagebot_cast_lookup($1, $2, $3)"
_CAST_BATCH = "SELECT * FROM engagebot_cast_batch(" + ", ".join(f"${i}" for i in range(1, 36)) + ")"

_RECORD_MESSAGE = (
    "INSERT INTO poll_messages (poll_id, platform, channel_id, message_id, posted_at) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (poll_id, platform, channel_id) DO UPDATE SET "
    "message_id = excluded.message_id, posted_at = excluded.posted_at"
)

_RECORD_PROMPT_POST = (
    "UPDATE prompt_posts SET message_id = $1, posted_at = $2 WHERE prompt_id = $3 "
    "AND local_date = $4 AND platform = $5 AND channel_id = $6"
)


def _rows(records: list[Any]) -> list[Row]:
    """asyncpg records of engagebot_cast_lookup's shape -> plain tuples."""
    return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in records]


def _where(message: MessageRef) -> tuple[str, str, str]:
    return (message.channel.platform, message.channel.id, message.id)


def _count(status: str) -> int:
    """Rows an INSERT/UPDATE/DELETE touched, from its status ("UPDATE 1", "INSERT 0 1")."""
    return int(status.rsplit(" ", 1)[-1])


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _lost(exc: BaseException) -> StorageError:
    return StorageError(f"lost the connection to PostgreSQL: {_reason(exc)}")


def tally_from_rows(poll_id: str, rows: list[Any]) -> Tally:
    counts: dict[str, int] = {}
    votes_by_platform: dict[str, int] = {}
    voters_by_platform: dict[str, int] = {}
    for kind, option_id, platform, number in rows:
        number = int(number)
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
