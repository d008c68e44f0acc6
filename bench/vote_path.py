"""Vote-path benchmark: throughput and latency of the path a click takes
(PollService.vote), of Store.cast() alone, of group commit against one commit per vote,
beside a raw-SQLite floor measured in the same run; and tally time as a poll grows.
After every run the running totals are checked against a recount from the ballots.
Prints figures, asserts nothing about speed.

    python bench/vote_path.py [--quick] [--seconds S] [--concurrency N]
                              [--database postgresql://user@host:5432/db [--processes 1,2,4]
                                                                         [--pg-delay-ms D]]

With --database, the same concurrent runs go to PostgreSQL too (beside SQLite), with N bot
processes sharing the database. Each run uses its own poll and deletes it afterwards.
--pg-delay-ms puts a proxy in front of PostgreSQL that delays every answer by D ms, as
a database on another machine would (the proxy runs in the bench's main process).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import SystemClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.core.events import ActionInvoked
from bot.core.refs import UserRef
from bot.heap import settle_after_start
from bot.polls.service import PollService
from bot.storage.base import Ballot, BallotRequest, Decide
from bot.storage.codec import to_micros
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite.store import SqliteStore, Synchronous
from bot.storage.urls import postgres_url
from tests.pg_proxy import round_trip_proxy

OPTIONS = ("linen-tote", "canvas-tote", "jute-tote")
POLL = "bench-poll"
# The poll the service path votes in: single choice, changes allowed, closes in a week
# (so every reply also says until when the vote can be changed, as a real one does).
CONFIG = """\
store: {{name: Bench Shop, timezone: Europe/Paris, currency: EUR}}
platforms: {{console: {{staff: [merchant]}}}}
channels: {{community: {{console: general}}}}
database: sqlite:///{database}
polls:
  - id: {poll}
    question: Which tote should we stock?
    channels: [community]
    duration: 7d
    allow_change: true
    options:
      - {{id: linen-tote, label: Linen tote, price: 19.00}}
      - {{id: canvas-tote, label: Canvas tote, price: 15.00}}
      - {{id: jute-tote, label: Jute tote, price: 12.00}}
"""


@dataclass
class VoteRun:
    label: str
    votes: int
    seconds: float
    latencies: list[float]
    batches: int
    recount: str = ""  # "exact", or what differs between running totals and recount
    cpu: float = 0.0  # CPU seconds the process spent (all its threads): steadier than
    # votes/s on a machine shared with other work

    def row(self) -> str:
        lat = sorted(self.latencies)
        p50 = lat[len(lat) // 2] * 1000 if lat else 0.0
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0
        rate = self.votes / self.seconds
        per_batch = self.votes / max(1, self.batches)
        cpu = self.cpu / max(1, self.votes) * 1e6
        return (
            f"{self.label:<38} {rate:>9,.0f} {p50:>8.2f} {p99:>8.2f} "
            f"{self.batches:>8,} {per_batch:>7.1f} {cpu:>7.1f}  {self.recount}"
        )


HEADER = (
    f"{'votes/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'commits':>8} {'/commit':>7} "
    f"{'CPU us':>7}  recount"
)


class Ids:
    """Snowflake-like ids: voters random (as in a real server), deliveries increasing.
    crowd: draw voters from that many customers (so they come back and change their
    vote); 0: every vote is a new customer."""

    def __init__(self, seed: int = 7, scope: str = "", crowd: int = 0) -> None:
        self.delivery = 1_300_000_000_000_000_000
        self.rng = random.Random(seed)
        self.scope = scope  # delivery ids are unique per database: one scope per run
        self.crowd = [str(self.rng.getrandbits(60)) for _ in range(crowd)]

    def next_delivery(self) -> str:
        self.delivery += self.rng.randrange(1, 4096)
        return f"discord:{self.scope}{self.delivery}"

    def voter(self) -> UserRef:
        user = self.rng.choice(self.crowd) if self.crowd else str(self.rng.getrandbits(60))
        return UserRef("discord", user, "bench")


def choose(option: str) -> Decide:
    def decide(current: Ballot | None) -> tuple[str, ...]:
        return (option,)

    return decide


@dataclass(frozen=True)
class Load:
    """Closed loop: `voters` tasks each casting back to back (throughput, latency under
    saturation). Open loop: `rate` clicks per second arriving on schedule whatever the
    store does (latency at a given traffic; measured from the scheduled arrival).
    service: through PollService.vote (what a click does, minus the platform) rather
    than Store.cast(). crowd: see Ids."""

    voters: int = 0
    rate: float = 0.0
    service: bool = False
    crowd: int = 0


class _Silent:
    """The responder of a benchmark click: the reply is measured, not sent."""

    async def reply_private(self, text: str) -> None:
        return None


Cast = Callable[[], Awaitable[object]]


async def _service_caster(
    store: SqliteStore | PostgresStore, scratch: Path, poll: str, ids: Ids, owner: bool
) -> Cast:
    """Each call is one click through PollService.vote, as the app's event handler makes it."""
    database = scratch / "unused.db"  # the service is handed the store under test
    (scratch / "bot.yaml").write_text(CONFIG.format(database=database, poll=poll))
    config = load_config(scratch, secrets_required=False)
    service = PollService(config, store, SystemClock())
    if owner:
        await service.sync_config()
        await service.open(poll, "bench")
        await service.apply_due()  # the scheduling pass that follows, as in the bot
    else:
        await service.load_rounds()
    actions = [encode_vote(poll, option) for option in OPTIONS]
    responder = _Silent()

    async def cast() -> object:
        event = ActionInvoked(
            ids.voter(),
            random.choice(actions),
            ids.next_delivery(),
            datetime.now(UTC),
            responder,
        )
        reply = await service.vote(event)
        if reply.outcome == "refused":
            raise RuntimeError(f"the benchmark vote was refused: {reply.text}")
        return reply

    return cast


