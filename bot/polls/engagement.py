"""Engagement per day for the merchant's report: polls running, votes cast, unique
participants, prompt posts and replies. Days are local dates in the store's time zone.

What the database can tell (and so what the figures mean):
- votes: option votes in the ballots as they stand, on the day of each customer's last
  click (a vote changed on Tuesday counts on Tuesday; withdrawn votes are gone);
- participants: distinct customers (platform accounts) who voted or replied that day;
- prompt posts: posts the platform confirmed, on the prompt's own local date;
- replies: replies counted, on the day they were written;
- polls running: polls open at any moment of the day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.storage.base import PollRecord, Store


@dataclass(frozen=True)
class DayReport:
    day: date
    polls_running: int
    votes: int
    participants: int
    prompt_posts: int
    replies: int


@dataclass(frozen=True)
class Report:
    since: date
    until: date
    days: tuple[DayReport, ...]
    totals: DayReport  # day = until; participants and polls counted once over the period

    def to_json(self) -> dict[str, Any]:
        def one(item: DayReport) -> dict[str, Any]:
            return {**asdict(item), "day": item.day.isoformat()}

        totals = one(self.totals)
        del totals["day"]
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "days": [one(day) for day in self.days],
            "totals": totals,
        }


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (zoneinfo handles DST days of 23 or 25 hours)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _voting_window(record: PollRecord, now: datetime) -> tuple[datetime, datetime] | None:
    if record.opened_at is None:
        return None
    end = record.closed_at
    if end is None:
        end = min(record.closes_at, now) if record.closes_at else now
    return record.opened_at, end


async def build_report(
    store: Store, zone: ZoneInfo, since: date, until: date, now: datetime
) -> Report:
    if until < since:
        raise ValueError("until is before since")
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    start, end = local_midnight(since, zone), local_midnight(until + timedelta(days=1), zone)

    def local_day(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    votes: dict[date, int] = defaultdict(int)
    people: dict[date, set[str]] = defaultdict(set)
    for ballot in await store.ballots_since(start):
        if ballot.cast_at < end:
            day = local_day(ballot.cast_at)
            votes[day] += len(ballot.options)
            people[day].add(ballot.voter.key)
    replies: dict[date, int] = defaultdict(int)
    for reply in await store.prompt_replies(start):
        if reply.replied_at < end:
            day = local_day(reply.replied_at)
            replies[day] += 1
            people[day].add(reply.voter_key)
    posts: dict[date, int] = defaultdict(int)
    # A prompt's own zone may be a day off the store's: look one day further back.
    for post in await store.prompt_posts(since=start - timedelta(days=1)):
        if post.message_id is not None and since <= post.local_date <= until:
            posts[post.local_date] += 1
    windows = [w for r in await store.list_polls() if (w := _voting_window(r, now))]
    running: dict[date, int] = {}
    for day in days:
        day_start, day_end = local_midnight(day, zone), local_midnight(day + timedelta(1), zone)
        running[day] = sum(1 for opened, ended in windows if opened < day_end and ended > day_start)
    rows = tuple(
        DayReport(day, running[day], votes[day], len(people[day]), posts[day], replies[day])
        for day in days
    )
    everyone = set().union(*(people[day] for day in days))
    total_polls = sum(1 for opened, ended in windows if opened < end and ended > start)
    totals = DayReport(
        until,
        total_polls,
        sum(r.votes for r in rows),
        len(everyone),
        sum(r.prompt_posts for r in rows),
        sum(r.replies for r in rows),
    )
    return Report(since, until, rows, totals)
