"""A poll's results as plain data: what the CLI prints, exports and posts at close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config.schema import PollConfig
from bot.storage.base import PollRecord, PollState, Tally


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

    @property
    def leaders(self) -> tuple[OptionResult, ...]:
        """Options sharing the most votes (several on a tie; none before any vote)."""
        top = max((option.votes for option in self.options), default=0)
        if top == 0:
            return ()
        return tuple(option for option in self.options if option.votes == top)

    @property
    def winner(self) -> OptionResult | None:
        leaders = self.leaders
        return leaders[0] if len(leaders) == 1 else None

    def ranked(self) -> list[OptionResult]:
        return sorted(self.options, key=lambda option: -option.votes)

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
            "platforms": dict(sorted(self.votes_by_platform.items())),
            "opened_at": _iso(self.opened_at),
            "closes_at": _iso(self.closes_at),
            "closed_at": _iso(self.closed_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def build_results(poll: PollConfig, record: PollRecord, tally: Tally) -> PollResults:
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
    )
