"""What the pages show, in the merchant's words and the store's time: time left, the
verdict in a sentence, votes over time as columns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.polls.export import VoteRow
from bot.polls.render import render_results
from bot.polls.results import PollResults
from bot.polls.verdict import Verdict
from bot.storage.base import PollState
from bot.timefmt import human

STATE_NAMES = {
    PollState.SCHEDULED: "Scheduled",
    PollState.OPEN: "Open",
    PollState.CLOSED: "Closed",
}
VERDICT_NAMES = {
    Verdict.CLEAR_WINNER: "Clear winner",
    Verdict.LEANING: "Leaning",
    Verdict.TOO_CLOSE: "Too close to call",
    Verdict.NOT_ENOUGH_VOTES: "Not enough votes yet",
}


def time_left(closes_at: datetime | None, now: datetime) -> str:
    """'3 days 4 h left', '25 min left', 'closing now'."""
    if closes_at is None:
        return "no closing time"
    left = closes_at - now
    if left <= timedelta(0):
        return "closing now"
    minutes = int(left.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h left"
    if hours:
        return f"{hours} h {mins} min left"
    return f"{max(mins, 1)} min left"


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    return human(moment, zone) if moment else "—"


def short_time(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """'14:05' today, 'Tue 3 Mar 14:05' otherwise (store time)."""
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


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
        text = self.details[0].removeprefix("Verdict: ")
        return text[:1].upper() + text[1:]

    @property
    def id(self) -> str:
        return self.results.id


def poll_view(results: PollResults, now: datetime, zone: ZoneInfo) -> PollView:
    posted = render_results(results)
    if results.state is PollState.OPEN:
        timing = time_left(results.closes_at, now)
    elif results.state is PollState.CLOSED:
        timing = f"closed {when(results.closed_at, zone)}"
    else:
        timing = "not open yet"
    leaders = results.leaders
    if not leaders:
        leader = "—"
    elif len(leaders) == 1:
        leader = f"{leaders[0].label} ({leaders[0].share:.0%})"
    else:
        leader = "tie: " + " and ".join(o.label for o in leaders)
    return PollView(
        results=results,
        state=STATE_NAMES[results.state],
        timing=timing,
        leader=leader,
        verdict_name=VERDICT_NAMES[results.decision.verdict],
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
            label=f"{s:%H}h" if hourly else f"{s:%a %-d}",
            title=f"{s:%a %-d %b %H:00}" if hourly else f"{s:%a %-d %b}",
            value=counts.get(s, 0),
            height=100 * counts.get(s, 0) / top,
        )
        for s in slots
    ]
