"""What will be posted, where and when: the plan behind `engagebot schedule`.

The running app uses the same rules (PollService.next_due, PromptService.next_due): one
loop sleeps until the earliest of them, so there is no per-second polling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.config import LoadedConfig
from bot.config.schema import PollConfig
from bot.prompts.rotation import question_index
from bot.prompts.schedule import occurrences
from bot.storage.base import PollRecord, PollState
from bot.timefmt import local_to_utc

Kind = Literal["prompt", "poll_open", "poll_close"]


@dataclass(frozen=True)
class PlannedRun:
    kind: Kind
    id: str
    channel: str  # the channel's name in the config
    utc_time: datetime
    local_time: datetime  # aware, in the prompt's or store's zone
    text: str  # the question to be posted, or the poll's question

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "channel": self.channel,
            "local_time": self.local_time.isoformat(),
            "utc_time": self.utc_time.isoformat().replace("+00:00", "Z"),
            "text": self.text,
        }


def plan(
    config: LoadedConfig,
    poll_configs: list[PollConfig],
    polls: dict[str, PollRecord],
    prompt_seqs: dict[str, int | None],
    start: datetime,
    end: datetime,
) -> list[PlannedRun]:
    """Everything due with start <= time < end, in time order. poll_configs are the
    configured polls and their run-off rounds (PollService.polls)."""
    runs: list[PlannedRun] = []
    for poll in poll_configs:
        for kind, moment in _poll_moments(config, poll, polls.get(poll.id)):
            if moment is not None and start <= moment < end:
                local = moment.astimezone(config.zone)
                runs += [
                    PlannedRun(kind, poll.id, c, moment, local, poll.question)
                    for c in poll.channels
                ]
    for prompt in config.settings.prompts:
        zone = config.prompt_zone(prompt)
        last = prompt_seqs.get(prompt.id)
        seq = 0 if last is None else last + 1
        for found in occurrences(prompt, zone, start, end):
            index = question_index(prompt.order, prompt.id, seq, len(prompt.questions))
            seq += 1
            text = prompt.questions[index].text
            runs += [
                PlannedRun("prompt", prompt.id, c, found.due_at, found.local_time, text)
                for c in prompt.channels
            ]
    runs.sort(key=lambda run: (run.utc_time, run.kind, run.id, run.channel))
    return runs


def _poll_moments(
    config: LoadedConfig, poll: PollConfig, record: PollRecord | None
) -> list[tuple[Kind, datetime | None]]:
    state = record.state if record else PollState.SCHEDULED
    if state is PollState.CLOSED:
        return []
    if state is PollState.OPEN and record is not None:
        return [("poll_close", record.closes_at)]
    opens = local_to_utc(poll.opens, config.zone) if poll.opens else None
    closes = local_to_utc(poll.closes, config.zone) if poll.closes else None
    if closes is None and opens is not None and poll.duration is not None:
        closes = opens + poll.duration
    return [("poll_open", opens), ("poll_close", closes)]
