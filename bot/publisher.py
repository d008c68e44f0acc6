"""Every post exactly once: polls, results announcements and daily prompts.

A post is claimed in the database's post ledger, sent with the claim's key as the
platform's idempotency key, and confirmed with the platform's message id. A claim whose
outcome is unknown (the process died mid-send, the platform timed out) is taken over
later, by this process or another: the platform is asked first whether a message with
that key landed (it is adopted), and only then is it sent again, with the same key. A
refused post is retried with back-off, across restarts, until it lands or its channel
leaves the config; the log says why once, not once per try."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot import process_identity
from bot.clock import Clock
from bot.core.adapter import Adapter
from bot.core.content import Content
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import EngageBotError
from bot.storage.base import PostClaim, PostKind, Store

log = logging.getLogger(__name__)

# A sender holds its claim this long; past it, the claim is presumed abandoned (the
# process died) and anyone may resolve it. Longer than any send including rate limits.
HOLD = timedelta(seconds=90)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)
# find_sent looks a little before the claim: clocks of two processes may disagree.
CLOCK_SLACK = timedelta(minutes=1)

CANNOT_TELL = (
    "cannot tell whether it was posted before ({why}); not posting it again until the bot "
    "can read the channel's history"
)

Build = Callable[[], Awaitable[Content]]
Slot = tuple[PostKind, str, ChannelRef]
OnPost = Callable[[str, str], None]  # (kind, platform) of each message posted


def backoff(failures: int) -> timedelta:
    """30 s after the first failure, doubling, at most 30 minutes."""
    delay: timedelta = FIRST_RETRY * 2 ** max(failures - 1, 0)
    return min(delay, MAX_RETRY)


def describe(slot: Slot) -> str:
    kind, subject, channel = slot
    what = {
        PostKind.POLL: f"poll {subject}",
        PostKind.RESULTS: f"the results of {subject}",
        PostKind.PROMPT: f"prompt {subject.replace('@', ' of ')}",
    }[kind]
    return f"{what} in {channel.platform} channel {channel.id}"


class Publisher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        adapters: dict[str, Adapter],
        on_post: OnPost | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.adapters = adapters
        self.on_post = on_post
        self._confirmed: dict[Slot, MessageRef] = {}
        self._failing: dict[Slot, str] = {}  # slot -> the reason already logged
        self._retry_at: dict[Slot, datetime] = {}  # backing off until then

    def next_retry(self) -> datetime | None:
        """When a post that failed may be tried again (for the scheduling loop)."""
        return min(self._retry_at.values(), default=None)

    def new_pass(self, *kinds: PostKind) -> None:
        """A pass over everything of these kinds that should be posted begins: forget
        their retry times, so posts nobody asks for any more (a channel removed from the
        config, a poll closed) stop waking the loop. The pass sets them again."""
        for slot in [s for s in self._retry_at if s[0] in kinds]:
            del self._retry_at[slot]

    async def publish(
        self, kind: PostKind, subject: str, channel: ChannelRef, build: Build
    ) -> MessageRef | None:
        """The post's message, posting it if nobody has; None while it is not posted
        (refused and backing off, or being sent by another process right now)."""
        slot = (kind, subject, channel)
        if slot in self._confirmed:
            return self._confirmed[slot]
        adapter = self.adapters[channel.platform]
        if kind is PostKind.POLL and not adapter.limits.persistent_messages:
            return await self._post_for_this_process(slot, adapter, build)
        now = self.clock.now()
        known = await self.store.get_post(kind, subject, channel)
        if known is not None and known.message is not None:
            self._confirmed[slot] = known.message
            return known.message
        steal_from: str | None = None
        if known is not None and known.not_before > now:
            if not self._holder_gone(known):
                self._retry_at[slot] = known.not_before  # held elsewhere, or backing off
                return None
            steal_from = known.holder  # its sender died here: no need to wait out the hold
        me = process_identity.current()
        claim = await self.store.take_post(kind, subject, channel, now, now + HOLD, me, steal_from)
        if claim is None:  # another process took it a moment ago
            self._retry_at[slot] = now + HOLD
            return None
        self._retry_at.pop(slot, None)
        message: MessageRef | None = None
        if claim.last_sent_at is not None:  # an earlier send may have landed
            try:
                message = await self._find(slot, adapter, claim)
            except Exception as error:
                if not self._may_resend_blind(adapter, claim):
                    await self._failed(slot, claim, CANNOT_TELL.format(why=error), error)
                    return None
        if message is None:
            message = await self._send(slot, adapter, claim, build)
        if message is not None:
            await self.store.confirm_post(claim, message, self.clock.now())
            self._confirmed[slot] = message
        return message

    @staticmethod
    def _holder_gone(claim: PostClaim) -> bool:
        holder = claim.holder
        return (
            holder is not None
            and holder != process_identity.current()
            and (process_identity.is_gone(holder))
        )

    async def _find(self, slot: Slot, adapter: Adapter, claim: PostClaim) -> MessageRef | None:
        """Look on the platform for what the latest send left; raises when it cannot
        tell (no permission to read the channel's history, network)."""
        assert claim.last_sent_at is not None
        found = await adapter.find_sent(claim.channel, claim.key, claim.last_sent_at - CLOCK_SLACK)
        if found is not None:
            log.info("%s had been posted before: found it, not posting it again", describe(slot))
        return found

    def _may_resend_blind(self, adapter: Adapter, claim: PostClaim) -> bool:
        """Without a look at the channel, sending again is safe only while the platform
        itself refuses a second message for the key (Discord's nonce window)."""
        assert claim.last_sent_at is not None
        window = timedelta(seconds=adapter.limits.resend_window)
        return self.clock.now() - claim.last_sent_at < window

    async def _send(
        self, slot: Slot, adapter: Adapter, claim: PostClaim, build: Build
    ) -> MessageRef | None:
        try:
            content = await build()
            await self.store.post_sending(claim, self.clock.now())
            message = await adapter.send(claim.channel, content, key=claim.key)
        except Exception as error:
            await self._failed(slot, claim, str(error) or type(error).__name__, error)
            return None
        tries = f" after {claim.attempts + 1} tries" if claim.attempts else ""
        self._posted(slot)
        log.info("posted %s%s", describe(slot), tries)
        return message

    async def _failed(self, slot: Slot, claim: PostClaim, reason: str, error: Exception) -> None:
        retry_at = self.clock.now() + backoff(claim.attempts + 1)
        await self.store.post_failed(claim, reason, retry_at)
        self._retry_at[slot] = retry_at
        self._log_failure(slot, reason, error)

    async def _post_for_this_process(
        self, slot: Slot, adapter: Adapter, build: Build
    ) -> MessageRef | None:
        """Messages that do not outlive the process (console): post once per process."""
        _, subject, channel = slot
        try:
            message = await adapter.send(channel, await build())
        except Exception as error:
            self._log_failure(slot, str(error) or type(error).__name__, error)
            return None
        self._posted(slot)
        await self.store.record_message(subject, message, self.clock.now())
        self._confirmed[slot] = message
        return message

    def _posted(self, slot: Slot) -> None:
        self._failing.pop(slot, None)
        if self.on_post is not None:
            self.on_post(slot[0].value, slot[2].platform)

    def _log_failure(self, slot: Slot, reason: str, error: Exception) -> None:
        """Once per post and reason until it lands: a refused post is retried quietly."""
        if self._failing.get(slot) == reason:
            log.debug("%s still cannot be posted: %s", describe(slot), reason)
            return
        self._failing[slot] = reason
        log.warning(
            "could not post %s: %s; trying again later",
            describe(slot),
            reason,
            # Our own errors explain themselves; anything else gets its traceback, once.
            exc_info=None if isinstance(error, EngageBotError) else error,
        )
