"""Rules between keys of one poll or prompt (closes after opens, max_choices within the
options, cron or at, ...), checked on the raw data.

pydantic runs a model's own validators only when every field is valid, so a poll with
one wrong key would hide these problems; here each rule needs only the keys it is about
to be readable, and validate reports every problem in one pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from bot.config import cron, messages
from bot.config.env import may_echo
from bot.config.schema import SHARD_RULES, DecisionRule, parse_local_datetime
from bot.config.yaml_source import SourceMap, YPath
from bot.errors import ConfigProblem

# The pydantic error types of the model validators this module re-checks on raw data;
# validate.py leaves them to us so each is reported once, and always.
MODEL_RULES = frozenset(
    {
        "closes_and_duration",
        "max_choices_over_options",
        "leaning_over_confidence",
        "cron_and_at",
        "no_schedule",
        "bad_cron",
        "cron_never",
        "cron_twice_a_day",
        *SHARD_RULES,
    }
)
_T = TypeVar("_T")
_INT: TypeAdapter[int] = TypeAdapter(int)
_SHARD_IDS: TypeAdapter[list[int]] = TypeAdapter(list[int])
_FLOAT: TypeAdapter[float] = TypeAdapter(float)


def cross_field_problems(data: object, smap: SourceMap) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for i, poll in _entries(data, "polls"):
        problems += _poll(poll, ("polls", i), smap)
    for i, prompt in _entries(data, "prompts"):
        problems += _prompt(prompt, ("prompts", i), smap)
    platforms = data.get("platforms") if isinstance(data, Mapping) else None
    discord = platforms.get("discord") if isinstance(platforms, Mapping) else None
    if isinstance(discord, Mapping):
        problems += _shards(discord, ("platforms", "discord"), smap)
    return problems


def _shards(discord: Mapping[object, object], path: YPath, smap: SourceMap) -> list[ConfigProblem]:
    """shard_ids need shard_count, each below it, none twice (a value from
    ENGAGEBOT_DISCORD_SHARD_* is placed on that variable, see overrides.py)."""
    count = _read(_INT, discord.get("shard_count"))
    ids = _read(_SHARD_IDS, discord.get("shard_ids"))
    if ids is None:
        return []
    ids_at = smap.value((*path, "shard_ids"))
    if count is None:
        if _given(discord, "shard_count"):
            return []  # unreadable: the field's own check reports it
        return [ids_at.problem(*messages.SHARD_IDS_WITHOUT_COUNT)]
    problems: list[ConfigProblem] = []
    too_high = [i for i in ids if i >= count]
    if too_high:
        count_at = smap.value((*path, "shard_count"))
        variable = None if count_at.line else count_at.file
        problems.append(ids_at.problem(*messages.shard_ids_too_high(too_high, count, variable)))
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        problems.append(ids_at.problem(*messages.shard_ids_repeated(repeated)))
    return problems


def _poll(poll: Mapping[object, object], path: YPath, smap: SourceMap) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    if _given(poll, "closes") and _given(poll, "duration"):
        problems.append(smap.key((*path, "duration")).problem(*messages.CLOSES_AND_DURATION))
    opens, closes = _when(poll.get("opens")), _when(poll.get("closes"))
    if opens is not None and closes is not None and closes <= opens:
        problems.append(
            smap.value((*path, "closes")).problem(*messages.not_after("closes", "opens"))
        )
    max_choices = _read(_INT, poll.get("max_choices"))
    options = poll.get("options")
    if max_choices is not None and isinstance(options, list) and max_choices > len(options) > 0:
        message = messages.max_choices_over_options(max_choices, len(options))
        problems.append(smap.value((*path, "max_choices")).problem(*message))
    decision = poll.get("decision")
    if isinstance(decision, Mapping):
        defaults = DecisionRule()
        confidence = _read(_FLOAT, decision.get("confidence", defaults.confidence))
        leaning = _read(_FLOAT, decision.get("leaning_confidence", defaults.leaning_confidence))
        if confidence is not None and leaning is not None and leaning > confidence:
            where = smap.value((*path, "decision", "leaning_confidence"))
            problems.append(where.problem(*messages.leaning_over_confidence(leaning, confidence)))
    return problems


def _prompt(prompt: Mapping[object, object], path: YPath, smap: SourceMap) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    expression = prompt.get("cron")
    has_cron = _given(prompt, "cron")
    if has_cron and (_given(prompt, "at") or _given(prompt, "days")):
        problems.append(smap.key((*path, "cron")).problem(*messages.CRON_AND_AT))
    if not has_cron and not _given(prompt, "at"):
        problems.append(smap.value(path).problem(*messages.NO_SCHEDULE))
    if isinstance(expression, str):
        rule = _cron_rule(expression)
        if rule is not None:
            where = (*path, "cron")
            shown = expression if may_echo(where, smap) else None
            problems.append(smap.value(where).problem(*rule(shown)))
    start, end = _when(prompt.get("start")), _when(prompt.get("end"))
    if start is not None and end is not None and end <= start:
        problems.append(smap.value((*path, "end")).problem(*messages.not_after("end", "start")))
    return problems


def _cron_rule(expression: str) -> Callable[[str | None], messages.Msg] | None:
    if not cron.is_valid(expression):
        return messages.bad_cron
    if not cron.fires_at_all(expression):
        return messages.cron_never
    if cron.fires_twice_a_day(expression):
        return messages.cron_twice_a_day
    return None


def _given(item: Mapping[object, object], key: str) -> bool:
    return item.get(key) is not None


def _when(value: object) -> datetime | None:
    """A local date and time, or None when it is missing or unreadable (the field's own
    check reports that)."""
    if value is None:
        return None
    try:
        parsed = parse_local_datetime(value)
    except PydanticCustomError:
        return None
    return parsed if isinstance(parsed, datetime) else None


def _read(adapter: TypeAdapter[_T], value: object) -> _T | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _entries(data: object, section: str) -> Iterable[tuple[int, Mapping[object, object]]]:
    entries = data.get(section) if isinstance(data, Mapping) else None
    if isinstance(entries, list):
        yield from ((i, e) for i, e in enumerate(entries) if isinstance(e, Mapping))
