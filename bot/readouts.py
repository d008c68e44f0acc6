"""What the CLI's `--format json` and the web API both show: one builder per readout, so
the terminal and the dashboard never disagree."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.config import LoadedConfig
from bot.polls.results import PollResults, with_schedule
from bot.polls.service import PollService
from bot.scheduler import PlannedRun, pending_catch_ups, plan
from bot.storage.base import PromptPost

REPORT_DAYS = 14  # the engagement report's default window
_SUMMARY_KEYS = (
    "id",
    "question",
    "state",
    "total_votes",
    "voters",
    "opens_at",
    "opened_at",
    "closes_at",
    "closed_at",
    "duration_seconds",
    "verdict",
    "winner",
    "leader",
    "runoff_of",
)


async def all_results(service: PollService) -> list[PollResults]:
    """Every poll: configured ones and their run-offs, then removed ones with history."""
    ids = [poll.id for poll in service.polls] + await service.removed_polls()
    configured = {poll.id: poll for poll in service.polls}
    zone = service.config.zone
    return [
        with_schedule(await service.results(poll_id), configured.get(poll_id), zone)
        for poll_id in ids
    ]


def poll_summary(results: PollResults) -> dict[str, Any]:
    """One object of `engagebot polls --format json`."""
    data = results.to_json()
    return {key: data[key] for key in _SUMMARY_KEYS}


async def planned_runs(
    config: LoadedConfig,
    service: PollService,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> list[PlannedRun]:
    """What `engagebot schedule` lists between start and end; when that includes now, a
    missed prompt the bot posts at once ("now, catch-up of 10:00") is listed at now."""
    store = service.store
    now = now or service.clock.now()
    # Open polls as the config has them now: the bot applies it at its next start or
    # reload (SIGHUP), and a merchant who asks has usually just edited it.
    records = {r.poll_id: service.as_configured(r) for r in await store.list_polls()}
    seqs = {p.id: await store.last_prompt_seq(p.id) for p in config.settings.prompts}
    catch_ups = await pending_catch_ups(config, store, now)
    return plan(config, service.polls, records, seqs, start, end, now, catch_ups)


def report_window(
    today: date, since: date | None, until: date | None, days: int = REPORT_DAYS
) -> tuple[date, date]:
    """The report's first and last day: until defaults to today, since to `days` before."""
    last = until or today
    return since or last - timedelta(days=days - 1), last


def question_text(config: LoadedConfig, post: PromptPost) -> str:
    prompt = config.prompt(post.prompt_id)
    if prompt is None or post.question_index >= len(prompt.questions):
        return f"(question {post.question_index + 1})"
    return prompt.questions[post.question_index].text


def prompts_history(config: LoadedConfig, posts: list[PromptPost]) -> list[dict[str, object]]:
    """`engagebot prompts --format json`: each prompt set (removed ones too) and its posts."""
    known = [p.id for p in config.settings.prompts]
    ids = known + sorted({p.prompt_id for p in posts} - set(known))
    return [
        {
            "id": prompt_id,
            "in_config": prompt_id in known,
            "posts": [
                {
                    "date": post.local_date.isoformat(),
                    "platform": post.channel.platform,
                    "channel": post.channel.id,
                    "question": question_text(config, post),
                    "posted": post.message_id is not None,
                    "replies": post.replies,
                }
                for post in posts
                if post.prompt_id == prompt_id
            ],
        }
        for prompt_id in ids
    ]
