"""Live tally edits, coalesced per message.

However fast votes arrive, each message has at most one edit in flight and one pending;
the pending edit renders from the database when it is sent, so it always shows the
newest state and a burst of 500 votes costs a handful of edits. The interval between two
edits of a message counts from when the previous edit finished: an edit slowed down by a
rate limit (the platform library waiting out a 429) is not followed by another at once.

An edit that would show what the message already shows is not sent, and a message this
process may not edit (another process holds its edit lease, see leases.py) is left to
the process that may."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.core.adapter import Adapter
from bot.core.content import Content
from bot.core.refs import MessageRef

log = logging.getLogger(__name__)

Render = Callable[[str], Awaitable[Content]]


@dataclass
class _MessageSlot:
    poll_id: str
    dirty: bool = False
    last_edit: datetime | None = None  # when the previous edit finished
    task: asyncio.Task[None] | None = None
    edits: int = 0
    shown: Content | None = None  # what the last edit sent; None: unknown


def _anyone(message: MessageRef) -> bool:
    return True


@dataclass
class LiveTally:
    render: Render
    adapters: dict[str, Adapter]
    clock: Clock
    on_edit: Callable[[str], None] | None = None  # told the platform of each edit sent
    may_edit: Callable[[MessageRef], bool] = _anyone  # this process holds the edit lease
    _slots: dict[MessageRef, _MessageSlot] = field(default_factory=dict)

    def edits_sent(self, message: MessageRef) -> int:
        slot = self._slots.get(message)
        return slot.edits if slot else 0

    async def touch(self, poll_id: str, messages: list[MessageRef]) -> None:
        """The poll changed: schedule one coalesced edit per message."""
        for message in messages:
            adapter = self.adapters.get(message.channel.platform)
            if adapter is None:
                continue
            slot = self._slots.setdefault(message, _MessageSlot(poll_id))
            slot.dirty = True
            if adapter.limits.edit_interval <= 0:
                # Local terminal: no rate limit, and edits must keep input order.
                await self._edit(adapter, message, slot)
            elif slot.task is None or slot.task.done():
                slot.task = asyncio.create_task(self._drain(adapter, message, slot))

    async def flush(self, poll_id: str | None = None) -> None:
        """Send every pending edit now (at close, and at shutdown)."""
        for message, slot in list(self._slots.items()):
            if poll_id is not None and slot.poll_id != poll_id:
                continue
            if slot.task is not None and not slot.task.done():
                slot.task.cancel()
                with suppress(asyncio.CancelledError):
                    await slot.task
            adapter = self.adapters.get(message.channel.platform)
            if slot.dirty and adapter is not None:
                await self._edit(adapter, message, slot)

    def stale(self, messages: list[MessageRef]) -> None:
        """Another process may have edited these: their next edit is sent even if it
        shows what this process sent last."""
        for message in messages:
            slot = self._slots.get(message)
            if slot is not None:
                slot.shown = None

    def forget(self, poll_id: str) -> None:
        for message in [m for m, s in self._slots.items() if s.poll_id == poll_id]:
            slot = self._slots.pop(message)
            if slot.task is not None:
                slot.task.cancel()

    async def _drain(self, adapter: Adapter, message: MessageRef, slot: _MessageSlot) -> None:
        interval = timedelta(seconds=adapter.limits.edit_interval)
        me = asyncio.current_task()
        while slot.dirty:
            # flush() and forget() cancel this task; a platform library that swallows the
            # cancellation of an edit in flight (asyncio.wait_for before Python 3.12 can)
            # must not leave it waiting for a clock that nobody moves.
            if me is not None and me.cancelling():
                raise asyncio.CancelledError
            if slot.last_edit is not None:
                await self.clock.sleep_until(slot.last_edit + interval, asyncio.Event())
            if not await self._edit(adapter, message, slot):
                return  # retried with the next vote or at close, not in a tight loop

    async def _edit(self, adapter: Adapter, message: MessageRef, slot: _MessageSlot) -> bool:
        slot.dirty = False
        if not self.may_edit(message):
            return True  # the lease holder shows it
        sending = False
        try:
            content = await self.render(slot.poll_id)
            if content == slot.shown:
                return True
            slot.shown = None  # unknown until the platform confirms
            sending = True
            await adapter.edit(message, content)
            slot.shown = content
        except asyncio.CancelledError:
            slot.dirty = True
            raise
        except Exception:
            slot.dirty = True
            log.exception("could not refresh the tally on %s", message)
            return False
        finally:
            if sending:
                slot.last_edit = self.clock.now()
        slot.edits += 1
        if self.on_edit is not None:
            self.on_edit(message.channel.platform)
        return True
