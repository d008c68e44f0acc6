"""One traceback per fault, not one per event: a full disk refuses every vote, and a log
with a traceback for each (1,701 in 14 s) hides everything else and fills the disk
further. The first failure of a kind is logged with its traceback; the ones after it are
counted and summed up in one line per interval, for as long as they keep coming."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock

DEFAULT_INTERVAL = timedelta(seconds=60)


@dataclass
class _Fault:
    what: str  # the counted thing, e.g. "votes refused"
    since: datetime  # start of the interval being counted
    count: int = 0
    reason: str = ""
    task: asyncio.Task[None] | None = None


@dataclass
class FaultLog:
    """Throttled failure logging, timed by the app's clock."""

    logger: logging.Logger
    clock: Clock
    interval: timedelta = DEFAULT_INTERVAL
    _faults: dict[str, _Fault] = field(default_factory=dict)

    @property
    def active(self) -> list[str]:
        """Keys of the faults being counted now."""
        return list(self._faults)

    def failed(self, key: str, message: str, error: BaseException, what: str) -> None:
        """Report one failure. key groups failures of one kind (e.g. the event type);
        message is logged with the traceback the first time; what names the counted
        thing in the summary ("… 1,700 more votes refused in the last 60 s: disk full")."""
        fault = self._faults.get(key)
        if fault is not None:
            fault.count += 1
            fault.reason = _reason(error)
            return
        self.logger.error(message, exc_info=error)
        fault = self._faults[key] = _Fault(what, self.clock.now())
        fault.task = asyncio.get_running_loop().create_task(self._summarize(key, fault))

    async def _summarize(self, key: str, fault: _Fault) -> None:
        """Once per interval, the count so far; an interval without failures ends the
        fault (the next failure is logged with its traceback again)."""
        try:
            while True:
                await self.clock.sleep_until(fault.since + self.interval, asyncio.Event())
                if not fault.count:
                    return
                self._log_count(fault)
        finally:
            if self._faults.get(key) is fault:
                del self._faults[key]

    def _log_count(self, fault: _Fault) -> None:
        now = self.clock.now()
        seconds = round((now - fault.since).total_seconds())
        span = f"{seconds} s" if seconds > 1 else "second"  # at shutdown it may be less
        self.logger.error(
            "… %s more %s in the last %s: %s", f"{fault.count:,}", fault.what, span, fault.reason
        )
        fault.count = 0
        fault.since = now

    async def close(self) -> None:
        """At shutdown: say how many failures are not summed up yet."""
        for fault in list(self._faults.values()):
            if fault.task is not None:
                fault.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fault.task
            if fault.count:
                self._log_count(fault)
        self._faults.clear()


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
