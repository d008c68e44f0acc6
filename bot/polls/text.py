"""Plain-text views of polls and results, for chat replies and the console."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import i18n, messages
from bot.polls.render import participation, verdict_text
from bot.polls.results import PollResults
from bot.timefmt import human

BAR_WIDTH = 20


def bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)


def results_text(results: PollResults, zone: ZoneInfo) -> str:
    state = messages.POLL_STATES[results.state.value].format()
    lines = [f"{results.question} [{results.id}, {state}]"]
    label_width = max((len(o.label) for o in results.options), default=0)
    winner, leader = results.winner, results.sole_leader
    closed = results.state.value == "closed"
    leading = f" {messages.RESULTS_LEADING.format()}"
    for option in results.options:
        # A trophy only for a winner the verdict decided, once voting is over; otherwise
        # the option ahead is just that.
        mark = ""
        if leader is not None and option.id == leader.id:
            mark = " 🏆" if closed and winner is not None else leading
        share = i18n.percent(option.share)
        lines.append(
            f"  {option.label:<{label_width}}  {bar(option.share)} "
            f"{i18n.number(option.votes):>5} ({share}){mark}"
        )
    lines.append(f"  {participation(results)}")
    lines.append(f"  {verdict_text(results)}")
    if results.closes_at and results.closed_at is None:
        closes = messages.FOOTER_CLOSES.format(when=human(results.closes_at, zone))
        lines.append(f"  {closes}")
    return "\n".join(lines)


def poll_line(results: PollResults, zone: ZoneInfo) -> str:
    when = ""
    if results.closed_at:
        when = messages.POLL_LINE_CLOSED.format(when=human(results.closed_at, zone))
    elif results.closes_at:
        when = messages.POLL_LINE_CLOSES.format(when=human(results.closes_at, zone))
    return messages.POLL_LINE.format(
        poll_id=results.id,
        question=results.question,
        state=messages.POLL_STATES[results.state.value].format(),
        when=when,
        votes=messages.votes(results.total_votes),
    )
