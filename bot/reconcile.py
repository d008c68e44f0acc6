"""Bring chat in line with the database: post open polls, announce closed ones (final
tally, results with a chart, a run-off when too close to call) and post due prompts.
Every post goes through the Publisher, so each happens exactly once per channel."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.config import LoadedConfig
from bot.core.content import Image, PollMessage, ResultsMessage
from bot.core.refs import ChannelRef, MessageRef
from bot.polls.leases import EditLeases
from bot.polls.live import LiveTally
from bot.polls.render import render_results
from bot.polls.results import PollResults
from bot.polls.service import PollService
from bot.prompts.service import PromptService
from bot.publisher import Publisher
from bot.storage.base import PollState, PostKind

log = logging.getLogger(__name__)


class Reconciler:
    def __init__(
        self,
        polls: PollService,
        prompts: PromptService,
        publisher: Publisher,
        live: LiveTally,
        leases: EditLeases,
    ) -> None:
        self.polls = polls
        self.prompts = prompts
        self.publisher = publisher
        self.live = live
        self.leases = leases
        self.store = polls.store
        self.clock = polls.clock
        self._lock = asyncio.Lock()
        self._messages: dict[str, list[MessageRef]] = {}  # poll id -> its messages
        self._settled: set[str] = set()  # closed polls whose final tally was shown
        self._results: dict[str, ResultsMessage] = {}  # drawn once per process
        self.runoff_opened = asyncio.Event()
        # The messages of open polls with a live tally (-> poll id), as of the last pass:
        # the edit leases a process keeps when several share the database.
        self.live_messages: dict[MessageRef, str] = {}

    @property
    def config(self) -> LoadedConfig:
        return self.polls.config

    # -- where ------------------------------------------------------------------------

    def targets(self, poll_id: str) -> list[ChannelRef]:
        return self.channel_targets(self.polls.poll(poll_id).channels)

    def channel_targets(self, names: list[str]) -> list[ChannelRef]:
        """Each named channel on every running platform it has an id on."""
        found: list[ChannelRef] = []
        for name in names:
            for platform in self.publisher.adapters:
                channel_id = self.polls.config.channel_id(name, platform)
                if channel_id is not None:
                    ref = ChannelRef(platform, channel_id)
                    if ref not in found:
                        found.append(ref)
        return found

    async def poll_messages(self, poll_id: str) -> list[MessageRef]:
        """A poll's messages, read once per pass: clicks are the hot path."""
        found = self._messages.get(poll_id)
        if found is None:
            found = self._messages[poll_id] = await self.store.poll_messages(poll_id)
        return found

    # -- the pass ---------------------------------------------------------------------

    async def run(self) -> None:
        """Open/close what is due, post open polls not yet posted, announce closed polls
        not yet announced. Safe to call any time, from any number of processes."""
        async with self._lock:
            self._messages.clear()  # picks up posts made by other processes
            self.publisher.new_pass(PostKind.POLL, PostKind.RESULTS)
            await self.polls.apply_due()
            live: dict[MessageRef, str] = {}
            for record in await self.store.list_polls():
                if not self.polls.known(record.poll_id):
                    continue  # removed from the config: history stays, nothing is posted
                if record.state is PollState.OPEN:
                    await self.post_poll(record.poll_id)
                    live |= await self._live_messages(record.poll_id)
                elif record.state is PollState.CLOSED and record.announced_at is None:
                    await self.announce(record.poll_id)
            self.live_messages = live

    async def _live_messages(self, poll_id: str) -> dict[MessageRef, str]:
        if not self.leases.shared or self.polls.poll(poll_id).results != "live":
            return {}
        return dict.fromkeys(await self.poll_messages(poll_id), poll_id)

    async def post_poll(self, poll_id: str) -> None:
        async def build() -> PollMessage:
            return await self.polls.content(poll_id)

        for channel in self.targets(poll_id):
            posted = await self.publisher.publish(PostKind.POLL, poll_id, channel, build)
            if posted is not None:
                self._messages.pop(poll_id, None)

    async def announce(self, poll_id: str) -> None:
        """Final exact tally on every poll message, then the results in each channel;
        announced once every channel has its results post."""
        runoff_id: str | None = None
        if poll_id not in self._settled:
            await self._show_final_tally(poll_id)
            try:
                runoff_id = await self.polls.settle(poll_id)  # too close: a run-off opens
            except Exception:
                log.exception("could not open the run-off of %s", poll_id)
            self._settled.add(poll_id)

        async def build() -> ResultsMessage:
            if poll_id not in self._results:
                outcome = await self.polls.results(poll_id)
                self._results[poll_id] = render_results(outcome, await self._chart(outcome))
            return self._results[poll_id]

        posted = [
            await self.publisher.publish(PostKind.RESULTS, poll_id, channel, build)
            for channel in self.targets(poll_id)
        ]
        if all(message is not None for message in posted):
            if await self.store.mark_announced(poll_id, self.clock.now()):
                log.info("results of poll %s announced in %d channel(s)", poll_id, len(posted))
            self._results.pop(poll_id, None)
        if runoff_id is not None:  # right after the results that announce it
            await self.post_poll(runoff_id)
            self.runoff_opened.set()

    async def _show_final_tally(self, poll_id: str) -> None:
        """On the messages this process may edit; a message another process holds the
        edit lease of is finished by that process (TallyWatch)."""
        self.live.forget(poll_id)
        # No lease of it is renewed any more: the final tally is the last edit.
        self.live_messages = {m: p for m, p in self.live_messages.items() if p != poll_id}
        final = await self.polls.content(poll_id)
        messages = await self.store.poll_messages(poll_id)
        mine = await self.leases.take(poll_id, messages)
        for message in mine:
            adapter = self.publisher.adapters.get(message.channel.platform)
            if adapter is None:
                continue
            try:
                await adapter.edit(message, final)
            except Exception:
                log.exception("could not show the final tally on %s", message)
        await self.leases.release(mine, keep=list(self.live_messages))

    async def _chart(self, outcome: PollResults) -> Image | None:
        """The bar chart next to the database, drawn off the event loop; None on failure
        (the results are posted without it)."""
        from bot.polls import chart  # only when a poll closes: not part of every start

        folder = chart.charts_folder(self.config.database_url, self.config.root)
        try:
            path = await asyncio.to_thread(
                chart.results_chart_in_child, outcome, folder / f"{outcome.id}.png"
            )
        except Exception:
            log.exception("could not draw the results chart of %s", outcome.id)
            return None
        return Image(path=path)

    # -- prompts ----------------------------------------------------------------------

    async def post_due_prompts(self, now: datetime | None = None) -> None:
        self.publisher.new_pass(PostKind.PROMPT)
        for occurrence in self.prompts.due_now(now):
            prompt = self.config.prompt(occurrence.prompt_id)
            if prompt is not None:
                targets = self.channel_targets(prompt.channels)
                await self.prompts.post(occurrence, targets, self.publisher.publish)
