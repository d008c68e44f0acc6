"""The live tally on a database several processes share. A vote cast through another
process changes the tally only in the database, so the process holding a message's edit
lease looks: every tick it renews its leases (one statement for all of them) and reads
the tallies of every poll it edits (one read), and re-renders those whose tally moved
since the last tick. Nothing is added to the vote path: cheap at any vote rate, and a
vote shows within a tick plus the platform's edit interval."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from bot.clock import Clock
from bot.core.refs import MessageRef
from bot.polls.leases import TICK, EditLeases
from bot.polls.live import LiveTally
from bot.storage.base import Store, Tally

log = logging.getLogger(__name__)

Wanted = Callable[[], Mapping[MessageRef, str]]  # messages of open live polls -> poll id


class TallyWatch:
    def __init__(
        self,
        leases: EditLeases,
        live: LiveTally,
        store: Store,
        clock: Clock,
        wanted: Wanted,
        known: Callable[[str], bool],
        tick: timedelta = TICK,
    ) -> None:
        self.leases = leases
        self.live = live
        self.store = store
        self.clock = clock
        self.wanted = wanted
        self.known = known  # polls still in the config
        self.tick = tick
        self._seen: dict[str, Tally] = {}
        self._editing: dict[MessageRef, str] = {}  # as of the last tick -> poll id
        self._failing = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except Exception as error:
                # The database is away: our leases run out, and we stop editing before
                # they do (EditLeases.may_edit). Said once until it works again.
                if not self._failing:
                    log.warning("could not renew the live tally's edit leases: %s", error)
                self._failing = True
            else:
                self._failing = False
            await self.clock.sleep_until(self.clock.now() + self.tick, stop)

    async def step(self) -> None:
        wanted = dict(self.wanted())
        leaving = {m: p for m, p in self._editing.items() if m not in wanted}
        if leaving:
            await self._finish(leaving, wanted)
        taken = await self.leases.renew(wanted)
        self.live.stale(taken)
        self._editing = {m: p for m, p in wanted.items() if self.leases.may_edit(m)}
        editing: dict[str, list[MessageRef]] = {}
        for message, poll_id in self._editing.items():
            editing.setdefault(poll_id, []).append(message)
        tallies = await self.store.tallies(list(editing)) if editing else {}
        for poll_id, messages in editing.items():
            # A poll not seen at the last tick is shown once: its lease may have been
            # taken on the vote path, and votes through other processes since this
            # process's own edit are only in the database. An unchanged render is not sent.
            moved = poll_id not in self._seen or tallies[poll_id] != self._seen[poll_id]
            if moved or any(message in taken for message in messages):
                await self.live.touch(poll_id, messages)
        self._seen = tallies

    async def _finish(self, leaving: dict[MessageRef, str], wanted: dict[MessageRef, str]) -> None:
        """Polls that closed while this process edited their messages: it shows their
        final state (nobody else may), then gives back the leases no longer needed."""
        for poll_id in set(leaving.values()):
            if self.known(poll_id):
                await self.live.touch(poll_id, [m for m, p in leaving.items() if p == poll_id])
                await self.live.flush(poll_id)
            self.live.forget(poll_id)
        await self.leases.release(list(leaving), keep=list(wanted))
