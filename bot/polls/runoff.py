"""Run-off rounds: when a poll with `runoff: true` is too close to call at close, a new
poll between its top two opens at once in the same channels.

A round is a poll the bot created, so it is not in the YAML: its definition is stored in
the database (poll_rounds, migration 0003) and turned back into a PollConfig here. The
store's UNIQUE (runoff_of) makes "one run-off per poll" hold even when close is
triggered twice, concurrently, or by two processes.

Choices, documented for merchants in the README:
- the top two by votes; a tie for second place goes to the option listed first, and
  when more than two tie for the lead, all of them go to the run-off;
- a run-off is single choice, keeps the poll's channels, vote-change rule, results
  visibility and decision rule, and gets no run-off of its own (no endless rounds);
- it lasts `runoff_duration`, else the poll's `duration`, else as long as the poll ran.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError

from bot import messages
from bot.config.schema import PollConfig
from bot.polls.results import PollResults, join_labels
from bot.storage.base import PollRecord, PollRound

log = logging.getLogger(__name__)

MAX_ID_LENGTH = 32
SUFFIX = "-r2"
TOO_CLOSE = "too_close"
# Fields that only matter before a poll opens: a round is created open.
_NOT_STORED = {"opens", "closes", "duration", "runoff_duration"}


def round_id(poll_id: str, taken: Iterable[str]) -> str:
    """`<poll>-r2`, shortened with a hash of the whole id when that would pass 32
    characters, and never an id already used by another poll."""
    used = set(taken)
    plain = poll_id + SUFFIX
    if len(plain) <= MAX_ID_LENGTH and plain not in used:
        return plain
    digest = hashlib.sha256(poll_id.encode()).hexdigest()
    for start in range(0, len(digest) - 4):
        tag = digest[start : start + 4]
        base = poll_id[: MAX_ID_LENGTH - len(SUFFIX) - len(tag) - 1]
        candidate = f"{base}-{tag}{SUFFIX}"
        if candidate not in used:
            return candidate
    raise ValueError(f"no free run-off id for {poll_id}")  # 60 hash slices all taken


def duration(poll: PollConfig, record: PollRecord) -> timedelta | None:
    if poll.runoff_duration is not None:
        return poll.runoff_duration
    if poll.duration is not None:
        return poll.duration
    if record.opened_at is not None and record.closed_at is not None:
        ran = record.closed_at - record.opened_at
        return ran if ran > timedelta(0) else None
    return None


def definition(poll: PollConfig, results: PollResults, new_id: str) -> PollConfig:
    """The run-off between the finalists of results, in config order."""
    top = {option.id for option in results.finalists()}
    options = [option for option in poll.options if option.id in top]
    labels = [option.label for option in options]
    question = messages.RUNOFF_QUESTION.format(question=poll.question)
    return PollConfig(
        id=new_id,
        question=question[:300],
        description=messages.RUNOFF_DESCRIPTION.format(options=join_labels(labels)),
        channels=list(poll.channels),
        max_choices=1,
        allow_change=poll.allow_change,
        results=poll.results,
        shuffle=poll.shuffle,
        decision=poll.decision,
        runoff=False,
        options=options,
    )


def dump(poll: PollConfig) -> str:
    return json.dumps(poll.model_dump(mode="json", exclude=_NOT_STORED), ensure_ascii=False)


def load(stored: PollRound) -> PollConfig | None:
    try:
        return PollConfig.model_validate(json.loads(stored.definition))
    except (ValueError, ValidationError):
        log.exception("run-off %s has an unreadable definition; skipped", stored.poll_id)
        return None


@dataclass(frozen=True)
class Round:
    stored: PollRound
    poll: PollConfig


class Rounds:
    """The run-off polls known to this process, as PollConfigs."""

    def __init__(self) -> None:
        self._by_id: dict[str, Round] = {}

    def replace(self, stored: Iterable[PollRound]) -> None:
        found: dict[str, Round] = {}
        for item in stored:
            known = self._by_id.get(item.poll_id)
            poll = known.poll if known else load(item)
            if poll is not None:
                found[item.poll_id] = Round(item, poll)
        self._by_id = found

    def get(self, poll_id: str) -> PollConfig | None:
        found = self._by_id.get(poll_id)
        return found.poll if found else None

    def runoff_of(self, poll_id: str) -> str | None:
        """The poll this round is a run-off of."""
        found = self._by_id.get(poll_id)
        return found.stored.runoff_of if found else None

    def runoff(self, poll_id: str) -> str | None:
        """The run-off created from this poll."""
        found = (r.poll.id for r in self._by_id.values() if r.stored.runoff_of == poll_id)
        return next(found, None)

    def arrange(self, configured: list[PollConfig]) -> list[PollConfig]:
        """Configured polls, each followed by its chain of rounds; rounds whose poll left
        the config come last."""
        ordered: list[PollConfig] = []
        ids = {poll.id for poll in configured}
        for poll in configured:
            ordered.append(poll)
            child = self.runoff(poll.id)
            while child is not None and child not in ids:
                round_poll = self._by_id[child].poll
                ordered.append(round_poll)
                ids.add(child)
                child = self.runoff(child)
        ordered.extend(r.poll for r in self._by_id.values() if r.poll.id not in ids)
        return ordered
