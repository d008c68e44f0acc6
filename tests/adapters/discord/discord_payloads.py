"""Discord API objects as the fake server sends them, and the checks Discord applies to
what a bot sends (so a payload Discord would refuse fails the test here too).

Shapes follow discord/discord-api-docs (resources/message, components/reference,
interactions/receiving-and-responding) and what discord.py 2.7.1 parses."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
IS_COMPONENTS_V2 = 1 << 15
EPHEMERAL = 1 << 6
TEXT_CHANNEL, PUBLIC_THREAD = 0, 11
# Permission bits (topics/permissions) of a server's usual @everyone role.
VIEW_CHANNEL = 1 << 10
READ_MESSAGE_HISTORY = 1 << 16
EVERYONE_PERMISSIONS = (
    (1 << 6)  # add reactions
    | VIEW_CHANNEL
    | (1 << 11)  # send messages
    | (1 << 14)  # embed links
    | (1 << 15)  # attach files
    | READ_MESSAGE_HISTORY
    | (1 << 31)  # use application commands
    | (1 << 35)  # create public threads
    | (1 << 38)  # send messages in threads
)
_increment = itertools.count()

Json = dict[str, Any]


def snowflake(at: float | None = None) -> int:
    """A unique id whose timestamp is `at` (unix seconds, default now)."""
    ms = int((time.time() if at is None else at) * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (next(_increment) % 4096)


def iso(at: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat()


@dataclass
class FakeUser:
    id: int
    name: str
    roles: list[int] = field(default_factory=list)
    bot: bool = False
    locale: str = "en-US"  # the user's Discord language, sent with each interaction

    def user(self) -> Json:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member(self) -> Json:
        return {
            "user": self.user(),
            "roles": [str(role) for role in self.roles],
            "nick": None,
            "avatar": None,
            "joined_at": iso(time.time() - 86400),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": "2147483647",
        }


@dataclass
class FakeGuild:
    id: int
    name: str
    channels: dict[int, str]  # text channel id -> name
    roles: dict[int, str]  # role id -> name (the @everyone role has the guild's id)
    # channel id -> permission overwrites (channel object's permission_overwrites)
    overwrites: dict[int, list[Json]] = field(default_factory=dict)

    def denied(self, channel_id: int, user_id: int) -> int:
        """Permission bits the channel's overwrites deny to this member (no roles)."""
        denied = 0
        for overwrite in self.overwrites.get(channel_id, []):
            if int(overwrite["id"]) in (self.id, user_id):
                denied |= int(overwrite["deny"])
        return denied

    def channel(self, channel_id: int) -> Json:
        return {
            "id": str(channel_id),
            "type": TEXT_CHANNEL,
            "guild_id": str(self.id),
            "name": self.channels[channel_id],
            "position": 0,
            "permission_overwrites": list(self.overwrites.get(channel_id, [])),
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def create_event(self, threads: list[Json], me: FakeUser) -> Json:
        """GUILD_CREATE; like Discord's, its members always include the bot itself."""
        roles = [
            {
                "id": str(role_id),
                "name": name,
                "color": 0,
                "colors": {"primary_color": 0},
                "hoist": False,
                "position": index,
                "permissions": str(EVERYONE_PERMISSIONS if role_id == self.id else 0),
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
            for index, (role_id, name) in enumerate(self.roles.items())
        ]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": "1",
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": [self.channel(c) for c in self.channels],
            "threads": [t for t in threads if t["guild_id"] == str(self.id)],
            "members": [me.member()],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "member_count": 3,
            "large": False,
            "unavailable": False,
            "joined_at": iso(time.time() - 86400),
            "preferred_locale": "en-US",
            "premium_tier": 0,
            "mfa_level": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "system_channel_flags": 0,
            "nsfw_level": 0,
        }


def message(
    message_id: int,
    channel_id: int,
    author: Json,
    *,
    guild_id: int | None = None,
    content: str = "",
    components: list[Json] | None = None,
    attachments: list[Json] | None = None,
    flags: int = 0,
    kind: int = 0,
    reference: Json | None = None,
) -> Json:
    data: Json = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "components": components or [],
        "pinned": False,
        "type": kind,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if reference is not None:
        data["message_reference"] = reference
    return data


# -- what Discord checks in a bot's message -------------------------------------------


class Invalid(ValueError):
    """The body Discord would answer with 400 (50035 Invalid Form Body)."""


def walk(components: list[Json]) -> list[Json]:
    found: list[Json] = []
    for component in components:
        found.append(component)
        found += walk(component.get("components", []))
        if "accessory" in component:
            found += walk([component["accessory"]])
    return found


def media_urls(components: list[Json]) -> list[str]:
    urls = []
    for component in walk(components):
        if component["type"] == 11:
            urls.append(component["media"]["url"])
        if component["type"] == 12:
            urls += [item["media"]["url"] for item in component["items"]]
    return urls


def validate_message(body: Json, attachment_names: set[str]) -> None:
    """Components V2 rules (components/reference): no content or embeds with the flag,
    component ids unique 32-bit integers, at most 40 components, 4000 characters of
    text, custom_id <= 100, label <= 80,
    Section = 1-3 texts + thumbnail or button, Media Gallery = 1-10 items, every
    attachment:// reference names an attachment of the message."""
    components = body.get("components") or []
    v2 = body.get("flags", 0) & IS_COMPONENTS_V2
    if v2 and (body.get("content") or body.get("embeds")):
        raise Invalid("content and embeds cannot be used with IS_COMPONENTS_V2")
    all_components = walk(components)
    if len(all_components) > 40:
        raise Invalid(f"{len(all_components)} components, at most 40")
    text = sum(len(c.get("content", "")) for c in all_components if c["type"] == 10)
    if text > 4000:
        raise Invalid(f"{text} characters of text, at most 4000")
    ids = [c["id"] for c in all_components if "id" in c]
    if len(ids) != len(set(ids)):
        raise Invalid("component ids must be unique in a message")
    if any(not isinstance(i, int) or not 0 <= i < 2**31 for i in ids):
        raise Invalid("a component id is a 32-bit integer")
    custom_ids = [c["custom_id"] for c in all_components if "custom_id" in c]
    if len(custom_ids) != len(set(custom_ids)):
        raise Invalid("custom_id values must be unique in a message")
    for component in all_components:
        if len(component.get("custom_id", "")) > 100:
            raise Invalid("custom_id longer than 100")
        if len(component.get("label") or "") > 80:
            raise Invalid("button label longer than 80")
        if component["type"] == 9:
            if not 1 <= len(component["components"]) <= 3:
                raise Invalid("a section holds 1-3 text displays")
            if component["accessory"]["type"] not in (2, 11):
                raise Invalid("a section accessory is a button or a thumbnail")
        if component["type"] == 12 and not 1 <= len(component["items"]) <= 10:
            raise Invalid("a media gallery holds 1-10 items")
    for url in media_urls(components):
        if url.startswith("attachment://") and url[len("attachment://") :] not in attachment_names:
            raise Invalid(f"{url} names no attachment of this message")
        if not url.startswith(("attachment://", "https://", "http://")):
            raise Invalid(f"unsupported media url {url}")
