"""Each Slack delivery is processed once per process.

Slack re-sends an event it thinks was not acknowledged (HTTP `x-slack-retry-num`,
Socket Mode `retry_attempt`). A repeat of a delivery already being handled waits for
the first to finish and is then acknowledged without doing the work again, so the
customer gets one confirmation. A repeat that reaches another process (HTTP behind a
load balancer, another Socket Mode connection) or a restarted one is caught by the
store, which records each vote's delivery id durably: it is counted once, and the voter
is told the same as the first time (PollService). A staff command's repeat finds the
poll already opened or closed (the store's transitions are compare-and-set) and says so."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

REMEMBERED = 10_000


class RecentDeliveries:
    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._seen: OrderedDict[str, asyncio.Event] = OrderedDict()

    def begin(self, key: str) -> asyncio.Event | None:
        """None for a new delivery (the caller handles it, then calls finish);
        for a repeat, an event that is set once the first delivery is handled."""
        done = self._seen.get(key)
        if done is not None:
            return done
        self._seen[key] = asyncio.Event()
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return None

    def finish(self, key: str) -> None:
        done = self._seen.get(key)
        if done is not None:
            done.set()