async def run_votes(
    folder: Path | str,
    label: str,
    load: Load,
    seconds: float,
    max_batch: int,
    sync: Synchronous,
    poll: str = POLL,
    owner: bool = True,
    seed: int = 7,
) -> VoteRun:
    """folder: a SQLite scratch folder, or a PostgreSQL URL. owner: this process opens the
    poll (the others of a multi-process run only vote in it) and checks the totals."""
    store: SqliteStore | PostgresStore
    if isinstance(folder, str):
        store = PostgresStore(postgres_url(folder), max_batch=max_batch)
    else:
        path = folder / f"run-{len(list(folder.iterdir()))}.db"
        store = SqliteStore(path, max_batch=max_batch, synchronous=sync)
    await store.open()
    now = datetime.now(UTC)
    ids = Ids(seed, f"{poll}:{seed}:" if isinstance(folder, str) else "", load.crowd)
    cast: Cast
    scratch = tempfile.TemporaryDirectory(prefix="engagebot-bench-config-")
    if load.service:
        cast = await _service_caster(store, Path(scratch.name), poll, ids, owner)
    else:
        if owner:
            await store.ensure_polls([poll])
            await store.open_poll(poll, now, None, "bench")
        deciders = [choose(option) for option in OPTIONS]

        def cast() -> Awaitable[object]:
            request = BallotRequest(
                poll, ids.voter(), ids.next_delivery(), now, random.choice(deciders)
            )
            return store.cast(request)

    latencies: list[float] = []
    before = store.writer_stats.commits
    clock = time.perf_counter
    settle_after_start()  # as `engagebot run` does once it is up

    async def timed(since: float) -> None:
        await cast()
        latencies.append(clock() - since)

    async def voter(deadline: float) -> None:
        while clock() < deadline:
            await timed(clock())

    async def arrivals(deadline: float) -> None:
        pending: set[asyncio.Task[None]] = set()
        begin, sent = clock(), 0
        while (moment := clock()) < deadline:
            while sent < (moment - begin) * load.rate:
                task = asyncio.create_task(timed(begin + sent / load.rate))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            await asyncio.sleep(0.001)
        await asyncio.gather(*pending)

    started, cpu = clock(), time.process_time()
    deadline = started + seconds
    if load.rate:
        await arrivals(deadline)
    else:
        await asyncio.gather(*(voter(deadline) for _ in range(load.voters)))
    elapsed, cpu = clock() - started, time.process_time() - cpu
    batches = store.writer_stats.commits - before
    checked = ""
    if owner:
        checked = await check_totals(store, poll, len(latencies), load.crowd == 0)
    await store.close()
    scratch.cleanup()
    return VoteRun(label, len(latencies), elapsed, latencies, batches, checked, cpu)


