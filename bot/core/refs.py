"""Neutral references to users, channels and messages on any platform."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_NAME_LENGTH = 80  # longer than any platform's display name; a name is never a payload
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_SPACES = re.compile(r"\s+")


def encodable(text: str) -> str:
    """text with lone surrogates (which UTF-8, SQLite and every platform refuse) replaced
    by U+FFFD; a surrogate pair that arrived as two code points becomes its character."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_name(name: str) -> str:
    """A display name fit to store and show: encodable, no control characters (line
    breaks and tabs become spaces), single spaces, at most MAX_NAME_LENGTH characters."""
    if name.isprintable() and len(name) <= MAX_NAME_LENGTH and "  " not in name:
        return name.strip()  # the usual case, cheaply
    name = _SPACES.sub(" ", _CONTROL.sub(" ", encodable(name))).strip()
    if len(name) > MAX_NAME_LENGTH:
        name = name[: MAX_NAME_LENGTH - 1].rstrip() + "…"
    return name


@dataclass(frozen=True)
class UserRef:
    """Names (and ids) are cleaned here, where every platform's users enter the core:
    a name no database can store must not cost its owner their vote."""

    platform: str
    id: str
    name: str = ""
    # Stable identity across platforms: one vote per platform account. Kept, not
    # derived on each use: the vote path asks for it several times per click.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.id.isascii():
            object.__setattr__(self, "id", encodable(self.id))
        object.__setattr__(self, "name", clean_name(self.name))
        object.__setattr__(self, "key", f"{self.platform}:{self.id}")


@dataclass(frozen=True)
class ChannelRef:
    platform: str
    id: str


@dataclass(frozen=True)
class MessageRef:
    channel: ChannelRef
    id: str
