"""When a prompt is due, in its own time zone, daylight saving included.

Schedules are kept as local wall-clock times plus an IANA zone, and each day's instant
is computed on demand with zoneinfo: a time skipped by a spring-forward change is moved
forward by the gap, a time repeated by a fall-back change means its first occurrence,
and every local date has at most one post."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config.cron import first_firing
from bot.config.schema import PromptConfig
from bot.timefmt import local_to_utc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead to look for the next post: a yearly cron still has one within this.
HORIZON_DAYS = 400


@dataclass(frozen=True)
class Occurrence:
    prompt_id: str
    local_date: date
    due_at: datetime  # UTC
    local_time: datetime  # aware, in the prompt's zone (after any DST shift)


def _wall_time_on(prompt: PromptConfig, day: date) -> datetime | None:
    """The naive local time the prompt is due on `day`, or None if it isn't due that day."""
    if prompt.cron is not None:
        midnight = datetime.combine(day, time.min)
        # Naive local datetimes: cron fields are wall-clock fields, DST is applied after.
        first = first_firing(prompt.cron, midnight - timedelta(seconds=1))
        return first if first is not None and first.date() == day else None
    if prompt.days is not None and WEEKDAYS[day.weekday()] not in prompt.days:
        return None
    assert prompt.at is not None  # the schema requires at or cron
    hour, minute = (int(part) for part in prompt.at.split(":"))
    return datetime.combine(day, time(hour, minute))


def occurrence_on(prompt: PromptConfig, zone: ZoneInfo, day: date) -> Occurrence | None:
    wall = _wall_time_on(prompt, day)
    if wall is None:
        return None
    if prompt.start is not None and wall < prompt.start:
        return None
    if prompt.end is not None and wall > prompt.end:
        return None
    due = local_to_utc(wall, zone)
    return Occurrence(prompt.id, day, due, due.astimezone(zone))


def occurrences(
    prompt: PromptConfig, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[Occurrence]:
    """Occurrences with start <= due_at < end, in order."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        found = occurrence_on(prompt, zone, day)
        if found is not None and start <= found.due_at < end:
            yield found
        day += timedelta(days=1)


def next_occurrence(prompt: PromptConfig, zone: ZoneInfo, after: datetime) -> Occurrence | None:
    """The first occurrence strictly after `after`."""
    end = after + timedelta(days=HORIZON_DAYS)
    for found in occurrences(prompt, zone, after, end):
        if found.due_at > after:
            return found
    return None


def timing_key(prompt: PromptConfig, zone: ZoneInfo) -> str:
    """What decides when a set posts (at, days, cron, zone), as stored text: when it
    changes, missed posts are caught up only from the moment the change is seen."""
    days = sorted(prompt.days, key=WEEKDAYS.index) if prompt.days is not None else None
    cron = " ".join(prompt.cron.split()) if prompt.cron is not None else None
    timing = {"at": prompt.at, "days": days, "cron": cron, "zone": zone.key}
    return json.dumps(timing, sort_keys=True, separators=(",", ":"))
