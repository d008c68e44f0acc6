"""Render a poll (config + what happened) into neutral content for every adapter."""

from __future__ import annotations

import hashlib
import random
from zoneinfo import ZoneInfo

from babel.numbers import format_currency

from bot.config import LoadedConfig
from bot.config.schema import OptionConfig, PollConfig
from bot.core.actions import encode_vote
from bot.core.content import Button, ProductCard, ResultRow, ResultsMessage, TallyBar
from bot.core.content import PollMessage as PollContent
from bot.polls.results import PollResults
from bot.storage.base import PollRecord, PollState, Tally
from bot.timefmt import human


def display_order(poll: PollConfig) -> list[OptionConfig]:
    """Config order, or a shuffle that is stable for the poll (same after a restart)."""
    options = list(poll.options)
    if poll.shuffle:
        seed = int.from_bytes(hashlib.sha256(poll.id.encode()).digest()[:8], "big")
        random.Random(seed).shuffle(options)
    return options


def format_price(price: float | None, currency: str) -> str | None:
    return None if price is None else format_currency(price, currency, locale="en")


def results_visible(poll: PollConfig, record: PollRecord) -> bool:
    return poll.results == "live" or record.state is PollState.CLOSED


def render_poll(
    config: LoadedConfig, poll: PollConfig, record: PollRecord, tally: Tally
) -> PollContent:
    visible = results_visible(poll, record)
    total = sum(tally.counts.get(option.id, 0) for option in poll.options)
    closed = record.state is PollState.CLOSED
    cards = []
    for number, option in enumerate(display_order(poll), start=1):
        votes = tally.counts.get(option.id, 0)
        cards.append(
            ProductCard(
                number=number,
                option_id=option.id,
                label=option.label,
                button=Button(
                    label=option.label,
                    action_id=encode_vote(poll.id, option.id),
                    disabled=record.state is not PollState.OPEN,
                ),
                image=config.image(option.image),
                price=format_price(option.price, config.settings.store.currency),
                description=option.description,
                link=option.link,
                tally=TallyBar(votes, votes / total if total else 0.0) if visible else None,
            )
        )
    return PollContent(
        poll_id=poll.id,
        title=poll.question,
        description=poll.description,
        cards=tuple(cards),
        state=record.state.value,
        footer=_footer(poll, record, tally, config.zone, closed),
        total_votes=total if visible else 0,
        voters=tally.voters,
        results_visible=visible,
    )


def _footer(
    poll: PollConfig, record: PollRecord, tally: Tally, zone: ZoneInfo, closed: bool
) -> str:
    how = "Pick one" if poll.is_single_choice else f"Pick up to {poll.max_choices}"
    people = f"{tally.voters} voter{'s' if tally.voters != 1 else ''}"
    if closed:
        return f"Voting closed · final results · {people}"
    if record.state is PollState.SCHEDULED:
        return f"{how} · voting has not opened yet"
    parts = [how, people]
    if record.closes_at:
        parts.append(f"closes {human(record.closes_at, zone)}")
    if poll.results == "on_close":
        parts.append("results shown at close")
    return " · ".join(parts)


def render_results(results: PollResults) -> ResultsMessage:
    winner = results.winner
    leaders = results.leaders
    if winner is not None:
        headline = f"🏆 {winner.label} wins with {winner.share:.0%} of the votes."
    elif leaders:
        headline = "It's a tie between " + " and ".join(o.label for o in leaders) + "."
    else:
        headline = "No votes were cast."
    rows = tuple(
        ResultRow(
            o.id, o.label, o.votes, o.share, is_winner=winner is not None and o.id == winner.id
        )
        for o in results.ranked()
    )
    details = [f"{results.total_votes} votes from {results.voters} customers"]
    if len(results.votes_by_platform) > 1:
        details.append(
            "by platform: "
            + ", ".join(
                f"{name} {votes}" for name, votes in sorted(results.votes_by_platform.items())
            )
        )
    return ResultsMessage(
        poll_id=results.id,
        title=f"Results: {results.question}",
        rows=rows,
        headline=headline,
        total_votes=results.total_votes,
        voters=results.voters,
        details=tuple(details),
    )
