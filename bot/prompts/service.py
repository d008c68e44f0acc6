"""Posting daily prompts exactly once per day and channel, and counting replies.

Each post goes through the post ledger (bot/publisher.py): claimed per prompt, local
date and channel, sent with the claim's key, confirmed with the message id; a crash or a
refusal is resolved the same day, so the channel gets the day's question exactly once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import LoadedConfig
from bot.config.schema import PromptConfig
from bot.core.content import Content, PromptMessage
from bot.core.events import MessageReceived
from bot.core.refs import ChannelRef, MessageRef
from bot.prompts.rotation import question_index
from bot.prompts.schedule import Occurrence, next_occurrence, occurrence_on, timing_key
from bot.storage.base import PostKind, PromptPost, PromptSetSeen, Store, prompt_subject

log = logging.getLogger(__name__)

# With catch_up: none, a post this late still counts as on time (the loop's own lag).
ON_TIME_GRACE = timedelta(minutes=10)
THREAD_NAME_LENGTH = 90  # Discord allows 100 characters

Publish = Callable[
    [PostKind, str, ChannelRef, Callable[[], Awaitable[Content]]], Awaitable[MessageRef | None]
]
Targets = Callable[[list[str]], list[ChannelRef]]


class PromptService:
    def __init__(self, config: LoadedConfig, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        # Prompt days fully claimed by this process: skip them without asking the store.
        self._done: set[tuple[str, date]] = set()
        self._seen: dict[str, PromptSetSeen] = {}  # see sync_config

    @property
    def prompts(self) -> list[PromptConfig]:
        return list(self.config.settings.prompts)

    def zone(self, prompt: PromptConfig) -> ZoneInfo:
        return ZoneInfo(prompt.timezone) if prompt.timezone else self.config.zone

    # -- when ---------------------------------------------------------------------------

    async def sync_config(self) -> None:
        """Record that the bot runs with each configured prompt set and its timing from
        now (kept if seen before): the start of what may be caught up."""
        timings = {p.id: timing_key(p, self.zone(p)) for p in self.prompts}
        self._seen = await self.store.see_prompt_sets(timings, self.clock.now())

    async def load_seen(self) -> None:
        """Read what sync_config records, without recording anything (`schedule`)."""
        self._seen = await self.store.prompt_sets()

    def catch_up_from(self, prompt: PromptConfig) -> datetime | None:
        """Since when the bot has run with this set and its current timing; None if it
        never has (then the next start sees it from that moment on)."""
        seen = self._seen.get(prompt.id)
        if seen is None or seen.schedule not in ("", timing_key(prompt, self.zone(prompt))):
            return None
        return seen.schedule_since

    def due_now(self, now: datetime | None = None) -> list[Occurrence]:
        """Today's occurrences (in each prompt's zone) that are due and not too late for
        the prompt's catch-up policy. Past days are never caught up, nor a time before
        the bot ran with the set and its current timing (as cron never runs a job for
        times before it was created): first started at 17:36, no 08:00 question."""
        now = now or self.clock.now()
        due: list[Occurrence] = []
        for prompt in self.prompts:
            zone = self.zone(prompt)
            today = occurrence_on(prompt, zone, now.astimezone(zone).date())
            if today is None or today.due_at > now:
                continue
            since = self.catch_up_from(prompt)
            if since is None or today.due_at < since:
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

    async def post(
        self, occurrence: Occurrence, targets: list[ChannelRef], publish: Publish
    ) -> int:
        """Post one occurrence in every target channel where it is not posted yet;
        returns how many channels have it now. The day's question is recorded per
        channel first, then the post goes through the post ledger (exactly once)."""
        prompt = self.config.prompt(occurrence.prompt_id)
        if prompt is None:
            return 0  # removed from the config since it was found due
        key = (prompt.id, occurrence.local_date)
        if key in self._done:
            return len(targets)
        existing = await self.store.prompt_posts(prompt.id, since=occurrence.due_at)
        confirmed = {
            p.channel
            for p in existing
            if p.local_date == occurrence.local_date and p.message_id is not None
        }
        pending = [channel for channel in targets if channel not in confirmed]
        if not pending:
            self._done.add(key)
            return len(targets)
        content, index = await self.content_for(prompt, occurrence)

        async def build() -> PromptMessage:
            return content

        subject = prompt_subject(prompt.id, occurrence.local_date)
        posted = len(targets) - len(pending)
        for channel in pending:
            await self.store.claim_prompt_post(
                prompt.id,
                occurrence.local_date,
                channel,
                index,
                occurrence.due_at,
                self.clock.now(),
            )
            if await publish(PostKind.PROMPT, subject, channel, build) is not None:
                posted += 1
        if posted == len(targets):
            self._done.add(key)  # a refused channel is tried again on the next pass
        return posted

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
