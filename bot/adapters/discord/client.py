"""The discord.py client: gateway events in, translated to the app's neutral events.

Intents are the minimum: `guilds` (roles for staff checks, channels, threads) and
`guild_messages` (replies and thread messages, counted as engagement). The privileged
message_content intent is not requested: counting a reply needs who, where and what it
answers, not its text — so MessageReceived.text is usually empty."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import discord
from discord import app_commands

from bot import messages
from bot.adapters.discord.commands import StaffRule, poll_commands
from bot.adapters.discord.items import DEFER_AFTER, InteractionResponder, claims
from bot.core.events import ActionInvoked, CommandInvoked, Event, EventSink, MessageReceived
from bot.core.refs import ChannelRef, MessageRef, UserRef

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Messages people write: plain ones and replies. Joins, pins, thread starters are not.
_CHAT_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    return wanted


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.display_name)


def channel_ref(channel_id: int | None) -> ChannelRef:
    return ChannelRef(PLATFORM, str(channel_id or ""))


# The bot never joins voice: don't warn merchants about missing voice libraries.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class _Tree(app_commands.CommandTree["EngageClient"]):
    async def on_error(
        self, interaction: discord.Interaction[EngageClient], error: app_commands.AppCommandError
    ) -> None:
        # e.g. a command Discord still shows but this version no longer has
        log.warning("slash command failed before reaching the app: %s", error)


class EngageClient(discord.Client):
    def __init__(
        self,
        staff: StaffRule,
        *,
        defer_after: float = DEFER_AFTER,
        **options: Any,
    ) -> None:
        super().__init__(
            intents=intents(),
            max_messages=None,  # no message cache: we never read old messages back
            chunk_guilds_at_startup=False,
            allowed_mentions=discord.AllowedMentions.none(),  # a post never pings anyone
            **options,
        )
        self.sink: EventSink | None = None
        self.staff = staff
        self.defer_after = defer_after
        self.tree: app_commands.CommandTree[EngageClient] = _Tree(self)
        self.threads: dict[int, int] = {}  # thread id -> parent channel id, ours + seen
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- clicks and commands ------------------------------------------------------------

    async def on_vote_click(self, interaction: discord.Interaction[Any], action_id: str) -> None:
        message = None
        if interaction.message is not None:
            message = MessageRef(channel_ref(interaction.channel_id), str(interaction.message.id))
        responder = InteractionResponder(interaction, self.defer_after)
        event = ActionInvoked(
            user=user_ref(interaction.user),
            action_id=action_id,
            delivery_id=f"{PLATFORM}:{interaction.id}",
            occurred_at=discord.utils.snowflake_time(interaction.id),
            responder=responder,
            message=message,
            locale=interaction.locale.value,
        )
        await self._deliver(event, responder)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Every click, on any message, old or new (see items.py). One on a component
        that is not ours (an id another bot or version made, or a forged one) would
        otherwise show "This interaction failed": it is answered privately instead and
        changes nothing."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if claims(custom_id):
            await self.on_vote_click(interaction, custom_id)
            return
        log.info("Discord click on a button that is not ours: %r", custom_id[:100])
        await InteractionResponder(interaction).reply_private(messages.UNKNOWN_POLL.format())

    async def on_poll_command(
        self, interaction: discord.Interaction[Any], name: str, args: tuple[str, ...]
    ) -> None:
        responder = InteractionResponder(interaction, self.defer_after)
        event = CommandInvoked(
            user=user_ref(interaction.user),
            channel=channel_ref(interaction.channel_id),
            name=name,
            args=args,
            is_staff=self.staff.allows(interaction.user),
            responder=responder,
            locale=interaction.locale.value,
        )
        await self._deliver(event, responder)

    def add_poll_commands(self, guild_ids: list[int]) -> None:
        group = poll_commands(self.on_poll_command)
        if guild_ids:
            self.tree.add_command(group, guilds=[discord.Object(g) for g in guild_ids])
        else:
            self.tree.add_command(group)

    async def drain(self, timeout: float) -> None:
        """Take no new events; give the ones being handled time to answer their user."""
        self.sink = None
        with suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    async def _deliver(self, event: Event, responder: InteractionResponder) -> None:
        sink = self.sink
        if sink is None:  # stopping: say so rather than leave "interaction failed"
            await responder.reply_private(messages.DISCORD_STOPPING.format())
            return
        self._busy += 1
        self._idle.clear()
        responder.arm()
        try:
            await sink.handle(event)
        except Exception:
            log.exception("could not handle a Discord %s", type(event).__name__)
        finally:
            responder.disarm()
            self._busy -= 1
            if not self._busy:
                self._idle.set()
        if not responder.replied:
            log.warning("the app did not answer a Discord %s", type(event).__name__)

    def connected_shards(self) -> tuple[int, ...]:
        """Shards whose gateway connection is open (plain Client: shard 0, or its one)."""
        if self.ws is not None and self.ws.open:
            return (self.shard_id or 0,)
        return ()

    # -- chat messages: replies and thread posts count as engagement -------------------

    async def on_message(self, message: discord.Message) -> None:
        if self.sink is None or message.author.bot or message.type not in _CHAT_TYPES:
            return
        channel = channel_ref(message.channel.id)
        reply_to = None
        reference = message.reference
        if reference is not None and reference.message_id is not None:
            target = reference.channel_id or message.channel.id
            reply_to = MessageRef(channel_ref(target), str(reference.message_id))
        thread_of = None
        parent = self._thread_parent(message.channel)
        if parent is not None:
            # A thread started from a message has that message's id (Discord's rule).
            thread_of = MessageRef(channel_ref(parent), str(message.channel.id))
        event = MessageReceived(
            user=user_ref(message.author),
            channel=channel,
            text=message.content,
            reply_to=reply_to,
            thread_of=thread_of,
            message_id=str(message.id),  # a RESUME replay repeats it: counted once
        )
        try:
            await self.sink.handle(event)
        except Exception:
            log.exception("could not handle a Discord message")

    async def on_thread_create(self, thread: discord.Thread) -> None:
        if thread.parent_id is not None:
            self.threads[thread.id] = thread.parent_id

    def _thread_parent(self, channel: Any) -> int | None:
        if isinstance(channel, discord.Thread):
            return channel.parent_id
        return self.threads.get(getattr(channel, "id", 0))


class ShardedEngageClient(EngageClient, discord.AutoShardedClient):
    """EngageClient over the gateway shards this process was given (shard_count and
    shard_ids): Discord sends each shard the events of its own servers only, so
    several processes split a large bot's gateway load."""

    def connected_shards(self) -> tuple[int, ...]:
        return tuple(sorted(i for i, shard in self.shards.items() if not shard.is_closed()))
