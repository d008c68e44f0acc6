"""Composition root: config -> store -> services -> adapters, one scheduling loop, and a
clean shutdown that sends every pending tally edit before the process ends."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractContextManager, suppress
from datetime import datetime, timedelta

from bot import i18n, messages
from bot.clock import Clock, SystemClock
from bot.commands import run_command
from bot.config import LoadedConfig
from bot.core.adapter import Adapter
from bot.core.content import Content
from bot.core.events import ActionInvoked, AdapterReady, CommandInvoked, Event, MessageReceived
from bot.core.refs import ChannelRef
from bot.errors import StorageError
from bot.fault_log import FaultLog
from bot.metrics import Metrics
from bot.polls.leases import EditLeases
from bot.polls.live import LiveTally
from bot.polls.service import PollService
from bot.polls.tally_watch import TallyWatch
from bot.prompts.service import PromptService
from bot.publisher import Publisher
from bot.reconcile import Reconciler
from bot.storage.base import Store
from bot.storage.sqlite.writer import WriterStats
from bot.summary import describe_ready

log = logging.getLogger(__name__)

# How often the loop looks for changes made outside this process (`engagebot close ID`).
EXTERNAL_CHANGES_INTERVAL = timedelta(seconds=5)
RETRY_AFTER_FAILURE = timedelta(seconds=30)
SHUTDOWN_GRACE = timedelta(seconds=5)
DELIVERY_MEMORY = timedelta(days=7)
# How the log counts events that failed after the first (see FaultLog).
FAILED_EVENTS = {
    "ActionInvoked": "votes refused",
    "CommandInvoked": "staff commands failed",
    "MessageReceived": "prompt replies not recorded",
}


class Pulse:
    """Tells whoever waits that polls may have changed (a vote, an open, a close): the
    dashboard's live pages re-read what they show."""

    def __init__(self) -> None:
        self.count = 0
        self._event = asyncio.Event()

    def beat(self) -> None:
        self.count += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    @property
    def event(self) -> asyncio.Event:
        """Set at the next beat."""
        return self._event


