"""What will be posted, where and when: the plan behind `engagebot schedule`.

The running app uses the same rules (PollService.next_due, PromptService.next_due): one
loop sleeps until the earliest of them, so there is no per-second polling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.clock import SystemClock
from bot.config import LoadedConfig
from bot.config.schema import PollConfig
from bot.core.refs import ChannelRef
from bot.prompts.rotation import question_index
from bot.prompts.schedule import Occurrence, occurrences
from bot.prompts.service import PromptService
from bot.storage.base import PollRecord, PollState, Store
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
    # A missed prompt the bot posts as soon as it runs: its scheduled local time.
    catch_up_of: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "channel": self.channel,
            "local_time": self.local_time.isoformat(),
            "utc_time": self.utc_time.isoformat().replace("+00:00", "Z"),
            "text": self.text,
            "catch_up_of": self.catch_up_of.isoformat() if self.catch_up_of else None,
        }


@dataclass(frozen=True)
class CatchUp:
    """Today's prompt, missed, that the bot posts at once when it runs (next start, or
    its next pass if it is running)."""

    occurrence: Occurrence
    channels: list[str]  # config channel names still without it
    question_index: int | None  # the day's question, if it was drawn already


async def pending_catch_ups(config: LoadedConfig, store: Store, now: datetime) -> list[CatchUp]:
    """What the app's due_now would post now and is not posted yet, read without
    recording anything (a set never run with has nothing to catch up)."""
    prompts = PromptService(config, store, SystemClock())
    await prompts.load_seen()
    found: list[CatchUp] = []
    for occurrence in prompts.due_now(now):
        prompt = config.prompt(occurrence.prompt_id)
        if prompt is None:
            continue
        posts = [
            post
            for post in await store.prompt_posts(prompt.id)
            if post.local_date == occurrence.local_date
        ]
        confirmed = {post.channel for post in posts if post.message_id is not None}
        missing = [
            name
            for name in prompt.channels
            if any(
                ChannelRef(platform, channel_id) not in confirmed
                for platform in config.enabled_platforms
                if (channel_id := config.channel_id(name, platform)) is not None
            )
        ]
        if missing:
            index = posts[0].question_index if posts else None
            found.append(CatchUp(occurrence, missing, index))
    return found


def plan(
    config: LoadedConfig,
    poll_configs: list[PollConfig],
    polls: dict[str, PollRecord],
    prompt_seqs: dict[str, int | None],
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    catch_ups: list[CatchUp] | None = None,
) -> list[PlannedRun]:
    """Everything due with start <= time < end, in time order. poll_configs are the
    configured polls and their run-off rounds (PollService.polls). When the period
    includes `now`, prompt times already past are left out (posted or missed: see
    `engagebot prompts`) and `catch_ups` are shown at `now`."""
    runs: list[PlannedRun] = []
    for poll in poll_configs:
        for kind, moment in _poll_moments(config, poll, polls.get(poll.id)):
            if moment is not None and start <= moment < end:
                local = moment.astimezone(config.zone)
                runs += [
                    PlannedRun(kind, poll.id, c, moment, local, poll.question)
                    for c in poll.channels
                ]
    live = now is not None and start <= now < end
    for prompt in config.settings.prompts:
        zone = config.prompt_zone(prompt)
        last = prompt_seqs.get(prompt.id)
        seq = 0 if last is None else last + 1
        for catch_up in catch_ups or []:
            if not live or now is None or catch_up.occurrence.prompt_id != prompt.id:
                continue
            index = catch_up.question_index
            if index is None:  # drawn when it is posted: the next in the rotation
                index = question_index(prompt.order, prompt.id, seq, len(prompt.questions))
                seq += 1
            text = prompt.questions[index].text if index < len(prompt.questions) else ""
            of = catch_up.occurrence.local_time
            runs += [
                PlannedRun("prompt", prompt.id, c, now, now.astimezone(zone), text, of)
                for c in catch_up.channels
            ]
        for found in occurrences(prompt, zone, start, end):
            if live and now is not None and found.due_at < now:
                continue
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
