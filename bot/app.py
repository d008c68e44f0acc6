"""Composition root: config -> store -> services -> adapters, one scheduling loop, and a
clean shutdown that sends every pending tally edit before the process ends."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timedelta

from bot import messages
from bot.clock import Clock, SystemClock
from bot.commands import run_command
from bot.config import LoadedConfig
from bot.core.adapter import Adapter
from bot.core.content import Content, Image
from bot.core.events import ActionInvoked, AdapterReady, CommandInvoked, Event, MessageReceived
from bot.core.refs import ChannelRef, MessageRef
from bot.polls import chart
from bot.polls.live import LiveTally
from bot.polls.render import render_results
from bot.polls.results import PollResults
from bot.polls.service import PollService
from bot.prompts.service import PromptService
from bot.storage.base import PollState, Store

log = logging.getLogger(__name__)

# How often the loop looks for changes made outside this process (`engagebot close ID`).
EXTERNAL_CHANGES_INTERVAL = timedelta(seconds=5)
RETRY_AFTER_FAILURE = timedelta(seconds=30)
SHUTDOWN_GRACE = timedelta(seconds=5)
DELIVERY_MEMORY = timedelta(days=7)


class App:
    def __init__(
        self,
        config: LoadedConfig,
        store: Store,
        adapters: list[Adapter],
        clock: Clock | None = None,
        watch_interval: timedelta | None = EXTERNAL_CHANGES_INTERVAL,
    ) -> None:
        self.config = config
        self.store = store
        self.adapters = {adapter.name: adapter for adapter in adapters}
        self.clock = clock or SystemClock()
        self.watch_interval = watch_interval
        self.polls = PollService(config, store, self.clock)
        self.prompts = PromptService(config, store, self.clock)
        self.live = LiveTally(self._render_poll, self.adapters)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._reconcile_lock = asyncio.Lock()
        self._in_flight = 0  # events being handled, so shutdown can wait for them
        self._idle = asyncio.Event()
        self._idle.set()
        # Non-persistent platforms (console) get open polls posted again in each process.
        self._posted_here: set[tuple[str, ChannelRef]] = set()
        self._failed_posts: set[tuple[str, ChannelRef]] = set()
        self._messages: dict[str, list[MessageRef]] = {}  # poll id -> its messages

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        # Replays come within minutes (Discord tokens live 15 min, Slack retries for an
        # hour); older delivery ids only make the table grow.
        await self.store.prune_deliveries(self.clock.now() - DELIVERY_MEMORY)
        await self.polls.sync_config()
        for adapter in self.adapters.values():
            await adapter.start(self)
        await self.reconcile()
        await self.post_due_prompts()  # today's prompt, if it was due while we were down
        for adapter in self.adapters.values():
            await adapter.started()

    async def run(self) -> None:
        """Keep polls on schedule until stop() is called."""
        while not self._stopping.is_set():
            try:
                await self.reconcile()
                checked = self.clock.now()
                await self.post_due_prompts(checked)
                wake_at = await self.next_wake(checked)
            except Exception:
                # A failing database or platform must not end scheduling for good.
                log.exception("scheduling step failed; retrying shortly")
                wake_at = self.clock.now() + RETRY_AFTER_FAILURE
            await self.clock.sleep_until(wake_at, self._wake)
            self._wake.clear()

    async def next_wake(self, checked: datetime | None = None) -> datetime:
        """The next poll or prompt time after the last check (`checked`), or a short
        while to notice outside changes."""
        records = {r.poll_id: r for r in await self.store.list_polls()}
        now = self.clock.now()
        due = (self.polls.next_due(records), self.prompts.next_due(checked or now))
        moments = [m for m in due if m]
        if self.watch_interval is not None:
            moments.append(now + self.watch_interval)
        # Nothing scheduled and nothing to watch: sleep until woken (stop or reload).
        return max(min(moments, default=now + timedelta(days=1)), now)

    async def reload(self, config: LoadedConfig) -> None:
        """Take a new config: removed polls and prompts stop (their history stays), new
        ones are scheduled. Platforms and the database change only with a restart."""
        if config.enabled_platforms != self.config.enabled_platforms:
            log.warning("platform changes in the config take effect after a restart")
        if config.database_url != self.config.database_url:
            log.warning("a new database takes effect after a restart")
        self.config = self.polls.config = self.prompts.config = config
        await self.polls.sync_config()
        await self.reconcile()
        self._wake.set()  # the loop recomputes when to wake

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def shutdown(self) -> None:
        """Let clicks in progress finish (their reply is the acknowledgement), flush the
        edits they caused, stop adapters, then close the store (draining writes)."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), SHUTDOWN_GRACE.total_seconds())
        await self.live.flush()
        for adapter in self.adapters.values():
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s did not stop cleanly", adapter.name)
        await self.store.close()

    # -- events -------------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._dispatch(event)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _dispatch(self, event: Event) -> None:
        try:
            if isinstance(event, ActionInvoked):
                await self._on_action(event)
            elif isinstance(event, CommandInvoked):
                reply = await run_command(self.polls, event, self._after_command)
                await event.responder.reply_private(reply)
            elif isinstance(event, MessageReceived):
                post = await self.prompts.record_reply(event)
                if post is not None:
                    log.debug("reply to prompt %s counted", post.prompt_id)
            elif isinstance(event, AdapterReady):
                log.info("%s is ready", event.platform)
        except Exception:
            log.exception("could not handle %s", type(event).__name__)
            responder = getattr(event, "responder", None)
            if responder is not None:
                await responder.reply_private(messages.INTERNAL_ERROR)

    async def _on_action(self, event: ActionInvoked) -> None:
        reply = await self.polls.vote(event)
        # The vote is stored before this reply: the reply is the acknowledgement.
        await event.responder.reply_private(reply.text)
        if reply.tally_changed and reply.poll_id:
            try:
                await self._refresh_tally(reply.poll_id)
            except Exception:
                # The vote counted and the customer was told so: never follow that with
                # "nothing was changed". The next vote or the close refreshes the tally.
                log.exception("could not refresh the tally of %s", reply.poll_id)

    async def _refresh_tally(self, poll_id: str) -> None:
        poll = self.polls.poll(poll_id)
        if poll.results != "live":
            return
        # Clicks are the hot path: read a poll's messages once per scheduling pass, not
        # once per vote (reconcile() forgets them, picking up posts by other processes).
        messages_ = self._messages.get(poll_id)
        if messages_ is None:
            messages_ = self._messages[poll_id] = await self.store.poll_messages(poll_id)
        await self.live.touch(poll_id, messages_)

    # -- reconciling config, schedule and what was posted ------------------------------

    async def reconcile(self) -> None:
        """Bring chat in line with the database: open/close what is due, post open polls
        not yet posted, announce closed polls not yet announced. Safe to call any time."""
        async with self._reconcile_lock:
            self._messages.clear()
            await self.polls.apply_due()
            for record in await self.store.list_polls():
                if not self.polls.known(record.poll_id):
                    continue  # removed from the config: history stays, nothing is posted
                if record.state is PollState.OPEN:
                    await self._post_poll(record.poll_id)
                elif record.state is PollState.CLOSED and record.announced_at is None:
                    await self._announce(record.poll_id)

    async def _after_command(self) -> None:
        try:
            await self.reconcile()
        except Exception:
            # The command itself took effect; the loop retries posting shortly.
            log.exception("could not post after a staff command; retrying shortly")
        self._wake.set()  # the loop re-reads the schedule: a poll may close sooner now

    async def post_due_prompts(self, now: datetime | None = None) -> None:
        for occurrence in self.prompts.due_now(now):
            prompt = self.config.prompt(occurrence.prompt_id)
            if prompt is not None:
                targets = self.channel_targets(prompt.channels)
                await self.prompts.post(occurrence, targets, self._send)

    async def _send(self, channel: ChannelRef, content: Content) -> MessageRef:
        return await self.adapters[channel.platform].send(channel, content)

    def targets(self, poll_id: str) -> list[ChannelRef]:
        return self.channel_targets(self.polls.poll(poll_id).channels)

    def channel_targets(self, names: list[str]) -> list[ChannelRef]:
        """Each named channel on every running platform it has an id on."""
        found: list[ChannelRef] = []
        for name in names:
            for platform in self.adapters:
                channel_id = self.config.channel_id(name, platform)
                if channel_id is not None:
                    ref = ChannelRef(platform, channel_id)
                    if ref not in found:
                        found.append(ref)
        return found

    async def _post_poll(self, poll_id: str) -> None:
        """Post an open poll where it is not yet posted. Persistent platforms claim each
        post in the database first: a second process or a restart never posts it twice."""
        content: Content | None = None
        for channel in self.targets(poll_id):
            adapter = self.adapters[channel.platform]
            persistent = adapter.limits.persistent_messages
            if (poll_id, channel) in self._posted_here:
                continue
            if persistent and not await self.store.claim_poll_post(
                poll_id, channel, self.clock.now()
            ):
                self._posted_here.add((poll_id, channel))  # posted by us before, or another
                continue
            content = content or await self.polls.content(poll_id)
            try:
                message = await adapter.send(channel, content)
            except Exception:
                if persistent:
                    await self.store.release_poll_post(poll_id, channel)  # retried later
                self._log_post_failure(poll_id, channel)
                continue
            self._posted_here.add((poll_id, channel))
            await self.store.record_message(poll_id, message, self.clock.now())
            self._messages.pop(poll_id, None)

    def _log_post_failure(self, poll_id: str, channel: ChannelRef) -> None:
        """The full error once per poll and channel; retries every few seconds stay quiet."""
        if (poll_id, channel) in self._failed_posts:
            log.debug("poll %s still cannot be posted to %s", poll_id, channel)
            return
        self._failed_posts.add((poll_id, channel))
        log.exception("could not post poll %s to %s; retrying quietly", poll_id, channel)

    async def _announce(self, poll_id: str) -> None:
        """Final exact tally on every poll message, then a results post in each channel.
        Claimed first, so the results are posted once even with two processes."""
        if not await self.store.mark_announced(poll_id, self.clock.now()):
            return
        self.live.forget(poll_id)
        final = await self.polls.content(poll_id)
        messages_: list[MessageRef] = await self.store.poll_messages(poll_id)
        for message in messages_:
            adapter = self.adapters.get(message.channel.platform)
            if adapter is None:
                continue
            try:
                await adapter.edit(message, final)
            except Exception:
                log.exception("could not show the final tally on %s", message)
        runoff_id: str | None = None
        try:
            runoff_id = await self.polls.settle(poll_id)  # too close: a run-off opens now
        except Exception:
            log.exception("could not open the run-off of %s", poll_id)
        outcome = await self.polls.results(poll_id)
        results = render_results(outcome, await self._results_chart(outcome))
        for channel in self.targets(poll_id):
            try:
                await self.adapters[channel.platform].send(channel, results)
            except Exception:
                log.exception("could not post results of %s to %s", poll_id, channel)
        if runoff_id is not None:
            await self._post_poll(runoff_id)
            self._wake.set()  # the loop learns when the run-off closes

    async def _results_chart(self, outcome: PollResults) -> Image | None:
        """Draw the bar chart next to the database, off the event loop; None on failure
        (the results are posted without it)."""
        folder = chart.charts_folder(self.config.database_url, self.config.root)
        try:
            path = await asyncio.to_thread(
                chart.results_chart, outcome, folder / f"{outcome.id}.png"
            )
        except Exception:
            log.exception("could not draw the results chart of %s", outcome.id)
            return None
        return Image(path=path)

    async def _render_poll(self, poll_id: str) -> Content:
        return await self.polls.content(poll_id)