async def check_totals(
    store: SqliteStore | PostgresStore, poll: str, votes: int, all_new: bool
) -> str:
    """The running totals against a recount from the ballot rows (and, when every vote
    came from a new customer, against the number of votes cast)."""
    tally, recount = await store.tally(poll), await store.recount(poll)
    if tally != recount:
        return f"DIFFERS: running {tally.counts} recount {recount.counts}"
    if all_new and tally.total_votes != votes:
        return f"LOST OR INVENTED: {tally.total_votes} counted, {votes} cast"
    return f"exact ({tally.voters:,} ballots)"


def raw_sqlite(folder: Path, seconds: float, per_commit: int = 100) -> VoteRun:
    """The floor: three plain statements per vote (look up the ballot, upsert it, record
    the delivery), `per_commit` votes per commit, WAL and synchronous=FULL, one thread,
    no asyncio and no Python rules. Latency here is per commit, not per vote."""
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -32768")
    conn.execute(
        "CREATE TABLE ballots (poll_id TEXT, voter_key TEXT, options TEXT, cast_at INTEGER, "
        "PRIMARY KEY (poll_id, voter_key)) WITHOUT ROWID"
    )
    conn.execute("CREATE TABLE deliveries (delivery_id TEXT PRIMARY KEY) WITHOUT ROWID")
    ids = Ids(11)
    options = [f'["{option}"]' for option in OPTIONS]
    clock = time.perf_counter
    latencies: list[float] = []
    votes = 0
    started, cpu = clock(), time.process_time()
    deadline = started + seconds
    while clock() < deadline:
        since = clock()
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(per_commit):
            key = ids.voter().key
            conn.execute(
                "SELECT options FROM ballots WHERE poll_id = ? AND voter_key = ?", (POLL, key)
            ).fetchone()
            conn.execute(
                "INSERT INTO ballots VALUES (?, ?, ?, ?) ON CONFLICT (poll_id, voter_key) "
                "DO UPDATE SET options = excluded.options, cast_at = excluded.cast_at",
                (POLL, key, random.choice(options), votes),
            )
            conn.execute("INSERT INTO deliveries VALUES (?)", (ids.next_delivery(),))
        conn.execute("COMMIT")
        votes += per_commit
        latencies.append(clock() - since)
    elapsed, cpu = clock() - started, time.process_time() - cpu
    conn.close()
    label = f"raw SQLite, 3 statements, {per_commit}/commit"
    return VoteRun(label, votes, elapsed, latencies, len(latencies), "(no totals kept)", cpu)


def _process_votes(url: str, poll: str, load: Load, seconds: float, seed: int) -> VoteRun:
    """One bot process of a PostgreSQL run (in a child process)."""
    random.seed(seed)
    run = run_votes(url, "", load, seconds, 256, "FULL", poll, False, seed)
    return asyncio.run(run)


