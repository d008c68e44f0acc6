"""What the pages show, in the merchant's words and the store's time: time left, the
verdict in a sentence, votes over time as columns."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import i18n, messages
from bot.polls.export import VoteRow
from bot.polls.render import render_results
from bot.polls.results import PollResults, join_labels
from bot.storage.base import PollState
from bot.timefmt import human

# "Verdict: " / "Verdict : ", which the chat post starts the verdict with
_VERDICT_PREFIX = re.compile(r"^Verdict\s?:\s*")


def time_left(closes_at: datetime | None, now: datetime) -> str:
    """'3 days 4 h left', '25 min left', 'closing now'."""
    if closes_at is None:
        return messages.WEB_NO_CLOSING_TIME.format()
    left = closes_at - now
    if left <= timedelta(0):
        return messages.WEB_CLOSING_NOW.format()
    minutes = int(left.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return messages.WEB_LEFT_DAYS.format(days, hours=hours)
    if hours:
        return messages.WEB_LEFT_HOURS.format(hours=hours, minutes=mins)
    return messages.WEB_LEFT_MINUTES.format(minutes=max(mins, 1))


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    return human(moment, zone) if moment else "—"


def short_time(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """'14:05' today, 'Tue 3 Mar 14:05' otherwise (store time)."""
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return i18n.skeleton(local, "Hm")
    return f"{i18n.skeleton(local, 'MMMEd')} {i18n.skeleton(local, 'Hm')}"


@dataclass(frozen=True)
class PollView:
    results: PollResults
    state: str
    timing: str  # what the merchant wants to know about time, in one phrase
    leader: str
    verdict_name: str
    headline: str
    details: tuple[str, ...]  # the verdict in words, participation, per platform, run-off

    @property
    def sentence(self) -> str:
        """The verdict in words, without the 'Verdict:' the chat post starts it with."""
        text = _VERDICT_PREFIX.sub("", self.details[0])
        return text[:1].upper() + text[1:]

    @property
    def id(self) -> str:
        return self.results.id


def poll_view(results: PollResults, now: datetime, zone: ZoneInfo) -> PollView:
    posted = render_results(results)
    if results.state is PollState.OPEN:
        timing = time_left(results.closes_at, now)
    elif results.state is PollState.CLOSED:
        timing = messages.WEB_CLOSED_AT.format(when=when(results.closed_at, zone))
    else:
        timing = messages.WEB_NOT_OPEN_YET.format()
    leaders = results.leaders
    if not leaders:
        leader = "—"
    elif len(leaders) == 1:
        share = i18n.percent(leaders[0].share)
        leader = messages.WEB_LEADER.format(label=leaders[0].label, share=share)
    else:
        leader = messages.WEB_TIE.format(labels=join_labels([o.label for o in leaders]))
    return PollView(
        results=results,
        state=messages.WEB_STATE_NAMES[results.state.value].format(),
        timing=timing,
        leader=leader,
        verdict_name=messages.WEB_VERDICT_NAMES[results.decision.verdict.value].format(),
        headline=posted.headline,
        details=posted.details,
    )


@dataclass(frozen=True)
class Column:
    label: str  # under the column (e.g. "Tue 3")
    title: str  # hover / screen-reader text
    value: int
    height: float  # 0..100, share of the tallest column


def votes_over_time(rows: list[VoteRow], zone: ZoneInfo, now: datetime) -> list[Column]:
    """Votes per hour for a poll younger than two days, otherwise per day (store time);
    each vote counted at its deciding click."""
    if not rows:
        return []
    # Wall-clock times in the store's zone, without offsets: days stay days across DST.
    times = [datetime.fromisoformat(row.time).astimezone(zone).replace(tzinfo=None) for row in rows]
    first = min(times)
    last = max(max(times), now.astimezone(zone).replace(tzinfo=None))
    hourly = last - first <= timedelta(days=2)
    step = timedelta(hours=1) if hourly else timedelta(days=1)

    def bucket(moment: datetime) -> datetime:
        if hourly:
            return moment.replace(minute=0, second=0, microsecond=0)
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)

    counts = Counter(bucket(t) for t in times)
    slots: list[datetime] = []
    slot = bucket(last)
    # The newest 48 hours or days at most; at least 12, so one busy hour is not a wall.
    while len(slots) < 48 and (slot >= bucket(first) or len(slots) < 12):
        slots.insert(0, slot)
        slot -= step
    top = max(counts.values())
    return [
        Column(
            label=f"{s:%H}h" if hourly else i18n.skeleton(s, "Ed"),
            title=(
                f"{i18n.skeleton(s, 'MMMEd')} {i18n.skeleton(s, 'Hm')}"
                if hourly
                else i18n.skeleton(s, "MMMEd")
            ),
            value=counts.get(s, 0),
            height=100 * counts.get(s, 0) / top,
        )
        for s in slots
    ]
