"""Vote buttons that survive restarts, and private replies inside Discord's 3 s window.

Clicks are matched by EngageClient.on_interaction, which discord.py calls for every
interaction: an id starting with `v1:` goes to the app (clicks on messages posted by an
earlier process, and stale or forged ids, all reach it and are answered politely); any
other id gets the same polite words. discord.py keeps no view per message (`Layout` is
not dispatchable) and no DynamicItem is registered: with one, discord.py rebuilds the
clicked message's whole view (`View.from_message`) on every click — a tenth of the CPU a
click costs — only to find the button, and keeps every posted view in memory."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import ui

from bot.core.actions import ACTION_PREFIX

log = logging.getLogger(__name__)

# Matched in full: an id with anything after or before ours is not ours.
TEMPLATE = re.compile(re.escape(ACTION_PREFIX) + r"[\s\S]*")
MAX_REPLY = 2000  # characters in a message's content
# Defer (ephemeral "thinking…") if the app has not replied by then; Discord allows 3 s.
DEFER_AFTER = 1.5


class Layout(ui.LayoutView):
    """What a message shows. Not dispatchable: discord.py does not store it per message
    (clicks are matched by custom_id in EngageClient.on_interaction instead)."""

    def is_dispatchable(self) -> bool:
        return False


def claims(custom_id: str) -> bool:
    """True when a click on this custom_id goes to the app as a vote."""
    return TEMPLATE.fullmatch(custom_id) is not None


def vote_button(action_id: str, *, label: str, disabled: bool) -> ui.Button[Layout]:
    style = discord.ButtonStyle.secondary if disabled else discord.ButtonStyle.primary
    return ui.Button(custom_id=action_id, label=label, style=style, disabled=disabled)


class InteractionResponder:
    """Responder for one interaction: an ephemeral reply (flags 64).

    The app replies only after the vote is stored. If that takes longer than
    `defer_after`, the interaction is first deferred as ephemeral "thinking…" and the
    reply then replaces it, so the 3 s acknowledgement window always holds."""

    def __init__(self, interaction: discord.Interaction[Any], defer_after: float = DEFER_AFTER):
        self._interaction = interaction
        self._defer_after = defer_after
        self._lock = asyncio.Lock()
        self._deferred = False
        self.replied = False
        # A timer, not a sleeping task per click: most replies come long before it.
        self._timer: asyncio.TimerHandle | None = None
        self._deferring: asyncio.Task[None] | None = None  # once the timer fired

    def arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._defer_after, self._start_deferring)

    def disarm(self) -> None:
        """No deferral from now on; one already under way finishes (the reply waits)."""
        if self._timer is not None:
            self._timer.cancel()

    def _start_deferring(self) -> None:
        self._deferring = asyncio.create_task(self._defer())

    async def reply_private(self, text: str) -> None:
        text = text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…"
        interaction = self._interaction
        async with self._lock:
            try:
                if self._deferred:
                    await interaction.edit_original_response(content=text)
                elif not interaction.response.is_done():
                    await interaction.response.send_message(text, ephemeral=True)
                else:
                    await interaction.followup.send(text, ephemeral=True)
            except (discord.HTTPException, discord.RateLimited) as exc:
                # The vote (or command) already happened; only the answer was lost,
                # e.g. the token expired. Retrying would only add invalid requests.
                log.warning("could not deliver a private reply on Discord: %s", exc)
            self.replied = True

    async def _defer(self) -> None:
        async with self._lock:
            if self.replied or self._interaction.response.is_done():
                return
            try:
                await self._interaction.response.defer(ephemeral=True, thinking=True)
                self._deferred = True
            except (discord.HTTPException, discord.RateLimited) as exc:
                log.warning("could not defer a Discord interaction: %s", exc)
