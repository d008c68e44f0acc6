"""Posts a platform refused are not asked for again until a cool-down is over.

The app retries unposted polls and prompts every few seconds; a channel the bot cannot
post in (deleted, no access, not invited, archived) or one post the platform refuses as
it is (too large, malformed) would otherwise flood the platform with requests that must
fail (Discord counts them towards its invalid-request ban) and the log with the same
error. Each adapter decides what a refusal means and for which key (a channel, or one
post in a channel); this keeps the time, on the app's clock, and whether the reason is
new (worth a log line) or a repeat."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock


@dataclass(frozen=True)
class Refusal:
    why: str
    until: datetime


class CoolDown:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._refused: dict[Hashable, Refusal] = {}
        self._told: dict[Hashable, str] = {}  # the last reason logged, per key

    def refuse(self, key: Hashable, wait: timedelta, why: str) -> bool:
        """Nothing is sent for `key` during `wait`. True when `why` is news for this key
        (log it), False when the platform repeats what it said last time."""
        self._refused[key] = Refusal(why, self._clock.now() + wait)
        news = self._told.get(key) != why
        self._told[key] = why
        return news

    def refusal(self, key: Hashable) -> Refusal | None:
        """The refusal still in force for `key`, if any."""
        refusal = self._refused.get(key)
        if refusal is None:
            return None
        if self._clock.now() >= refusal.until:
            del self._refused[key]  # the next send asks the platform again
            return None
        return refusal

    def lifted(self, key: Hashable) -> None:
        """A send for `key` went through: forget its refusal and what was logged."""
        self._refused.pop(key, None)
        self._told.pop(key, None)