async def bench_postgres(url: str, concurrency: int, seconds: float, processes: list[int]) -> None:
    """Closed-loop runs on PostgreSQL: one process, then N processes sharing the voters;
    then open-loop runs (latency at a given traffic, where a batch is a few votes and what
    each costs is mostly its round trips). Every bot process is a child process."""
    for count in processes:
        label = f"{concurrency} concurrent, {count} process{'es' if count > 1 else ''}"
        share = [concurrency // count + (i < concurrency % count) for i in range(count)]
        run = await _postgres_run(url, label, [Load(voters=n) for n in share], seconds)
        print(run.row(), flush=True)
    for rate in (1000, 4000):
        run = await _postgres_run(
            url, f"open loop {rate:,}/s, 1 process", [Load(rate=rate)], seconds
        )
        print(run.row(), flush=True)


async def _postgres_run(url: str, label: str, loads: list[Load], seconds: float) -> VoteRun:
    """One poll, a child process per load voting in it at once; checked against the tally."""
    from concurrent.futures import ProcessPoolExecutor

    target = postgres_url(url)
    poll = f"bench-{random.getrandbits(40):x}"
    owner = PostgresStore(target)
    await owner.open()
    await owner.ensure_polls([poll])
    await owner.open_poll(poll, datetime.now(UTC), None, "bench")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(len(loads)) as pool:
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(pool, _process_votes, url, poll, load, seconds, i)
                for i, load in enumerate(loads)
            )
        )
    tally = await owner.tally(poll)
    recount = await owner.recount(poll)
    await owner.close()
    votes = sum(p.votes for p in parts)
    assert tally.total_votes == votes, f"lost or invented votes: {tally.total_votes} != {votes}"
    await _drop_poll(target.dsn, poll)
    elapsed = max(p.seconds for p in parts)
    latencies = [x for p in parts for x in p.latencies]
    checked = "exact" if recount == tally else f"DIFFERS: {tally} {recount}"
    batches, cpu = sum(p.batches for p in parts), sum(p.cpu for p in parts)
    return VoteRun(label, votes, elapsed, latencies, batches, checked, cpu)


async def _drop_poll(dsn: str, poll: str) -> None:
    import asyncpg  # the bench's own clean-up

    conn = await asyncpg.connect(dsn)
    try:
        for table in ("ballots", "deliveries", "option_counts", "voter_counts", "polls"):
            await conn.execute(f"DELETE FROM {table} WHERE poll_id = $1", poll)
    finally:
        await conn.close()


