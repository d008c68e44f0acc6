"""Time source. Everything asks the clock instead of datetime.now(), so tests can travel."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        """Sleep until `when` or until `wake` is set, whichever comes first."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        delay = max(0.0, (when - self.now()).total_seconds())
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=delay)


class FakeClock:
    """A clock that only moves when told to; sleepers wake as soon as time passes `when`."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._ticked = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    async def advance(self, delta: timedelta) -> None:
        self._now += delta
        ticked, self._ticked = self._ticked, asyncio.Event()
        ticked.set()
        await asyncio.sleep(0)  # let woken sleepers run before the caller goes on

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        while self._now < when and not wake.is_set():
            ticked = asyncio.ensure_future(self._ticked.wait())
            waiters = {ticked, asyncio.ensure_future(wake.wait())}
            _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
