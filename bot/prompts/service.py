"""Posting daily prompts exactly once per day and channel, and counting replies.

Each post is claimed in the database (unique per prompt, local date and channel) before
it is sent. A crash between the claim and the platform's answer therefore skips that
one post rather than risk posting it twice: the merchant's channel never sees the same
day's question twice."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import LoadedConfig
from bot.config.schema import PromptConfig
from bot.core.content import PromptMessage
from bot.core.events import MessageReceived
from bot.core.refs import ChannelRef, MessageRef
from bot.prompts.rotation import question_index
from bot.prompts.schedule import Occurrence, next_occurrence, occurrence_on
from bot.storage.base import PromptPost, Store

log = logging.getLogger(__name__)

# With catch_up: none, a post this late still counts as on time (the loop's own lag).
ON_TIME_GRACE = timedelta(minutes=10)
THREAD_NAME_LENGTH = 90  # Discord allows 100 characters

Post = Callable[[ChannelRef, PromptMessage], Awaitable[MessageRef]]
Targets = Callable[[list[str]], list[ChannelRef]]


class PromptService:
    def __init__(self, config: LoadedConfig, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        # Prompt days fully claimed by this process: skip them without asking the store.
        self._done: set[tuple[str, date]] = set()

    @property
    def prompts(self) -> list[PromptConfig]:
        return list(self.config.settings.prompts)

    def zone(self, prompt: PromptConfig) -> ZoneInfo:
        return ZoneInfo(prompt.timezone) if prompt.timezone else self.config.zone

    # -- when ---------------------------------------------------------------------------

    def due_now(self, now: datetime | None = None) -> list[Occurrence]:
        """Today's occurrences (in each prompt's zone) that are due and not too late for
        the prompt's catch-up policy. Past days are never caught up."""
        now = now or self.clock.now()
        due: list[Occurrence] = []
        for prompt in self.prompts:
            zone = self.zone(prompt)
            today = occurrence_on(prompt, zone, now.astimezone(zone).date())
            if today is None or today.due_at > now:
                continue
            if prompt.catch_up == "none" and now - today.due_at > ON_TIME_GRACE:
                continue
            due.append(today)
        return due

    def next_due(self, after: datetime | None = None) -> datetime | None:
        """The first prompt time strictly after `after` (default: now). Pass the time of
        the last due_now() check, so a time passing between the two is not skipped."""
        after = after or self.clock.now()
        found = (next_occurrence(p, self.zone(p), after) for p in self.prompts)
        return min((o.due_at for o in found if o is not None), default=None)

    # -- posting ------------------------------------------------------------------------

    async def content_for(
        self, prompt: PromptConfig, occurrence: Occurrence
    ) -> tuple[PromptMessage, int]:
        """The day's question (the same in every channel) and its index in the set."""
        seq = await self.store.claim_prompt_day(prompt.id, occurrence.local_date)
        index = question_index(prompt.order, prompt.id, seq, len(prompt.questions))
        question = prompt.questions[index]
        wants_thread = prompt.thread if question.thread is None else question.thread
        name = question.text
        if len(name) > THREAD_NAME_LENGTH:
            name = name[: THREAD_NAME_LENGTH - 1] + "…"
        return PromptMessage(
            prompt_id=prompt.id,
            text=question.text,
            image=self.config.image(question.image),
            open_thread=wants_thread,
            thread_name=name,
        ), index

    async def post(self, occurrence: Occurrence, targets: list[ChannelRef], send: Post) -> int:
        """Post one occurrence to every target channel not yet claimed; returns posts sent."""
        prompt = self.config.prompt(occurrence.prompt_id)
        if prompt is None:
            return 0  # removed from the config since it was found due
        key = (prompt.id, occurrence.local_date)
        if key in self._done:
            return 0
        existing = await self.store.prompt_posts(prompt.id, since=occurrence.due_at)
        taken = {p.channel for p in existing if p.local_date == occurrence.local_date}
        targets = [channel for channel in targets if channel not in taken]
        if not targets:
            self._done.add(key)
            return 0
        content, index = await self.content_for(prompt, occurrence)
        sent = 0
        for channel in targets:
            claimed = await self.store.claim_prompt_post(
                prompt.id,
                occurrence.local_date,
                channel,
                index,
                occurrence.due_at,
                self.clock.now(),
            )
            if not claimed:
                continue
            try:
                message = await send(channel, content)
            except Exception:
                # Claimed but maybe not posted: not retried, so it is never posted twice.
                log.exception("could not post prompt %s to %s", prompt.id, channel)
                continue
            await self.store.record_prompt_post(
                prompt.id, occurrence.local_date, message, self.clock.now()
            )
            sent += 1
        self._done.add(key)
        return sent

    # -- replies ------------------------------------------------------------------------

    async def record_reply(self, event: MessageReceived) -> PromptPost | None:
        """Count a message as a reply if it answers a prompt post; None otherwise."""
        for ref in (event.thread_of, event.reply_to):
            if ref is None:
                continue
            post = await self.store.find_prompt_post(ref)
            if post is None:
                continue
            reply_id = event.message_id or f"unidentified:{uuid.uuid4().hex}"
            await self.store.record_prompt_reply(post, reply_id, event.user, self.clock.now())
            return post
        return None
