"""Edit-lease tick benchmark: what one process's tick costs on PostgreSQL (renew or take
the leases of every live poll message, then read the tallies of their polls), for a few
sizes, beside one vote cast in the same run as a baseline. Prints figures, asserts nothing.

    python bench/lease_tick.py --database postgresql://user@host:5432/db [--ticks N]

The database must exist; the bot's tables are created in it (use a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.refs import ChannelRef, MessageRef, UserRef
from bot.storage.base import Ballot, BallotRequest
from bot.storage.postgres import PostgresStore
from bot.storage.urls import postgres_url

HOLDER = "bench-host:1:1"


def wanted(polls: int, channels: int) -> dict[MessageRef, str]:
    return {
        MessageRef(ChannelRef("discord", f"9{c:03d}"), f"{p}{c:03d}"): f"bench-{p}"
        for p in range(polls)
        for c in range(channels)
    }


async def tick_ms(store: PostgresStore, messages: dict[MessageRef, str], ticks: int) -> list[float]:
    times = []
    for _ in range(ticks):
        now = datetime.now(UTC)
        started = time.perf_counter()
        await store.take_edit_leases(messages, HOLDER, now, now + timedelta(seconds=20))
        await store.tallies(sorted(set(messages.values())))
        times.append((time.perf_counter() - started) * 1000)
    return times


async def vote_ms(store: PostgresStore, votes: int) -> list[float]:
    await store.ensure_polls(["bench-0"])
    await store.open_poll("bench-0", datetime.now(UTC), None, "bench")

    def decide(current: Ballot | None) -> tuple[str, ...]:
        return ("a",)

    times = []
    for n in range(votes):
        voter = UserRef("discord", f"bench-voter-{n}-{time.time_ns()}", "bench")
        request = BallotRequest("bench-0", voter, f"bench:{voter.id}", datetime.now(UTC), decide)
        started = time.perf_counter()
        await store.cast(request)
        times.append((time.perf_counter() - started) * 1000)
    return times


def describe(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{label:<34} p50 {statistics.median(times):6.2f} ms   p99 {p99:6.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--ticks", type=int, default=200)
    args = parser.parse_args()
    store = PostgresStore(postgres_url(args.database))
    await store.open()
    try:
        print(describe("one vote (baseline, no batching)", await vote_ms(store, args.ticks)))
        for polls, channels in ((1, 2), (5, 4), (20, 10)):
            messages = wanted(polls, channels)
            times = await tick_ms(store, messages, args.ticks)
            print(describe(f"tick: {len(messages)} messages, {polls} polls", times))
    finally:
        await store.release_edit_leases(HOLDER)
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
