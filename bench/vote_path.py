"""Vote-path benchmark: throughput and latency of cast(), group commit against one commit
per vote, and tally time as a poll grows. Prints figures, asserts nothing.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.refs import UserRef
from bot.storage.base import Ballot, BallotRequest, Decide
from bot.storage.codec import to_micros
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite.store import SqliteStore, Synchronous
from bot.storage.urls import postgres_url
from tests.pg_proxy import round_trip_proxy

OPTIONS = ("linen-tote", "canvas-tote", "jute-tote")
POLL = "bench-poll"


@dataclass
class VoteRun:
    label: str
    votes: int
    seconds: float
    latencies: list[float]
    batches: int

    def row(self) -> str:
        lat = sorted(self.latencies)
        p50 = lat[len(lat) // 2] * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        rate = self.votes / self.seconds
        per_batch = self.votes / max(1, self.batches)
        return (
            f"{self.label:<34} {rate:>9,.0f} {p50:>8.2f} {p99:>8.2f} "
            f"{self.batches:>8,} {per_batch:>7.1f}"
        )


class Ids:
    """Snowflake-like ids: voters random (as in a real server), deliveries increasing."""

    def __init__(self, seed: int = 7, scope: str = "") -> None:
        self.delivery = 1_300_000_000_000_000_000
        self.rng = random.Random(seed)
        self.scope = scope  # delivery ids are unique per database: one scope per run

    def next_delivery(self) -> str:
        self.delivery += self.rng.randrange(1, 4096)
        return f"discord:{self.scope}{self.delivery}"

    def voter(self) -> UserRef:
        return UserRef("discord", str(self.rng.getrandbits(60)), "bench")


def choose(option: str) -> Decide:
    def decide(current: Ballot | None) -> tuple[str, ...]:
        return (option,)

    return decide


@dataclass(frozen=True)
class Load:
    """Closed loop: `voters` tasks each casting back to back (throughput, latency under
    saturation). Open loop: `rate` clicks per second arriving on schedule whatever the
    store does (latency at a given traffic; measured from the scheduled arrival)."""

    voters: int = 0
    rate: float = 0.0


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
    poll (the others of a multi-process run only vote in it)."""
    store: SqliteStore | PostgresStore
    if isinstance(folder, str):
        store = PostgresStore(postgres_url(folder), max_batch=max_batch)
    else:
        path = folder / f"run-{len(list(folder.iterdir()))}.db"
        store = SqliteStore(path, max_batch=max_batch, synchronous=sync)
    await store.open()
    now = datetime.now(UTC)
    if owner:
        await store.ensure_polls([poll])
        await store.open_poll(poll, now, None, "bench")
    ids = Ids(seed, f"{poll}:{seed}:" if isinstance(folder, str) else "")
    deciders = [choose(option) for option in OPTIONS]
    latencies: list[float] = []
    before = store.writer_stats.commits
    clock = time.perf_counter

    def new_request() -> BallotRequest:
        return BallotRequest(poll, ids.voter(), ids.next_delivery(), now, random.choice(deciders))

    async def cast(request: BallotRequest, since: float) -> None:
        await store.cast(request)
        latencies.append(clock() - since)

    async def voter(deadline: float) -> None:
        while clock() < deadline:
            await cast(new_request(), clock())

    async def arrivals(deadline: float) -> None:
        pending: set[asyncio.Task[None]] = set()
        begin, sent = clock(), 0
        while (moment := clock()) < deadline:
            while sent < (moment - begin) * load.rate:
                due = begin + sent / load.rate
                task = asyncio.create_task(cast(new_request(), due))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            await asyncio.sleep(0.001)
        await asyncio.gather(*pending)

    started = clock()
    deadline = started + seconds
    if load.rate:
        await arrivals(deadline)
    else:
        await asyncio.gather(*(voter(deadline) for _ in range(load.voters)))
    elapsed = clock() - started
    batches = store.writer_stats.commits - before
    tally = await store.tally(poll)
    await store.close()
    if owner:
        assert tally.total_votes == len(latencies), "lost or invented votes"
    return VoteRun(label, len(latencies), elapsed, latencies, batches)


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
    await owner.close()
    votes = sum(p.votes for p in parts)
    assert tally.total_votes == votes, f"lost or invented votes: {tally.total_votes} != {votes}"
    await _drop_poll(target.dsn, poll)
    elapsed = max(p.seconds for p in parts)
    latencies = [x for p in parts for x in p.latencies]
    return VoteRun(label, votes, elapsed, latencies, sum(p.batches for p in parts))


async def _drop_poll(dsn: str, poll: str) -> None:
    import asyncpg  # the bench's own clean-up

    conn = await asyncpg.connect(dsn)
    try:
        for table in ("ballots", "deliveries", "option_counts", "voter_counts", "polls"):
            await conn.execute(f"DELETE FROM {table} WHERE poll_id = $1", poll)
    finally:
        await conn.close()


def bulk_ballots(path: Path, poll_id: str, count: int) -> None:
    """Insert count ballots straight into the table (triggers keep the totals)."""
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
    args = parser.parse_args()
    seconds = args.seconds or (1.5 if args.quick else 5.0)
    sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6]

    print(
        f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, "
        f"synchronous={args.sync}, {seconds:g} s per run"
    )
    with tempfile.TemporaryDirectory(prefix="engagebot-bench-") as tmp:
        folder = Path(tmp)
        sync: Synchronous = args.sync
        crowd = Load(voters=args.concurrency)
        name = f"{args.concurrency} concurrent"
        runs: list[tuple[str, Load, int, Synchronous]] = [
            ("sequential, group commit", Load(voters=1), args.max_batch, sync),
            ("sequential, commit per vote", Load(voters=1), 1, sync),
            (f"{name}, group commit", crowd, args.max_batch, sync),
            (f"{name}, commit per vote", crowd, 1, sync),
        ]
        if sync == "FULL":  # what relaxing durability would buy
            runs.append((f"{name}, group, sync=NORMAL", crowd, args.max_batch, "NORMAL"))
        for rate in (1000, 4000):
            runs.append(
                (f"open loop {rate:,}/s, group commit", Load(rate=rate), args.max_batch, sync)
            )
        header = f"{'cast()':<34} {'votes/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        print(f"\n{header}{'commits':>8} {'/commit':>7}")
        for label, load, max_batch, mode in runs:
            result = await run_votes(folder, label, load, seconds, max_batch, mode)
            print(result.row(), flush=True)
        if args.database:
            target = postgres_url(args.database)
            delay = f", answers delayed {args.pg_delay_ms:g} ms" if args.pg_delay_ms else ""
            print(f"\nPostgreSQL postgresql://{target.where}{delay}")
            print(f"{header}{'commits':>8} {'/commit':>7}")
            counts = [int(n) for n in args.processes.split(",")]
            async with round_trip_proxy(target.host, target.port, args.pg_delay_ms / 1000) as proxy:
                url = proxy.url(args.database) if args.pg_delay_ms else args.database
                await bench_postgres(url, args.concurrency, seconds, counts)

        print(f"\n{'ballots':>10} {'tally() ms':>12} {'recount() ms':>14} {'setup s':>10}")
        for row in await bench_tally(folder, sizes):
            print(row, flush=True)
    print("\ntally(): running totals kept by triggers; recount(): counts the ballot rows.")


if __name__ == "__main__":
    asyncio.run(main())
