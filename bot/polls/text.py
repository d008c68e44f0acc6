"""Plain-text views of polls and results, for chat replies and the console."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import messages
from bot.polls.render import participation, verdict_text
from bot.polls.results import PollResults
from bot.timefmt import human

BAR_WIDTH = 20


def bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)


def results_text(results: PollResults, zone: ZoneInfo) -> str:
    lines = [f"{results.question} [{results.id}, {results.state.value}]"]
    label_width = max((len(o.label) for o in results.options), default=0)
    winner, leader = results.winner, results.sole_leader
    closed = results.state.value == "closed"
    for option in results.options:
        # A trophy only for a winner the verdict decided, once voting is over; otherwise
        # the option ahead is just that.
        mark = ""
        if leader is not None and option.id == leader.id:
            mark = " 🏆" if closed and winner is not None else " ← leading"
        lines.append(
            f"  {option.label:<{label_width}}  {bar(option.share)} "
            f"{option.votes:>5} ({option.share:.0%}){mark}"
        )
    lines.append(f"  {participation(results)}")
    lines.append(f"  {verdict_text(results)}")
    if results.closes_at and results.closed_at is None:
        lines.append(f"  closes {human(results.closes_at, zone)}")
    return "\n".join(lines)


def poll_line(results: PollResults, zone: ZoneInfo) -> str:
    when = ""
    if results.closed_at:
        when = f", closed {human(results.closed_at, zone)}"
    elif results.closes_at:
        when = f", closes {human(results.closes_at, zone)}"
    return (
        f"{results.id}: {results.question} [{results.state.value}{when}] "
        f"{messages.votes(results.total_votes)}"
    )
