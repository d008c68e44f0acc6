"""Neutral references to users, channels and messages on any platform."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserRef:
    platform: str
    id: str
    name: str = ""

    @property
    def key(self) -> str:
        """Stable identity across platforms: one vote per platform account."""
        return f"{self.platform}:{self.id}"


@dataclass(frozen=True)
class ChannelRef:
    platform: str
    id: str


@dataclass(frozen=True)
class MessageRef:
    channel: ChannelRef
    id: str
