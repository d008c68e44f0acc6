"""Edit leases: on a database several bot processes share, one process at a time edits
a given poll message, so the per-message edit pacing and a Slack workspace's edit
budget hold across processes.

A lease lives in the database (Store.take_edit_leases), names its holder
(bot.process_identity) and runs out LEASE_TERM after its last renewal. Each process
renews what it holds every TICK and takes over leases that ran out (their holder died
on another machine: within LEASE_TERM + TICK) or whose holder is visibly gone on this
machine (at the next tick). A process edits a message only while its lease has MARGIN
left, so a renewal that comes back late never lets two processes edit at once. Where a
platform budgets edits per workspace (Slack), one lease covers all of its messages.

On a database one process owns (SQLite) every lease is this process's: nothing is read
or written for them."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

from bot import process_identity
from bot.clock import Clock
from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import EditLease, Store

log = logging.getLogger(__name__)

LEASE_TERM = timedelta(seconds=20)
# How often leases are renewed and taken over; also how soon the holder shows votes
# cast through other processes (see TallyWatch).
TICK = timedelta(seconds=2)
MARGIN = timedelta(seconds=5)
WORKSPACE = "*"  # channel and message id of a lease that covers a whole platform


class EditLeases:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        term: timedelta = LEASE_TERM,
        holder: str | None = None,
        per_workspace: Collection[str] = (),
    ) -> None:
        """per_workspace: platforms whose messages share one lease (one edit budget)."""
        self.store = store
        self.clock = clock
        self.shared = store.shared
        self.term = term
        self.margin = min(MARGIN, term / 4)
        self.holder = holder or process_identity.current()
        self.per_workspace = frozenset(per_workspace)
        self._held: dict[MessageRef, datetime] = {}  # lease key -> until, this process's
        self._known: dict[MessageRef, EditLease] = {}  # lease key -> its last seen lease

    def key(self, message: MessageRef) -> MessageRef:
        """The lease a message is edited under: its own, or its platform's."""
        platform = message.channel.platform
        if platform in self.per_workspace:
            return MessageRef(ChannelRef(platform, WORKSPACE), WORKSPACE)
        return message

    def may_edit(self, message: MessageRef) -> bool:
        if not self.shared:
            return True
        until = self._held.get(self.key(message))
        return until is not None and self.clock.now() < until - self.margin

    async def mine(self, poll_id: str, messages: Iterable[MessageRef]) -> list[MessageRef]:
        """Those of a poll's messages this process may edit. A message whose lease this
        process never saw (just posted, or a vote before the first tick) is taken now if
        nobody holds it; the others wait for the tick."""
        messages = list(messages)
        if not self.shared:
            return messages
        unseen = {self.key(m): poll_id for m in messages if self.key(m) not in self._known}
        if unseen:
            await self._take(unseen)
        return [m for m in messages if self.may_edit(m)]

    async def take(self, poll_id: str, messages: Iterable[MessageRef]) -> list[MessageRef]:
        """Those of a poll's messages this process holds or takes now (its final tally)."""
        messages = list(messages)
        if not self.shared:
            return messages
        if messages:
            await self._take({self.key(m): poll_id for m in messages})
        return [m for m in messages if self.may_edit(m)]

    async def renew(self, wanted: Mapping[MessageRef, str]) -> list[MessageRef]:
        """Renew this process's leases of the wanted messages (message -> poll id) and
        take the free ones; returns the messages newly this process's to edit (the
        previous holder may have died with an edit pending)."""
        if not self.shared or not wanted:
            return []
        before = set(self._held)
        await self._take({self.key(m): p for m, p in wanted.items()})
        return [m for m in wanted if self.key(m) in self._held and self.key(m) not in before]

    async def release(
        self,
        messages: Collection[MessageRef] | None = None,
        keep: Collection[MessageRef] = (),
    ) -> None:
        """Give leases back (all of them: at shutdown), so another process takes over
        at its next tick instead of waiting for them to run out; not those that `keep`
        (messages still edited) need."""
        if not self.shared:
            return
        needed = {self.key(m) for m in keep}
        keys = set(self._held) if messages is None else {self.key(m) for m in messages}
        gone = [k for k in keys if k in self._held and k not in needed]
        for key in gone:
            del self._held[key]
            self._known.pop(key, None)
        if gone:
            await self.store.release_edit_leases(self.holder, gone)

    async def _take(self, wanted: Mapping[MessageRef, str]) -> None:
        """Take or renew these leases (lease key -> poll id)."""
        now = self.clock.now()
        leases = await self.store.take_edit_leases(wanted, self.holder, now, now + self.term)
        gone = {
            lease.holder
            for lease in leases
            if lease.holder not in ("", self.holder) and process_identity.is_gone(lease.holder)
        }
        if gone:  # died on this machine: no need to wait for its leases to run out
            orphans = {lease.message: lease.poll_id for lease in leases if lease.holder in gone}
            until = now + self.term
            taken = await self.store.take_edit_leases(orphans, self.holder, now, until, gone)
            leases = [lease for lease in leases if lease.message not in orphans] + taken
        for lease in leases:
            self._known[lease.message] = lease
            if lease.holder == self.holder:
                if lease.message not in self._held:
                    log.debug("editing %s from now on", lease.message)
                self._held[lease.message] = lease.expires_at
            else:
                self._held.pop(lease.message, None)
