"""Discord adapter: lifecycle, and neutral content out as Components V2 messages.

Events in (clicks, /poll commands, replies) are translated in client.py; rendering is in
render.py; edits go through EditQueue (edits.py) for Discord's rate limits."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, cast

import aiohttp
import discord

from bot.adapters.discord import endpoints, lean, media
from bot.adapters.discord.client import PLATFORM, EngageClient, ShardedEngageClient
from bot.adapters.discord.commands import CatalogTranslator, StaffRule
from bot.adapters.discord.edits import EditPolicy, EditQueue
from bot.adapters.discord.items import DEFER_AFTER
from bot.adapters.discord.marker import check_key, marker_for, marker_of
from bot.adapters.discord.render import has_local_images, render
from bot.adapters.limits import DISCORD
from bot.clock import Clock, SystemClock
from bot.config.schema import DiscordConfig
from bot.core.content import Content, PollMessage, PromptMessage, ResultsMessage
from bot.core.cooldown import CoolDown
from bot.core.events import AdapterReady, EventSink
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import PlatformError

log = logging.getLogger(__name__)

# A channel Discord refused (deleted, no access), or a post it refused (400 invalid
# body, 413 too large), is not tried again for this long: the app retries unposted polls
# every few seconds, and refused requests count towards Discord's invalid-request ban.
CHANNEL_COOL_DOWN = 600.0
# A 429 asking to wait longer than this is not slept through inside discord.py (which
# would hold that message's edits): it raises, and the edit queue or cool-down decides.
RATE_LIMIT_WAIT = 30.0
# At stop: time for clicks being handled to get their answer, and for edits to land.
STOP_GRACE = 5.0
# find_sent reads this many messages of the channel, oldest first, from a little before
# the claim (our clock and Discord's may differ by this much).
HISTORY_LIMIT = 100
CLOCK_SKEW = timedelta(minutes=1)
THREAD_NAME_MAX = 100
# discord.py waits this long before each shard's IDENTIFY after the first (Discord's
# session start limit): a process with N shards needs that much longer to be ready.
IDENTIFY_SPACING = 5.0


class DiscordAdapter:
    name = PLATFORM
    limits = DISCORD

    def __init__(
        self,
        settings: DiscordConfig,
        *,
        edit_policy: EditPolicy | None = None,
        defer_after: float = DEFER_AFTER,
        ready_timeout: float = 60.0,
        guild_ready_timeout: float = 2.0,
        rate_limit_wait: float = RATE_LIMIT_WAIT,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock or SystemClock()
        self._guilds = [_snowflake(g, "platforms.discord.guilds") for g in settings.guilds]
        self._staff = StaffRule(settings.staff_users, settings.staff_roles)
        self._defer_after = defer_after
        self._ready_timeout = ready_timeout
        self._guild_ready_timeout = guild_ready_timeout
        self._rate_limit_wait = rate_limit_wait
        self._client: EngageClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self.edits: EditQueue[Content] = EditQueue(self._apply_edit, edit_policy, self._clock)
        # keyed by (channel id, what: "" for the whole channel)
        self._refused = CoolDown(self._clock)
        # message id -> its uploaded files by name (None: unknown, see _attachments_of)
        self._attached: dict[str, dict[str, int] | None] = {}
        # message id -> the claim marker it carries, set again on each edit (marker.py)
        self._markers: dict[str, int] = {}
        self._stopping = False

    @property
    def client(self) -> EngageClient:
        if self._client is None:
            raise PlatformError("the Discord adapter is not started")
        return self._client

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        endpoints.point_at(self._settings.api_base_url, self._settings.gateway_url)
        client = self._new_client()
        endpoints.rate_limit_wait(client, self._rate_limit_wait)
        if self._settings.gateway_url:
            endpoints.keep_resuming_through(client, self._settings.gateway_url)
        lean.skip_clicked_layouts(client)
        client.add_poll_commands(self._guilds)
        self._client = client
        try:
            await asyncio.wait_for(client.login(self._settings.token.get_secret_value()), 60)
        except discord.LoginFailure:
            await client.close()
            raise PlatformError(
                "Discord did not accept the bot token (platforms.discord.token): copy it "
                "again from the Developer Portal into the environment variable"
            ) from None
        except (
            discord.HTTPException,
            discord.RateLimited,
            aiohttp.ClientError,
            OSError,
            TimeoutError,
        ) as exc:
            await client.close()
            raise PlatformError(f"could not log in to Discord: {_describe(exc)}") from None
        await self._sync_commands(client)
        client.sink = sink  # before connecting: a RESUME may replay clicks right away
        self._runner = asyncio.create_task(client.connect(reconnect=True))
        ready = asyncio.create_task(client.wait_until_ready())
        shards = self._settings.shards or (0,)
        timeout = self._ready_timeout + IDENTIFY_SPACING * (len(shards) - 1)
        done, _ = await asyncio.wait(
            {ready, self._runner}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            why = "no answer from the gateway"
            if self._runner.done() and not self._runner.cancelled():
                why = _describe(self._runner.exception())
            await self.stop()
            raise PlatformError(f"could not connect to the Discord gateway: {why}")
        self._runner.add_done_callback(self._connection_ended)
        details = {"user": str(client.user), "servers": str(len(client.guilds))}
        if self._settings.shards is not None:
            details["shards"] = ",".join(str(shard) for shard in self._settings.shards)
            details["shard_count"] = str(self._settings.shard_count)
        await sink.handle(AdapterReady(PLATFORM, details))

    def _new_client(self) -> EngageClient:
        """One gateway connection without shard settings; with them, one for each
        shard this process was given (the others are other processes' to connect)."""
        options = {
            "defer_after": self._defer_after,
            "guild_ready_timeout": self._guild_ready_timeout,
            "max_ratelimit_timeout": max(RATE_LIMIT_WAIT, self._rate_limit_wait),
        }
        shards = self._settings.shards
        if shards is None:
            return EngageClient(self._staff, **options)
        return ShardedEngageClient(
            self._staff,
            shard_count=self._settings.shard_count,
            shard_ids=list(shards),
            **options,
        )

    @property
    def connected(self) -> bool:
        """Every gateway connection of this process is up: its one, or each of its
        shards' (False while discord.py reconnects any of them)."""
        client = self._client
        if client is None or client.is_closed():
            return False
        wanted = tuple(sorted(self._settings.shards or (client.shard_id or 0,)))
        return client.connected_shards() == wanted

    async def started(self) -> None:
        pass

    async def stop(self) -> None:
        self._stopping = True
        if self._client is not None:
            await self._client.drain(STOP_GRACE)
        await self.edits.close(STOP_GRACE)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            self._runner.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._runner

    def _connection_ended(self, runner: asyncio.Task[None]) -> None:
        # discord.py reconnects by itself; it only gives up on fatal closes (token reset,
        # intents refused), which need a person.
        if self._stopping or runner.cancelled():
            return
        log.error(
            "the Discord connection ended for good (%s): Discord is not served until "
            "engagebot is restarted",
            _describe(runner.exception()),
        )

    async def _sync_commands(self, client: EngageClient) -> None:
        """Register /poll in each configured server (instant), or globally without any."""
        targets: list[discord.Object | None] = [discord.Object(g) for g in self._guilds] or [None]
        await client.tree.set_translator(CatalogTranslator())
        for guild in targets:
            try:
                await client.tree.sync(guild=guild)
            except (discord.HTTPException, discord.RateLimited) as exc:
                where = f"server {guild.id}" if guild else "Discord"
                log.warning(
                    "could not register the /poll commands in %s (was the bot invited "
                    "with the applications.commands scope?): %s",
                    where,
                    exc,
                )

    # -- content out --------------------------------------------------------------------

    async def send(self, channel: ChannelRef, content: Content, *, key: str = "") -> MessageRef:
        """With a key: sent as the message's nonce (discord.py then asks Discord to
        enforce it, and Discord answers a repeat within a few minutes with the message
        it already created) and carried as the marker find_sent looks for."""
        check_key(key)
        what = _what(content)
        self._check_refused(channel, what)
        marker = marker_for(key) if key else None
        rendered = render(content, marker=marker)
        kwargs: dict[str, Any] = {"view": rendered.view}
        if key:
            kwargs["nonce"] = key
        files = rendered.files()
        if files:
            kwargs["files"] = files
        try:
            target = await self._messageable(channel)
            message = await target.send(**kwargs)
        except (discord.NotFound, discord.Forbidden) as exc:
            self._refuse(channel, "", CHANNEL_COOL_DOWN, str(exc))
            raise PlatformError(f"cannot post in Discord channel {channel.id}: {exc}") from exc
        except discord.RateLimited as exc:
            self._refuse(channel, "", exc.retry_after, str(exc))
            raise PlatformError(f"cannot post in Discord channel {channel.id}: {exc}") from exc
        except discord.HTTPException as exc:
            if 400 <= exc.status < 500:  # this post as it is: sending it again cannot help
                self._refuse(channel, what, CHANNEL_COOL_DOWN, str(exc))
            raise PlatformError(f"Discord refused a post in {channel.id}: {exc}") from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            # The post may have been created before the answer was lost: the claim
            # stays open and is resolved with find_sent or a resend with the same key.
            raise PlatformError(
                f"no answer from Discord for a post in {channel.id} ({_describe(exc)}); "
                "it may have been posted"
            ) from exc
        finally:
            for file in files:
                file.close()
        for lifted in ((channel.id, ""), (channel.id, what)):
            self._refused.lifted(lifted)  # a refusal coming back later is news again
        if marker is not None:
            self._markers[str(message.id)] = marker
        self._attached[str(message.id)] = self._uploaded(message, rendered.uploads)
        if isinstance(content, PromptMessage) and content.open_thread:
            await self._open_thread(message, content)
        return MessageRef(channel, str(message.id))

    async def find_sent(self, channel: ChannelRef, key: str, since: datetime) -> MessageRef | None:
        """Our message carrying the key's marker among the first HISTORY_LIMIT messages
        of the channel from `since` (less CLOCK_SKEW: our clock against Discord's)."""
        check_key(key)
        marker = marker_for(key)
        client = self.client
        me = client.user.id if client.user is not None else None
        try:
            target = await self._messageable(channel)
            _check_history_readable(target, channel)
            async for message in target.history(
                limit=HISTORY_LIMIT, after=since - CLOCK_SKEW, oldest_first=True
            ):
                if message.author.id == me and marker_of(message.components) == marker:
                    self._markers[str(message.id)] = marker
                    return MessageRef(channel, str(message.id))
        except discord.Forbidden as exc:
            raise PlatformError(
                f"cannot read Discord channel {channel.id} to check whether a post landed: "
                f"give the bot View Channel and Read Message History there ({exc})"
            ) from exc
        except discord.NotFound as exc:
            raise PlatformError(
                f"Discord channel {channel.id} no longer exists or the bot cannot see it ({exc})"
            ) from exc
        except (
            discord.HTTPException,
            discord.RateLimited,
            aiohttp.ClientError,
            OSError,
            TimeoutError,
        ) as exc:
            raise PlatformError(
                f"could not read Discord channel {channel.id} to check whether a post "
                f"landed: {_describe(exc)}"
            ) from exc
        return None

    async def edit(self, message: MessageRef, content: Content) -> None:
        if self._stopping:
            # A click answered during shutdown: its tally shows with the next edit.
            log.info("Discord adapter stopping: edit of message %s skipped", message.id)
            return
        await self.edits.submit(message, content)

    async def _apply_edit(self, message: MessageRef, content: Content) -> None:
        channel = self.client.get_partial_messageable(_snowflake(message.channel.id, "channel"))
        partial = channel.get_partial_message(_snowflake(message.id, "message"))
        attached = await self._attachments_of(partial, content)
        rendered = render(content, attached, self._markers.get(message.id))
        if attached:  # name the files to keep: the layout refers to these only
            # discord.py only calls to_dict() on these (see media.KeptAttachment)
            kept = cast("list[discord.Attachment]", rendered.keep())
            await partial.edit(view=rendered.view, attachments=kept)
        else:  # nothing uploaded, or unknown: files, if any, stay as they are
            await partial.edit(view=rendered.view)

    async def _attachments_of(
        self, message: discord.PartialMessage, content: Content
    ) -> dict[str, int] | None:
        """The files the message holds, by name: remembered from the post, or (after a
        restart) read back once from the message itself."""
        key = str(message.id)
        if key in self._attached:
            return self._attached[key]
        if not has_local_images(content):
            return {}  # nothing to keep; asked again if that changes
        try:
            fetched = await message.fetch()
        except discord.Forbidden as exc:  # no Read Message History: refer by name only
            log.warning(
                "Discord message %s cannot be read back (%s): its edits refer to its "
                "photos by name only",
                key,
                exc,
            )
            self._attached[key] = None
            return None
        found = media.uploaded(fetched)
        self._attached[key] = found
        marker = marker_of(fetched.components)
        if marker is not None:  # read back after a restart: edits keep it
            self._markers[key] = marker
        return found

    def _uploaded(self, message: discord.Message, uploads: dict[str, Any]) -> dict[str, int] | None:
        found = media.uploaded(message)
        missing = sorted(set(uploads) - set(found))
        if missing:
            log.warning(
                "Discord did not report the ids of %s on message %s: its edits refer to "
                "them by name only",
                ", ".join(missing),
                message.id,
            )
            return None
        return found

    async def _open_thread(self, message: discord.Message, prompt: PromptMessage) -> None:
        name = (prompt.thread_name or prompt.text).strip()[:THREAD_NAME_MAX] or "Replies"
        try:
            thread = await message.create_thread(name=name)
        except (discord.HTTPException, discord.RateLimited, ValueError) as exc:
            log.warning(
                "prompt %s posted, but its reply thread was not opened: %s", prompt.prompt_id, exc
            )
            return
        self.client.threads[thread.id] = message.channel.id

    async def _messageable(self, channel: ChannelRef) -> discord.abc.Messageable:
        channel_id = _snowflake(channel.id, "channel")
        found = self.client.get_channel(channel_id)
        if found is None:
            found = await self.client.fetch_channel(channel_id)
        if not isinstance(found, discord.abc.Messageable):
            raise PlatformError(f"Discord channel {channel.id} is not a text channel")
        return found

    def _refuse(self, channel: ChannelRef, what: str, seconds: float, why: str) -> None:
        news = self._refused.refuse((channel.id, what), timedelta(seconds=seconds), why)
        log.log(
            logging.WARNING if news else logging.INFO,
            "Discord refused %s in channel %s; not trying again for %.0f s: %s",
            what or "posts",
            channel.id,
            seconds,
            why,
        )

    def _check_refused(self, channel: ChannelRef, what: str) -> None:
        for key in ((channel.id, ""), (channel.id, what)):
            refusal = self._refused.refusal(key)
            if refusal is not None:
                raise PlatformError(
                    f"not posting in Discord channel {channel.id} for now: {refusal.why}"
                )


def _check_history_readable(target: discord.abc.Messageable, channel: ChannelRef) -> None:
    """Without Read Message History Discord answers an empty history, not an error:
    "our post is not there" would be a guess, and a wrong guess posts twice."""
    if not isinstance(target, discord.abc.GuildChannel | discord.Thread):
        return
    me = target.guild.me
    if me is None:  # not known yet: Discord's own answer decides
        return
    allowed = target.permissions_for(me)
    if not allowed.view_channel:
        raise PlatformError(
            f"the bot cannot see Discord channel {channel.id}: give it the View Channel "
            "permission there, or take the channel out of the config"
        )
    if not allowed.read_message_history:
        raise PlatformError(
            f"cannot read Discord channel {channel.id} to check whether a post landed: "
            "give the bot the Read Message History permission there"
        )


def _snowflake(value: str, what: str) -> int:
    if not value.strip().isdigit():
        raise PlatformError(f"{what}: {value!r} is not a Discord id (a long number)")
    return int(value)


def _what(content: Content) -> str:
    """What a refusal applies to: this poll's (or prompt's) post, not the channel."""
    if isinstance(content, PollMessage | ResultsMessage):
        return f"the post of poll {content.poll_id}"
    if isinstance(content, PromptMessage):
        return f"the post of prompt {content.prompt_id}"
    return "a message"


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