def bulk_ballots(path: Path, poll_id: str, count: int) -> None:
    """Insert count ballots straight into the table, and their running totals."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # setup only
    conn.execute(
        "INSERT INTO polls (poll_id, state, opened_at, updated_at) VALUES (?, 'open', 0, 0)",
        (poll_id,),
    )
    rng = random.Random(count)
    at = to_micros(datetime.now(UTC))
    options = [f'["{option}"]' for option in OPTIONS]
    platforms = ("discord", "slack")
    conn.execute("BEGIN")
    chunk = 50_000
    for start in range(0, count, chunk):
        rows = []
        for n in range(start, min(count, start + chunk)):
            platform = platforms[n % 2]
            user = f"{n:012d}"  # increasing keys: fast setup; tally cost does not depend on it
            rows.append(
                (poll_id, f"{platform}:{user}", platform, user, rng.choice(options), at, at)
            )
        conn.executemany(
            "INSERT INTO ballots (poll_id, voter_key, platform, user_id, options, cast_at, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    triggers = "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'ballots_counted'"
    if not conn.execute(triggers).fetchone():  # before migration 0008 triggers kept them
        conn.execute(
            "INSERT INTO voter_counts SELECT poll_id, platform, COUNT(*) FROM ballots "
            "WHERE poll_id = ? GROUP BY platform",
            (poll_id,),
        )
        conn.execute(
            "INSERT INTO option_counts SELECT b.poll_id, j.value, b.platform, COUNT(*) "
            "FROM ballots AS b, json_each(b.options) AS j WHERE b.poll_id = ? "
            "GROUP BY j.value, b.platform",
            (poll_id,),
        )
    conn.execute("COMMIT")
    conn.close()


async def time_call(make: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await make()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def bench_tally(folder: Path, sizes: list[int]) -> list[str]:
    path = folder / "tally.db"
    store = SqliteStore(path)
    await store.open()  # creates the schema
    await store.close()
    rows = []
    for size in sizes:
        poll_id = f"tally-{size}"
        started = time.perf_counter()
        bulk_ballots(path, poll_id, size)
        setup = time.perf_counter() - started
        store = SqliteStore(path)
        await store.open()
        tally = await store.tally(poll_id)
        assert tally.total_votes == size and tally.voters == size
        fast = await time_call(partial(store.tally, poll_id), 9)
        recount = await time_call(partial(store.recount, poll_id), 3 if size < 10**6 else 2)
        assert await store.recount(poll_id) == tally
        await store.close()
        rows.append(f"{size:>10,} {fast:>12.2f} {recount:>14.1f} {setup:>10.1f}")
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, tally up to 10^5")
    parser.add_argument("--seconds", type=float, help="duration of each voting run")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--max-batch", type=int, default=256, help="group-commit batch cap")
    parser.add_argument("--sync", choices=["FULL", "NORMAL"], default="FULL")
    parser.add_argument("--database", help="also run on this PostgreSQL database (it must exist)")
    parser.add_argument("--processes", default="1,2,4", help="bot processes for PostgreSQL runs")
    parser.add_argument(
        "--pg-delay-ms", type=float, default=0.0, help="delay PostgreSQL's answers (network)"
    )
    parser.add_argument(
        "--only", choices=["vote", "tally"], help="only the voting runs, or only the tally"
    )
    args = parser.parse_args()
    seconds = args.seconds or (1.5 if args.quick else 5.0)
    sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6]

    print(
        f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, "
        f"synchronous={args.sync}, {seconds:g} s per run"
    )
    with tempfile.TemporaryDirectory(prefix="engagebot-bench-") as tmp:
        folder = Path(tmp)
        if args.only != "tally":
            await bench_sqlite(folder, args, seconds)
        if args.database and args.only != "tally":
            target = postgres_url(args.database)
            delay = f", answers delayed {args.pg_delay_ms:g} ms" if args.pg_delay_ms else ""
            print(f"\nPostgreSQL postgresql://{target.where}{delay}")
            print(f"{'cast()':<38} {HEADER}")
            counts = [int(n) for n in args.processes.split(",")]
            async with round_trip_proxy(target.host, target.port, args.pg_delay_ms / 1000) as proxy:
                url = proxy.url(args.database) if args.pg_delay_ms else args.database
                await bench_postgres(url, args.concurrency, seconds, counts)
        if args.only != "vote":
            print(f"\n{'ballots':>10} {'tally() ms':>12} {'recount() ms':>14} {'setup s':>10}")
            for row in await bench_tally(folder, sizes):
                print(row, flush=True)
            print("\ntally(): running totals; recount(): counts the ballot rows.")


async def bench_sqlite(folder: Path, args: argparse.Namespace, seconds: float) -> None:
    sync: Synchronous = args.sync
    n = args.concurrency
    crowd = Load(voters=n)
    service = Load(voters=n, service=True)
    runs: list[tuple[str, Load, int, Synchronous]] = [
        (f"PollService.vote, {n} concurrent", service, args.max_batch, sync),
        (f"Store.cast(), {n} concurrent", crowd, args.max_batch, sync),
        (f"PollService.vote, {n} conc., revoting", Load(n, 0, True, 5000), args.max_batch, sync),
        ("Store.cast(), sequential", Load(voters=1), args.max_batch, sync),
        ("Store.cast(), seq., commit per vote", Load(voters=1), 1, sync),
        (f"Store.cast(), {n} conc., commit per vote", crowd, 1, sync),
    ]
    if sync == "FULL":  # what relaxing durability would buy
        runs.append((f"Store.cast(), {n} conc., sync=NORMAL", crowd, args.max_batch, "NORMAL"))
    for rate in (1000, 4000):
        runs.append(
            (
                f"PollService.vote, open loop {rate:,}/s",
                Load(rate=rate, service=True),
                args.max_batch,
                sync,
            )
        )
    print(f"\n{'SQLite':<38} {HEADER}")
    print(raw_sqlite(folder, seconds).row(), flush=True)
    for label, load, max_batch, mode in runs:
        result = await run_votes(folder, label, load, seconds, max_batch, mode)
        print(result.row(), flush=True)
    print("raw SQLite: latency per commit of 100; the others: per vote.")
    print("CPU us: CPU time of the process (every thread) per vote.")


if __name__ == "__main__":
    asyncio.run(main())
