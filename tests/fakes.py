"""Test stand-ins for a chat platform (not for our code): they record what the app sends."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.adapter import PlatformLimits
from bot.core.content import Content
from bot.core.events import ActionInvoked, EventSink
from bot.core.refs import ChannelRef, MessageRef, UserRef
from bot.errors import PlatformError


@dataclass
class Replies:
    texts: list[str] = field(default_factory=list)

    async def reply_private(self, text: str) -> None:
        self.texts.append(text)

    @property
    def last(self) -> str:
        return self.texts[-1]


@dataclass
class RecordingPlatform:
    """A chat platform that keeps every post and edit in memory."""

    name: str = "console"
    limits: PlatformLimits = field(
        default_factory=lambda: PlatformLimits(50, 200, edit_interval=0.0)
    )
    sent: list[tuple[ChannelRef, Content]] = field(default_factory=list)
    edits: list[tuple[MessageRef, Content]] = field(default_factory=list)
    sink: EventSink | None = None
    # The key each post was sent with ("" without one), in the order of `sent`.
    keys: list[str] = field(default_factory=list)
    refs: list[MessageRef] = field(default_factory=list)
    # What the next sends meet: "refused" (PlatformError, nothing posted) or "lost"
    # (posted, then PlatformError: the answer never came, as in a crash or a cut).
    send_failures: list[str] = field(default_factory=list)
    # find_sent raises PlatformError while set (no permission to read the channel...).
    history_unreadable: bool = False
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    async def start(self, sink: EventSink) -> None:
        self.sink = sink

    connected: bool = True

    async def started(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, channel: ChannelRef, content: Content, *, key: str = "") -> MessageRef:
        failure = self.send_failures.pop(0) if self.send_failures else None
        if failure == "refused":
            raise PlatformError(f"{self.name} refused a post in {channel.id}")
        ref = MessageRef(channel, f"msg-{next(self._ids)}")
        self.sent.append((channel, content))
        self.keys.append(key)
        self.refs.append(ref)
        if failure == "lost":
            raise PlatformError(f"no answer from {self.name} for a post in {channel.id}")
        return ref

    async def find_sent(self, channel: ChannelRef, key: str, since: datetime) -> MessageRef | None:
        """The first post sent to channel with this key (this platform keeps no times:
        `since` is not checked)."""
        if self.history_unreadable:
            raise PlatformError(f"cannot read {channel.id} on {self.name}")
        for ref, sent_key in zip(self.refs, self.keys, strict=True):
            if key and sent_key == key and ref.channel == channel:
                return ref
        return None

    async def edit(self, message: MessageRef, content: Content) -> None:
        self.edits.append((message, content))

    def posts_of(self, kind: type) -> list[Any]:
        return [content for _, content in self.sent if isinstance(content, kind)]


_deliveries = itertools.count(1)


def click(
    user: str,
    action_id: str,
    at: datetime,
    replies: Replies,
    *,
    platform: str = "console",
    delivery_id: str | None = None,
    selection: tuple[str, ...] | None = None,
) -> ActionInvoked:
    return ActionInvoked(
        user=UserRef(platform, user, user),
        action_id=action_id,
        delivery_id=delivery_id or f"{platform}:d{next(_deliveries)}",
        occurred_at=at,
        responder=replies,
        selection=selection,
    )
