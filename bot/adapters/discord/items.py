"""Vote buttons that survive restarts, and private replies inside Discord's 3 s window.

discord.py silently drops a click whose custom_id matches no registered item (the
customer sees "This interaction failed"). Every id starting with `v1:` is therefore
matched by one DynamicItem template registered at start-up: clicks on messages posted by
an earlier process, and stale or forged ids, all reach the app, which answers politely.
Ids without our prefix are answered by EngageClient.on_interaction with the same words."""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import suppress
from typing import Any, Protocol, runtime_checkable

import discord
from discord import ui

from bot.core.actions import ACTION_PREFIX

log = logging.getLogger(__name__)

# discord.py matches it with fullmatch; other ids are answered by EngageClient.on_interaction.
TEMPLATE = re.compile(re.escape(ACTION_PREFIX) + r"[\s\S]*")
MAX_REPLY = 2000  # characters in a message's content
# Defer (ephemeral "thinking…") if the app has not replied by then; Discord allows 3 s.
DEFER_AFTER = 1.5


@runtime_checkable
class ClickTarget(Protocol):
    """The client that turns a click into an ActionInvoked (see client.py)."""

    async def on_vote_click(
        self, interaction: discord.Interaction[Any], action_id: str
    ) -> None: ...


class VoteButton(ui.DynamicItem[ui.Button[Any]], template=TEMPLATE):
    """Rebuilt by discord.py from the clicked button on every click: holds no state."""

    def __init__(self, button: ui.Button[Any]) -> None:
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        if isinstance(item, ui.Button):
            return cls(item)
        return cls(ui.Button(custom_id=match.group(0)))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if isinstance(client, ClickTarget):
            await client.on_vote_click(interaction, self.custom_id)


def claims(custom_id: str) -> bool:
    """True when VoteButton handles clicks on this custom_id."""
    return TEMPLATE.fullmatch(custom_id) is not None


def vote_button(action_id: str, *, label: str, disabled: bool) -> VoteButton:
    style = discord.ButtonStyle.secondary if disabled else discord.ButtonStyle.primary
    return VoteButton(ui.Button(custom_id=action_id, label=label, style=style, disabled=disabled))


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
        self._timer: asyncio.Task[None] | None = None
        self._timer_working = False

    def arm(self) -> None:
        self._timer = asyncio.create_task(self._defer_later())

    def disarm(self) -> None:
        if self._timer is not None and not self._timer_working:
            self._timer.cancel()

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

    async def _defer_later(self) -> None:
        with suppress(asyncio.CancelledError):
            await asyncio.sleep(self._defer_after)
            self._timer_working = True
            async with self._lock:
                if self.replied or self._interaction.response.is_done():
                    return
                try:
                    await self._interaction.response.defer(ephemeral=True, thinking=True)
                    self._deferred = True
                except (discord.HTTPException, discord.RateLimited) as exc:
                    log.warning("could not defer a Discord interaction: %s", exc)
