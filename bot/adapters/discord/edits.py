"""Message edits that respect Discord's limits and never hammer on errors.

The app already coalesces tally edits per message (LiveTally, edit_interval ≈ 2 s).
This queue adds what only the Discord side knows:
- one edit in flight per message, the newest content wins, so edits land in order and
  the final (closed) state is the one that stays;
- two edits of a message are at least `min_interval` apart, counted from when the
  previous one FINISHED: an edit that discord.py held for a 429's Retry-After (or that
  was slow) is not followed at once by the one that queued up behind it;
- messages older than an hour have a small hidden edit budget (error 30046): they are
  edited at most once per `old_message_interval`, and a 30046 backs off exponentially;
- 429s are retried by discord.py after the body's `retry_after`; when it gives up (or
  Cloudflare refuses) we back off too, and 5xx / network errors likewise;
- 403/404 and other 4xx are not retried (invalid requests count towards Discord's
  10,000-per-10-minutes IP ban); a message that is gone (deleted, or the bot lost access)
  is reported once and then left alone: there is nothing left to update.

`submit()` returns once the content is on Discord, or once delivery has been scheduled
for later (pacing or back-off), so a slow message never holds up the caller for long.
All waiting is on the app's Clock (tests move a FakeClock instead of sleeping)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import aiohttp
import discord

from bot.adapters.limits import DISCORD
from bot.clock import Clock, SystemClock
from bot.core.refs import MessageRef
from bot.errors import PlatformError

log = logging.getLogger(__name__)

OLD_EDITS_EXHAUSTED = 30046  # "Maximum number of edits to messages older than 1 hour"

P = TypeVar("P")
# Callers waiting for an edit: resolved with None (done or scheduled) or the error.
Waiters = list[asyncio.Future[BaseException | None]]


@dataclass(frozen=True)
class EditPolicy:
    min_interval: float = DISCORD.edit_interval  # seconds from the end of one edit
    old_message_age: float = 3600.0  # seconds after which the hidden budget applies
    old_message_interval: float = 30.0  # at most one edit per this many seconds then
    backoff_initial: float = 15.0
    backoff_max: float = 900.0
    wait_limit: float = 10.0  # longest submit() waits before leaving it to the queue


@dataclass
class _Slot(Generic[P]):
    pending: P | None = None
    waiters: Waiters = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    last_sent: datetime | None = None  # when the previous edit finished
    not_before: datetime | None = None  # back-off after a failure
    backoff: float = 0.0
    gone: BaseException | None = None  # deleted or no access: never edited again


class EditQueue(Generic[P]):
    def __init__(
        self,
        send: Callable[[MessageRef, P], Awaitable[None]],
        policy: EditPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._send = send
        self.policy = policy or EditPolicy()
        self._clock = clock or SystemClock()
        self._slots: dict[MessageRef, _Slot[P]] = {}
        self.sent = 0

    async def submit(self, message: MessageRef, payload: P) -> None:
        slot = self._slots.setdefault(message, _Slot())
        if slot.gone is not None:
            return
        slot.pending = payload  # supersedes anything not yet sent
        done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        slot.waiters.append(done)
        if slot.task is None or slot.task.done():
            slot.task = asyncio.create_task(self._run(message, slot))
        try:
            error = await asyncio.wait_for(asyncio.shield(done), self.policy.wait_limit)
        except TimeoutError:
            return  # still queued: delivered in the background
        if error is not None:
            raise PlatformError(f"could not edit message {message.id}: {error}") from error

    def undelivered(self) -> list[MessageRef]:
        return [ref for ref, slot in self._slots.items() if slot.pending is not None]

    async def close(self, grace: float = 0.0) -> None:
        """Let edits under way land (up to grace seconds), then stop."""
        running = [s.task for s in self._slots.values() if s.task is not None and not s.task.done()]
        if running and grace > 0:
            await asyncio.wait(running, timeout=grace)
        for message, slot in self._slots.items():
            if slot.task is not None and not slot.task.done():
                slot.task.cancel()
            if slot.pending is not None:
                log.warning("Discord message %s: last edit not delivered before stop", message.id)
            _release(slot.waiters, None)
        self._slots.clear()

    async def _run(self, message: MessageRef, slot: _Slot[P]) -> None:
        while slot.pending is not None:
            until = max(
                (t for t in (slot.not_before, self._paced_until(message, slot)) if t),
                default=None,
            )
            now = self._clock.now()
            if until is not None and until > now:
                if until - now > timedelta(seconds=self.policy.min_interval):
                    # A long pause (back-off, an old message's budget): the caller goes
                    # on, the edit lands later. A short one keeps the caller waiting, so
                    # e.g. the final edit at close lands before the results are posted.
                    _release(slot.waiters, None)
                    slot.waiters = []
                await self._clock.sleep_until(until, asyncio.Event())
                continue
            payload, waiters = slot.pending, slot.waiters
            slot.pending, slot.waiters = None, []
            try:
                await self._send(message, payload)
            except asyncio.CancelledError:
                _release(waiters, None)
                raise
            except Exception as exc:  # classified below; nothing escapes the task
                self._failed(message, slot, payload, waiters, exc)
                continue
            slot.last_sent = self._clock.now()
            slot.backoff = 0.0
            self.sent += 1
            _release(waiters, None)

    def _failed(
        self,
        message: MessageRef,
        slot: _Slot[P],
        payload: P,
        waiters: Waiters,
        exc: Exception,
    ) -> None:
        delay = retry_delay(exc)
        if delay is None and isinstance(exc, discord.NotFound | discord.Forbidden):
            slot.gone = exc
            waiters += slot.waiters
            slot.pending, slot.waiters = None, []
            log.warning(
                "Discord message %s can no longer be edited, left as is: %s", message.id, exc
            )
            _release(waiters, None)
            return
        if delay is None:  # not worth retrying: tell the caller, drop this content
            _release(waiters, exc)
            return
        policy = self.policy
        slot.backoff = min(max(slot.backoff * 2, policy.backoff_initial), policy.backoff_max)
        pause = max(delay, slot.backoff)
        slot.not_before = self._clock.now() + timedelta(seconds=pause)
        if slot.pending is None:
            slot.pending = payload  # nothing newer arrived: retry this one
        slot.waiters = waiters + slot.waiters
        log.warning("edit of Discord message %s postponed %.0fs: %s", message.id, pause, exc)

    def _paced_until(self, message: MessageRef, slot: _Slot[P]) -> datetime | None:
        """The earliest start of the next edit: min_interval after the previous one
        finished; for old messages, which share a small hidden edit budget, longer."""
        if slot.last_sent is None:
            return None
        interval = self.policy.min_interval
        if message_age(message, slot.last_sent) >= self.policy.old_message_age:
            interval = max(interval, self.policy.old_message_interval)
        return slot.last_sent + timedelta(seconds=interval)


def retry_delay(exc: BaseException) -> float | None:
    """Seconds to wait before retrying after exc, or None when a retry cannot help."""
    if isinstance(exc, discord.RateLimited):
        return exc.retry_after
    if isinstance(exc, discord.HTTPException):
        if exc.code == OLD_EDITS_EXHAUSTED or exc.status == 429:
            return 0.0  # the exponential back-off decides
        if exc.status >= 500:
            return 0.0
        return None  # 400/401/403/404: retrying repeats an invalid request
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return 0.0
    return None


def message_age(message: MessageRef, now: datetime) -> float:
    """Seconds from the message's posting (read from its snowflake id) to `now`."""
    try:
        posted = discord.utils.snowflake_time(int(message.id))
    except ValueError:
        return 0.0
    return (now - posted).total_seconds()


def _release(waiters: Waiters, error: BaseException | None) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(error)