class App:
    def __init__(
        self,
        config: LoadedConfig,
        store: Store,
        adapters: list[Adapter],
        clock: Clock | None = None,
        watch_interval: timedelta | None = EXTERNAL_CHANGES_INTERVAL,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.adapters = {adapter.name: adapter for adapter in adapters}
        self.clock = clock or SystemClock()
        self.watch_interval = watch_interval
        self.polls = PollService(config, store, self.clock)
        self.prompts = PromptService(config, store, self.clock)
        self.metrics = metrics or Metrics()
        self.changes = Pulse()
        self.ready: set[str] = set()  # platforms that reported AdapterReady
        # One process at a time edits a message (a workspace, where edits share a budget).
        budgets = [a.name for a in adapters if a.limits.edits_share_a_budget]
        self.leases = EditLeases(store, self.clock, per_workspace=budgets)
        self.live = LiveTally(
            self._render_poll,
            self.adapters,
            self.clock,
            self.metrics.count_tally_edit,
            self.leases.may_edit,
        )
        self.publisher = Publisher(store, self.clock, self.adapters, self.metrics.count_post)
        self.chat = Reconciler(self.polls, self.prompts, self.publisher, self.live, self.leases)
        self.tally_watch = TallyWatch(
            self.leases,
            self.live,
            store,
            self.clock,
            lambda: self.chat.live_messages,
            self.polls.known,
        )
        self._watching: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._in_flight = 0  # events being handled, so shutdown can wait for them
        self._idle = asyncio.Event()
        self._idle.set()
        self._previous_locale = i18n.DEFAULT_LOCALE
        self.faults = FaultLog(log, self.clock)  # a storage fault: one traceback, then counts

    # -- lifecycle ----------------------------------------------------------------------

    def speaking(self) -> AbstractContextManager[None]:
        """The store's locale (store.locale) for everything done inside; tasks started
        inside keep it."""
        return i18n.use(self.config.settings.store.locale)

    def _reader_locale(self, event: Event) -> str | None:
        """A customer's own language for private replies, when the store lists it."""
        wanted = getattr(event, "locale", None)
        store = self.config.settings.store
        return i18n.pick(wanted, list(store.locales), store.locale)

    async def start(self) -> None:
        self._previous_locale = i18n.set_process_default(self.config.settings.store.locale)
        with self.speaking():
            await self._start()

    async def _start(self) -> None:
        stats = getattr(self.store, "writer_stats", None)
        if isinstance(stats, WriterStats):
            stats.on_commit = self.metrics.observe_batch
        self.metrics.watch_logs()
        await self.store.open()
        # Replays come within minutes (Discord tokens live 15 min, Slack retries for an
        # hour); older delivery ids only make the table grow.
        await self.store.prune_deliveries(self.clock.now() - DELIVERY_MEMORY)
        moved = await self.polls.sync_config()
        await self.prompts.sync_config()  # what may be caught up starts now
        for adapter in self.adapters.values():
            await adapter.start(self)
        await self.reconcile()
        if self.leases.shared:  # other processes' votes reach the messages we edit
            self._watching = asyncio.create_task(self.tally_watch.run(self._stopping))
        await self.show_close_times(moved)
        await self.post_due_prompts()  # today's prompt, if it was due while we were down
        for adapter in self.adapters.values():
            await adapter.started()

    async def run(self) -> None:
        """Keep polls on schedule until stop() is called."""
        with self.speaking():
            await self._run()

    async def _run(self) -> None:
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
            if not self._wake.is_set():  # woke on time, not woken early by a change
                lag = (self.clock.now() - wake_at).total_seconds()
                self.metrics.scheduler_lag_seconds.observe(max(lag, 0.0))
            self._wake.clear()

    async def next_wake(self, checked: datetime | None = None) -> datetime:
        """The next poll or prompt time after the last check (`checked`), or a short
        while to notice outside changes."""
        records = {r.poll_id: r for r in await self.store.list_polls()}
        now = self.clock.now()
        due = (
            self.polls.next_due(records),
            self.prompts.next_due(checked or now),
            self.publisher.next_retry(),  # a refused post's next try
        )
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
        i18n.set_process_default(config.settings.store.locale)  # a new store.locale
        with self.speaking():
            moved = await self.polls.sync_config()
            await self.prompts.sync_config()
            await self.reconcile()
            await self.show_close_times(moved)
        self._wake.set()  # the loop recomputes when to wake

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def shutdown(self) -> None:
        """Let clicks in progress finish (their reply is the acknowledgement), flush the
        edits they caused, stop adapters, then close the store (draining writes)."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), SHUTDOWN_GRACE.total_seconds())
        with self.speaking():
            await self.live.flush()
        await self._stop_watching()
        for adapter in self.adapters.values():
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s did not stop cleanly", adapter.name)
        await self.store.close()
        i18n.set_process_default(self._previous_locale)
        self.metrics.unwatch_logs()
        await self.faults.close()

    async def _stop_watching(self) -> None:
        """Stop renewing edit leases and give them back: another process takes over the
        live tally at its next tick instead of when they run out."""
        if self._watching is None:
            return
        self._watching.cancel()
        with suppress(asyncio.CancelledError):
            await self._watching
        try:
            await self.leases.release()
        except Exception as error:
            log.warning("could not give back the edit leases (they run out): %s", error)

    # -- readiness ----------------------------------------------------------------------

    def platform_status(self) -> dict[str, str]:
        """Each platform: "ready", "starting" (not connected yet) or "disconnected"."""
        status: dict[str, str] = {}
        for name, adapter in self.adapters.items():
            connected = adapter.connected
            if name not in self.ready:
                status[name] = "starting"
            else:
                status[name] = "ready" if connected else "disconnected"
        return status

    # -- events -------------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            with self.speaking(), i18n.reader(self._reader_locale(event)):
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
                self.ready.add(event.platform)
                log.info(describe_ready(event.platform, event.details), extra=event.details)
        except Exception as error:
            kind = type(event).__name__
            what = FAILED_EVENTS.get(kind, f"{kind} events failed")
            self.faults.failed(kind, f"could not handle {kind}", error, what)
            responder = getattr(event, "responder", None)
            if responder is not None:
                lost = isinstance(event, ActionInvoked) and isinstance(error, StorageError)
                await responder.reply_private(
                    (messages.VOTE_NOT_RECORDED if lost else messages.INTERNAL_ERROR).format()
                )

    async def _on_action(self, event: ActionInvoked) -> None:
        received = self.clock.now()
        platform = event.user.platform
        reply = await self.polls.vote(event)
        # The vote is stored before this reply: the reply is the acknowledgement.
        await event.responder.reply_private(reply.text)
        acked = (self.clock.now() - received).total_seconds()
        self.metrics.vote_ack_seconds.labels(platform).observe(acked)
        self.metrics.count_vote(platform, reply.outcome)
        if reply.tally_changed:
            self.changes.beat()
        if reply.tally_changed and reply.poll_id:
            try:
                with i18n.public():  # the tally everyone sees
                    await self._refresh_tally(reply.poll_id)
            except Exception:
                # The vote counted and the customer was told so: never follow that with
                # "nothing was changed". The next vote or the close refreshes the tally.
                log.exception("could not refresh the tally of %s", reply.poll_id)

    async def show_close_times(self, poll_ids: list[str]) -> None:
        """Re-render polls whose closing time the config changed: their messages say it."""
        for poll_id in poll_ids:
            await self._touch(poll_id)

    async def _refresh_tally(self, poll_id: str) -> None:
        poll = self.polls.poll(poll_id)
        if poll.results != "live":
            return
        await self._touch(poll_id)

    async def _touch(self, poll_id: str) -> None:
        """Re-render the poll's messages this process may edit."""
        messages = await self.chat.poll_messages(poll_id)
        await self.live.touch(poll_id, await self.leases.mine(poll_id, messages))

    # -- bringing chat in line with the database ----------------------------------------

    async def reconcile(self) -> None:
        """Open/close what is due, post what is not posted yet (see Reconciler)."""
        await self.chat.run()
        self.changes.beat()  # a poll may have opened or closed
        if self.chat.runoff_opened.is_set():
            self.chat.runoff_opened.clear()
            self._wake.set()  # the loop learns when the run-off closes

    async def _after_command(self) -> None:
        try:
            with i18n.public():  # results and run-offs are posted for everyone
                await self.reconcile()
        except Exception:
            # The command itself took effect; the loop retries posting shortly.
            log.exception("could not post after a staff command; retrying shortly")
        self._wake.set()  # the loop re-reads the schedule: a poll may close sooner now

    async def post_due_prompts(self, now: datetime | None = None) -> None:
        await self.chat.post_due_prompts(now)

    def targets(self, poll_id: str) -> list[ChannelRef]:
        return self.chat.targets(poll_id)

    async def _render_poll(self, poll_id: str) -> Content:
        return await self.polls.content(poll_id)
