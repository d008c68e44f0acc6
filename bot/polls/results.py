"""A poll's results as plain data: what the CLI prints, exports and posts at close."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import messages
from bot.config.schema import PollConfig
from bot.polls.verdict import Decision, Verdict, decide
from bot.storage.base import PollRecord, PollState, Tally
from bot.timefmt import local_to_utc


@dataclass(frozen=True)
class OptionResult:
    id: str
    label: str
    votes: int
    share: float  # of all votes cast in the poll, 0..1


@dataclass(frozen=True)
class PollResults:
    id: str
    question: str
    state: PollState
    options: tuple[OptionResult, ...]  # config order
    total_votes: int
    voters: int
    votes_by_platform: dict[str, int]
    opened_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    decision: Decision
    voters_by_platform: dict[str, int]
    runoff_of: str | None = None  # this poll is a run-off of that poll
    runoff: str | None = None  # the run-off poll created from this one
    # When it opens: the configured time while scheduled (None: when the bot starts),
    # then when it did. closes_at, while scheduled, is the configured close if known;
    # duration is set when only "this long after opening" is.
    opens_at: datetime | None = None
    duration: timedelta | None = None

    @property
    def leaders(self) -> tuple[OptionResult, ...]:
        """Options sharing the most votes (several on a tie; none before any vote)."""
        top = max((option.votes for option in self.options), default=0)
        if top == 0:
            return ()
        return tuple(option for option in self.options if option.votes == top)

    @property
    def sole_leader(self) -> OptionResult | None:
        """The one option with the most votes (None on a tie or before any vote)."""
        leaders = self.leaders
        return leaders[0] if len(leaders) == 1 else None

    @property
    def winner(self) -> OptionResult | None:
        """The winner only when the verdict decides one (a clear winner by the poll's
        decision rule). Leading, leaning or ahead on too few votes is not winning:
        nobody gets a trophy, and `leader` says who is ahead."""
        if self.decision.verdict is not Verdict.CLEAR_WINNER:
            return None
        return self.sole_leader

    def ranked(self) -> list[OptionResult]:
        return sorted(self.options, key=lambda option: -option.votes)

    def finalists(self) -> list[OptionResult]:
        """Who goes to a run-off: the top two (a tie for second goes to the option
        listed first), or everyone tied for the lead when more than two are."""
        leaders = self.leaders
        return list(leaders) if len(leaders) > 2 else self.ranked()[:2]

    def to_json(self) -> dict[str, Any]:
        winner = self.winner
        return {
            "id": self.id,
            "question": self.question,
            "state": self.state.value,
            "total_votes": self.total_votes,
            "voters": self.voters,
            "winner": winner.id if winner else None,
            "tied": [option.id for option in self.leaders] if len(self.leaders) > 1 else [],
            "options": [
                {"id": o.id, "label": o.label, "votes": o.votes, "share": round(o.share, 4)}
                for o in self.options
            ],
            "verdict": self.decision.verdict.value,
            "p_leader_best": round(self.decision.p_leader_best, 6),
            "leader": self.decision.leader if self.total_votes else None,
            "runner_up": self.decision.runner_up if self.total_votes else None,
            "margin": round(self.decision.margin, 4),
            "decision": {
                "min_votes": self.decision.rule.min_votes,
                "min_margin": self.decision.rule.min_margin,
                "confidence": self.decision.rule.confidence,
                "leaning_confidence": self.decision.rule.leaning_confidence,
            },
            "platforms": dict(sorted(self.votes_by_platform.items())),
            "voters_by_platform": dict(sorted(self.voters_by_platform.items())),
            "runoff_of": self.runoff_of,
            "runoff": self.runoff,
            "opens_at": _iso(self.opens_at),
            "opened_at": _iso(self.opened_at),
            "closes_at": _iso(self.closes_at),
            "closed_at": _iso(self.closed_at),
            "duration_seconds": int(self.duration.total_seconds()) if self.duration else None,
        }


def join_labels(labels: list[str]) -> str:
    """ "A", "A and B", "A, B and C" ("A, B et C" in French)."""
    if len(labels) <= 1:
        return "".join(labels)
    return messages.AND_LIST.format(items=", ".join(labels[:-1]), last=labels[-1])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def with_schedule(results: PollResults, poll: PollConfig | None, zone: ZoneInfo) -> PollResults:
    """results with opens_at, and for a scheduled poll its configured close time (or the
    duration, when it opens at the bot's start): what `polls` shows before it opens."""
    if results.state is not PollState.SCHEDULED or poll is None:
        return replace(results, opens_at=results.opened_at)
    opens = local_to_utc(poll.opens, zone) if poll.opens else None
    closes: datetime | None = None
    if poll.closes is not None:
        closes = local_to_utc(poll.closes, zone)
    elif opens is not None and poll.duration is not None:
        closes = opens + poll.duration
    duration = poll.duration if closes is None else None
    return replace(results, opens_at=opens, closes_at=closes, duration=duration)


def build_results(
    poll: PollConfig,
    record: PollRecord,
    tally: Tally,
    *,
    pair: tuple[int, int] | None = None,
    runoff_of: str | None = None,
    runoff: str | None = None,
) -> PollResults:
    """pair: for a multiple-choice poll, the ballots that chose the leader but not the
    runner-up and the other way round (see verdict.py); None for single choice."""
    total = sum(tally.counts.get(option.id, 0) for option in poll.options)
    options = tuple(
        OptionResult(
            id=option.id,
            label=option.label,
            votes=tally.counts.get(option.id, 0),
            share=(tally.counts.get(option.id, 0) / total) if total else 0.0,
        )
        for option in poll.options
    )
    return PollResults(
        id=poll.id,
        question=poll.question,
        state=record.state,
        options=options,
        total_votes=total,
        voters=tally.voters,
        votes_by_platform=dict(tally.votes_by_platform),
        opened_at=record.opened_at,
        closes_at=record.closes_at,
        closed_at=record.closed_at,
        decision=decide([(o.id, o.votes) for o in options], tally.voters, poll.decision, pair),
        voters_by_platform=dict(tally.voters_by_platform),
        runoff_of=runoff_of,
        runoff=runoff,
    )
