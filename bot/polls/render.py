"""Render a poll (config + what happened) into neutral content for every adapter."""

from __future__ import annotations

import hashlib
import random
from zoneinfo import ZoneInfo

from bot import i18n, messages
from bot.config import LoadedConfig
from bot.config.schema import OptionConfig, PollConfig
from bot.core.actions import encode_vote
from bot.core.content import Button, Image, ProductCard, ResultRow, ResultsMessage, TallyBar
from bot.core.content import PollMessage as PollContent
from bot.polls.results import PollResults, join_labels
from bot.polls.verdict import Verdict, percent
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
    return None if price is None else i18n.price(price, currency)


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
    if poll.is_single_choice:
        how = messages.FOOTER_PICK_ONE.format()
    else:
        how = messages.FOOTER_PICK_UP_TO.format(max_choices=i18n.number(poll.max_choices))
    people = messages.VOTERS.format(tally.voters)
    if closed:
        return messages.FOOTER_CLOSED.format(voters=people)
    if record.state is PollState.SCHEDULED:
        return messages.FOOTER_NOT_OPEN.format(how=how)
    parts = [how, people]
    if record.closes_at:
        parts.append(messages.FOOTER_CLOSES.format(when=human(record.closes_at, zone)))
    if poll.results == "on_close":
        parts.append(messages.FOOTER_RESULTS_AT_CLOSE.format())
    return " · ".join(parts)


def render_results(results: PollResults, chart: Image | None = None) -> ResultsMessage:
    """The results post: rows best first, the verdict in words, participation, the
    per-platform breakdown and the run-off chain; chart is the bar chart, if drawn."""
    rows = tuple(
        ResultRow(
            o.id,
            o.label,
            o.votes,
            o.share,
            is_winner=results.winner is not None and o.id == results.winner.id,
        )
        for o in results.ranked()
    )
    details = [verdict_text(results), participation(results)]
    if results.votes_by_platform:
        entries = ", ".join(
            messages.RESULTS_PLATFORM_ENTRY.format(
                platform=name,
                votes=messages.votes(votes),
                voters=messages.customers(results.voters_by_platform.get(name, 0)),
            )
            for name, votes in sorted(results.votes_by_platform.items())
        )
        details.append(messages.RESULTS_BY_PLATFORM.format(platforms=entries))
    if results.runoff is not None:
        finalists = join_labels([o.label for o in results.finalists()])
        details.append(
            messages.RESULTS_RUNOFF_OPEN.format(options=finalists, poll_id=results.runoff)
        )
    if results.runoff_of is not None:
        details.append(messages.RESULTS_IS_RUNOFF.format(poll_id=results.runoff_of))
    return ResultsMessage(
        poll_id=results.id,
        title=messages.RESULTS_TITLE.format(question=results.question),
        rows=rows,
        headline=_headline(results),
        total_votes=results.total_votes,
        voters=results.voters,
        details=tuple(details),
        chart=chart,
    )


def _headline(results: PollResults) -> str:
    winner, leaders = results.sole_leader, results.leaders
    if winner is not None:
        share = i18n.percent(winner.share)
        verdict = results.decision.verdict
        if verdict is Verdict.TOO_CLOSE:
            return messages.HEADLINE_TOO_CLOSE.format(label=winner.label, share=share)
        if verdict is Verdict.CLEAR_WINNER:
            return messages.HEADLINE_WINS.format(label=winner.label, share=share)
        # Leaning, or too few votes: the verdict line says why it isn't decided yet.
        return messages.HEADLINE_LEADS.format(label=winner.label, share=share)
    if leaders:
        return messages.HEADLINE_TIE.format(labels=join_labels([o.label for o in leaders]))
    return messages.HEADLINE_NO_VOTES.format()


def participation(results: PollResults) -> str:
    return messages.RESULTS_PARTICIPATION.format(
        votes=messages.votes(results.total_votes), voters=messages.customers(results.voters)
    )


def verdict_text(results: PollResults) -> str:
    """The verdict in plain words, naming the options."""
    decision = results.decision
    by_id = {o.id: o.label for o in results.options}
    leader = by_id.get(decision.leader or "", "")
    runner_up = by_id.get(decision.runner_up or "", "")
    verdict = decision.verdict
    if verdict is Verdict.NOT_ENOUGH_VOTES:
        if results.total_votes == 0:
            return messages.VERDICT_NO_VOTES.format()
        return messages.VERDICT_NOT_ENOUGH.format(
            decision.voters, min_votes=i18n.number(decision.rule.min_votes)
        )
    fields = {
        "leader": leader,
        "runner_up": runner_up,
        "p": percent(decision.p_leader_best),
        "margin": i18n.number(round(decision.margin * 100)),
    }
    if verdict is Verdict.CLEAR_WINNER:
        return messages.VERDICT_CLEAR_WINNER.format(**fields)
    if verdict is Verdict.LEANING:
        return messages.VERDICT_LEANING.format(**fields)
    if results.sole_leader is None:
        return messages.VERDICT_TIED.format(tied=join_labels([o.label for o in results.leaders]))
    return messages.VERDICT_TOO_CLOSE.format(**fields)
