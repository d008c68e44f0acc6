"""Events adapters deliver to the application, already translated from platform payloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.core.refs import ChannelRef, MessageRef, UserRef


class Responder(Protocol):
    """Answers the user who caused an event, visible to them only where the platform can."""

    async def reply_private(self, text: str) -> None: ...


@dataclass(frozen=True)
class ActionInvoked:
    """A user clicked a button (or typed its console equivalent)."""

    user: UserRef
    action_id: str
    delivery_id: str  # the platform's id for this delivery: replays carry the same one
    occurred_at: datetime  # when the platform says the click happened (UTC)
    responder: Responder
    message: MessageRef | None = None
    # Console `/vote POLL A B` sets a whole selection at once.
    selection: tuple[str, ...] | None = None
    # The user's own language where the platform says (Discord: "fr", "en-US"); the app
    # answers in it when the store lists it under store.locales.
    locale: str | None = None


@dataclass(frozen=True)
class CommandInvoked:
    """A staff command: name is one of polls, results, open, close."""

    user: UserRef
    channel: ChannelRef
    name: str
    args: tuple[str, ...]
    is_staff: bool  # decided by the adapter, which knows the platform's roles
    responder: Responder
    locale: str | None = None  # as on ActionInvoked


@dataclass(frozen=True)
class MessageReceived:
    """A chat message. Replies to a prompt carry reply_to (a reply that references the
    prompt message) or thread_of (a message in the thread started from it)."""

    user: UserRef
    channel: ChannelRef
    text: str
    reply_to: MessageRef | None = None
    thread_of: MessageRef | None = None
    message_id: str | None = None  # the platform's id of this message: replays repeat it


@dataclass(frozen=True)
class AdapterReady:
    platform: str
    details: dict[str, str] = field(default_factory=dict)


Event = ActionInvoked | CommandInvoked | MessageReceived | AdapterReady


class EventSink(Protocol):
    async def handle(self, event: Event) -> None: ...
