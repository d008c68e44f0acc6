"""Slack payloads in, neutral events out: button clicks, the staff slash command, and
messages (thread replies to daily prompts count as engagement).

Every listener catches and logs its own errors: slack-bolt can lose an ack when a
listener raises, and one bad payload must not stop the next."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import messages
from bot.adapters.slack.deliveries import RecentDeliveries
from bot.adapters.slack.responders import ClickResponder, CommandResponder
from bot.adapters.slack.staff import StaffDirectory
from bot.clock import Clock
from bot.core.actions import ACTION_PREFIX
from bot.core.events import ActionInvoked, CommandInvoked, EventSink, MessageReceived
from bot.core.refs import ChannelRef, MessageRef, UserRef

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Slack wants every request acknowledged within 3 s; leave room for the round trip.
ACK_DEADLINE = 2.5
# `/engage list` is the app's "polls" command; the others keep their names.
SUBCOMMANDS = {
    "list": "polls",
    "polls": "polls",
    "results": "results",
    "open": "open",
    "close": "close",
}
# Message subtypes written by people; edits, deletions and joins are not engagement.
HUMAN_SUBTYPES = (None, "thread_broadcast", "file_share")

# (channel, user, text, response_url): a private reply, however it can be delivered.
Ephemeral = Callable[[str, str, str, str | None], Awaitable[None]]


class Inbound:
    def __init__(
        self,
        sink: EventSink,
        staff: StaffDirectory,
        clock: Clock,
        ephemeral: Ephemeral,
        deliveries: RecentDeliveries | None = None,
    ) -> None:
        self._sink = sink
        self._staff = staff
        self._clock = clock
        self._ephemeral = ephemeral
        self._deliveries = deliveries or RecentDeliveries()

    def register(self, bolt: AsyncApp) -> None:
        # Votes by prefix, not one id per option: a stale or forged id still reaches the
        # app and gets a polite reply instead of no ack at all.
        bolt.block_action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_click)
        # Any other button id (an older version's, or a forgery) gets the same treatment.
        bolt.block_action(re.compile(""))(self.on_click)
        # Whatever the command is called in the Slack app's settings, it is ours.
        bolt.command(re.compile(r"^/"))(self.on_command)
        bolt.event("message")(self.on_message)

    # -- clicks -------------------------------------------------------------------------

    async def on_click(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        request: AsyncBoltRequest,
        respond: AsyncRespond | None = None,
    ) -> None:
        try:
            action = (body.get("actions") or [{}])[0]
            user = body.get("user") or {}
            user_id = str(user.get("id") or "")
            action_id = str(action.get("action_id") or "")
            action_ts = str(action.get("action_ts") or "")
            team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
            # Everything here is repeated identically when Slack re-sends the click.
            delivery = f"slack:{team}:{action_ts}:{user_id}:{action_id}"
            if not user_id:
                await ack()
                return
            if await self._repeat(delivery, request):
                await ack()
                return
            container = body.get("container") or {}
            channel_id = str(
                container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
            )
            message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")

            response_url = _response_url(body, respond)

            async def post(text: str) -> None:
                await self._ephemeral(channel_id, user_id, text, response_url)

            responder = ClickResponder(ack, post)
            channel = ChannelRef(PLATFORM, channel_id)
            event = ActionInvoked(
                user=UserRef(
                    PLATFORM, user_id, str(user.get("name") or user.get("username") or "")
                ),
                action_id=action_id,
                delivery_id=delivery,
                occurred_at=self._when(action_ts),
                responder=responder,
                message=MessageRef(channel, str(message_ts)) if channel_id and message_ts else None,
            )
            try:
                await self._sink.handle(event)
            finally:
                self._deliveries.finish(delivery)
        except Exception:
            log.exception("a Slack click could not be handled")
        finally:
            if ack.response is None:  # the app always replies; should it not, still ack
                with suppress(Exception):
                    await ack()

    # -- the staff command --------------------------------------------------------------

    async def on_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond | None = None
    ) -> None:
        channel_id = str(body.get("channel_id") or "")
        user_id = str(body.get("user_id") or "")
        response_url = _response_url(body, respond)

        async def post(text: str) -> None:
            await self._ephemeral(channel_id, user_id, text, response_url)

        responder = CommandResponder(ack, post)
        try:
            words = str(body.get("text") or "").split()
            name = SUBCOMMANDS.get(words[0].lower()) if words else None
            if name is None:
                command = str(body.get("command") or "/engage")
                await responder.reply_private(messages.SLACK_COMMAND_USAGE.format(command=command))
                return
            work = asyncio.ensure_future(self._command(body, name, tuple(words[1:]), responder))
            done, _ = await asyncio.wait({work}, timeout=ACK_DEADLINE)
            if not done:  # e.g. closing a poll waits for rate-limited edits
                await responder.acknowledge(messages.SLACK_WORKING.format())
            await work
        except Exception:
            log.exception("a Slack command could not be handled")
        finally:
            if ack.response is None:
                with suppress(Exception):
                    await ack(text=messages.INTERNAL_ERROR.format(), response_type="ephemeral")

    async def _command(
        self, body: dict[str, Any], name: str, args: tuple[str, ...], responder: CommandResponder
    ) -> None:
        user_id = str(body.get("user_id") or "")
        event = CommandInvoked(
            user=UserRef(PLATFORM, user_id, str(body.get("user_name") or "")),
            channel=ChannelRef(PLATFORM, str(body.get("channel_id") or "")),
            name=name,
            args=args,
            is_staff=bool(user_id) and await self._staff.is_staff(user_id),
            responder=responder,
        )
        await self._sink.handle(event)

    # -- messages -----------------------------------------------------------------------

    async def on_message(
        self, event: dict[str, Any], body: dict[str, Any], request: AsyncBoltRequest
    ) -> None:
        try:
            if event.get("subtype") not in HUMAN_SUBTYPES or event.get("bot_id"):
                return
            user_id, channel_id = event.get("user"), event.get("channel")
            if not user_id or not channel_id:
                return
            key = f"slack:event:{body.get('event_id') or event.get('ts')}"
            if await self._repeat(key, request):
                return
            try:
                channel = ChannelRef(PLATFORM, str(channel_id))
                ts, thread_ts = event.get("ts"), event.get("thread_ts")
                # A reply in a thread names its parent; the app knows which are prompts.
                parent = (
                    MessageRef(channel, str(thread_ts)) if thread_ts and thread_ts != ts else None
                )
                await self._sink.handle(
                    MessageReceived(
                        user=UserRef(PLATFORM, str(user_id)),
                        channel=channel,
                        text=str(event.get("text") or ""),
                        thread_of=parent,
                        # ts is unique within a channel; replays of the event repeat it
                        message_id=f"{channel_id}:{ts}",
                    )
                )
            finally:
                self._deliveries.finish(key)
        except Exception:
            log.exception("a Slack message event could not be handled")

    # -- helpers ------------------------------------------------------------------------

    async def _repeat(self, key: str, request: AsyncBoltRequest) -> bool:
        """True when this delivery was already handled (or is being handled) here."""
        first = self._deliveries.begin(key)
        if first is None:
            return False
        retry = request.headers.get("x-slack-retry-num", ["?"])
        log.info(
            "Slack delivered %s again (retry %s); handled once", key, retry[0] if retry else "?"
        )
        with suppress(TimeoutError):
            await asyncio.wait_for(first.wait(), ACK_DEADLINE)
        return True

    def _when(self, slack_ts: str) -> datetime:
        """The click's time as Slack recorded it (action_ts, seconds since the epoch)."""
        try:
            return datetime.fromtimestamp(float(slack_ts), UTC)
        except (ValueError, OverflowError, OSError):
            return self._clock.now()


def _response_url(body: dict[str, Any], respond: AsyncRespond | None) -> str | None:
    """Where bolt's `respond` would post for this request (None when Slack sent none)."""
    if respond is not None and respond.response_url:
        return respond.response_url
    url = body.get("response_url")
    return str(url) if url else None
