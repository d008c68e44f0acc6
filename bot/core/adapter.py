"""What every platform adapter provides. Adapters translate; they never decide."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.core.content import Content
from bot.core.events import EventSink
from bot.core.refs import ChannelRef, MessageRef


@dataclass(frozen=True)
class PlatformLimits:
    """Declared by each adapter and checked against the config at load time."""

    max_options: int
    max_label_length: int
    # Minimum seconds between two edits of one message (live tally debounce).
    edit_interval: float
    # False when messages do not outlive the process (console): re-post open polls.
    persistent_messages: bool = True
    # Seconds after a send during which sending again with the same key cannot create a
    # second message (Discord's nonce); 0 where the platform makes no such promise.
    resend_window: float = 0.0
    # True where the platform budgets edits per workspace rather than per message
    # (Slack's chat.update): one process then edits all of the platform's messages.
    edits_share_a_budget: bool = False


class Adapter(Protocol):
    name: str
    limits: PlatformLimits

    async def start(self, sink: EventSink) -> None:
        """Connect and begin delivering events to sink; returns once connected."""

    @property
    def connected(self) -> bool:
        """The platform connection is up now (readiness: False while reconnecting)."""

    async def started(self) -> None:
        """The app finished its start-up posts; interactive input may begin."""

    async def stop(self) -> None: ...

    async def send(self, channel: ChannelRef, content: Content, *, key: str = "") -> MessageRef:
        """Post content. With a key (<= 25 chars), the platform is asked not to create a
        second message for the same key (Discord: nonce + enforce_nonce) and the key is
        attached where find_sent can see it later."""

    async def find_sent(self, channel: ChannelRef, key: str, since: datetime) -> MessageRef | None:
        """Our own message posted in channel with this key at or after `since`, if the
        platform shows it; None if it is not there. Raises PlatformError when the platform
        cannot tell (no permission to read history, channel gone, network)."""

    async def edit(self, message: MessageRef, content: Content) -> None: ...


@dataclass(frozen=True)
class HttpEndpoint:
    """A platform's inbound HTTP endpoint (Slack's Events API in mode: http), served by
    the bot's web host at `path`, so the bot needs one port for everything."""

    path: str
    handle: Callable[[Any], Awaitable[Any]]  # an aiohttp request handler


@runtime_checkable
class ServesHttp(Protocol):
    """An adapter that can be reached over HTTP. serve_on_web_host() before start():
    then the web host serves its endpoint and the adapter opens no server of its own."""

    def http_endpoint(self) -> HttpEndpoint | None: ...

    def serve_on_web_host(self) -> None: ...


@runtime_checkable
class LocalInput(Protocol):
    """An adapter fed by a local terminal (the console), whose input can end. Chat
    platforms serve until the process is stopped; this one can finish on its own."""

    name: str
    # Set when input ended: end of file (stdin closed or a script done) or /quit.
    finished: asyncio.Event
    # True when the user asked to stop the whole bot (/quit), not just at end of input.
    quit_requested: bool
