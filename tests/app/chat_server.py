"""A stand-in chat platform whose messages outlive the bot process, like Discord's and
Slack's: several app instances (a crashed one and its restart) talk to one ChatServer.
It honours idempotency keys the way Discord honours a message nonce (a reused key returns
the message already created) and can list the bot's own messages by key, as Discord's
history and Slack's message metadata allow. Knobs make it refuse posts, lose the answer
to a post it created, or hang mid-post (the moment a crash happens)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.content import Content
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import PlatformError
from tests.fakes import RecordingPlatform


@dataclass
class Posted:
    ref: MessageRef
    content: Content
    key: str
    at: datetime


@dataclass
class ChatServer:
    """The platform's side: what exists in its channels, whichever process posted it."""

    messages: list[Posted] = field(default_factory=list)
    edits: list[tuple[MessageRef, Content]] = field(default_factory=list)
    refuse_posts: int = 0  # the next N posts are refused (403 while permissions change)
    lose_answer: bool = False  # create the next message, then the connection drops
    hang_after_create: bool = False  # create the next message, then never answer
    hang_before_create: bool = False  # never answer and create nothing
    history_readable: bool = True
    hung: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def of(self, kind: type) -> list[Posted]:
        return [m for m in self.messages if isinstance(m.content, kind)]

    def create(self, channel: ChannelRef, content: Content, key: str, at: datetime) -> MessageRef:
        for posted in self.messages:
            if key and posted.key == key and posted.ref.channel == channel:
                return posted.ref  # the key was used before: no second message
        ref = MessageRef(channel, f"m{next(self._ids)}")
        self.messages.append(Posted(ref, content, key, at))
        return ref

    def content_of(self, ref: MessageRef) -> Content:
        """The message as customers see it now (after edits)."""
        latest = next(m.content for m in self.messages if m.ref == ref)
        for edited, content in self.edits:
            if edited == ref:
                latest = content
        return latest


@dataclass(kw_only=True)
class ServerBackedPlatform(RecordingPlatform):
    """One bot process's connection to a ChatServer (what it posts lives there)."""

    server: ChatServer
    clock_now: Any  # () -> datetime
    sends: int = 0

    async def send(self, channel: ChannelRef, content: Content, *, key: str = "") -> MessageRef:
        self.sends += 1
        server = self.server
        if server.refuse_posts > 0:
            server.refuse_posts -= 1
            raise PlatformError(f"403 Forbidden: missing access to channel {channel.id}")
        if server.hang_before_create:
            server.hung.set()
            await asyncio.Event().wait()
        ref = server.create(channel, content, key, self.clock_now())
        if server.hang_after_create:
            server.hung.set()
            await asyncio.Event().wait()
        if server.lose_answer:
            server.lose_answer = False
            raise ConnectionResetError("connection lost before the answer")
        return ref

    async def edit(self, message: MessageRef, content: Content) -> None:
        self.server.edits.append((message, content))

    async def find_sent(self, channel: ChannelRef, key: str, since: datetime) -> MessageRef | None:
        if not self.server.history_readable:
            raise PlatformError("403 Forbidden: Read Message History is missing")
        for posted in self.server.messages:
            if posted.key == key and posted.ref.channel == channel and posted.at >= since:
                return posted.ref
        return None
