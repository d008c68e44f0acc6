"""Validates each section on its own and turns pydantic errors into merchant messages.

Sections (store, database, platforms, channels, each poll, each prompt) are validated
separately so one broken poll does not hide problems elsewhere; each pydantic error's
loc is mapped back to the YAML position it came from."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from bot.config import messages
from bot.config.crossfield import MODEL_RULES
from bot.config.env import may_echo
from bot.config.schema import (
    ChannelConfig,
    ConsoleConfig,
    DecisionRule,
    DiscordConfig,
    Identifier,
    OptionConfig,
    PlatformsConfig,
    PollConfig,
    PromptConfig,
    QuestionConfig,
    Settings,
    SlackConfig,
    StoreConfig,
    WebConfig,
)
from bot.config.yaml_source import MISSING as _MISSING
from bot.config.yaml_source import SourceMap, YPath, lookup
from bot.config.yaml_source import child as _child
from bot.errors import ConfigProblem
from bot.storage.urls import CONFIG_PATTERN

# SQLite or PostgreSQL (bot/storage/urls.py has the whole URL policy).
_DATABASE = CONFIG_PATTERN
_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")
# Channel names may be written as numbers; Settings does the same via Strict's config.
_CHANNELS: TypeAdapter[dict[str, ChannelConfig]] = TypeAdapter(
    dict[Identifier, ChannelConfig], config=ConfigDict(coerce_numbers_to_str=True)
)
_STORE = TypeAdapter(StoreConfig)
_TEXT = TypeAdapter(str)
_PLATFORMS = TypeAdapter(PlatformsConfig)
_POLL = TypeAdapter(PollConfig)
_PROMPT = TypeAdapter(PromptConfig)

# Which model a mapping at a given path shape is, and how merchants call it.
_CONTEXTS: dict[tuple[str, ...], tuple[str, type[BaseModel]]] = {
    (): ("the top level of the config", Settings),
    ("store",): ("store", StoreConfig),
    ("platforms",): ("platforms", PlatformsConfig),
    ("platforms", "console"): ("the console platform", ConsoleConfig),
    ("platforms", "discord"): ("the discord platform", DiscordConfig),
    ("platforms", "slack"): ("the slack platform", SlackConfig),
    ("channels", "*"): ("channel", ChannelConfig),
    ("polls", "#"): ("poll", PollConfig),
    ("polls", "#", "decision"): ("poll decision", DecisionRule),
    ("polls", "#", "options", "#"): ("poll option", OptionConfig),
    ("prompts", "#"): ("prompt", PromptConfig),
    ("prompts", "#", "questions", "#"): ("prompt question", QuestionConfig),
}

_EXAMPLES: dict[str, str] = {
    "store": "store: with name: your shop's name",
    "name": "name: Velo Corner",
    "token": "token: ${DISCORD_TOKEN}",
    "bot_token": "bot_token: ${SLACK_BOT_TOKEN}",
    "question": "question: Which helmet should we stock?",
    "label": "label: AeroLite MIPS",
    "channels": "channels: [community]",
    "options": "options: with at least two entries '- id: ...' and 'label: ...'",
    "questions": "questions: with at least one entry '- text: ...'",
    "text": "text: What was your best ride this week?",
}
_ID_EXAMPLES = {"poll": "spring-helmets", "poll option": "aero", "prompt": "daily-question"}

_WRONG_TYPE: dict[str, str] = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a block of keys",
    "model_type": "a block of keys",
    "model_attributes_type": "a block of keys",
    "literal_type": "text",
}
_RANGES = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


@dataclass
class Sections:
    """What validated; None or a missing index means that part had problems."""

    store: StoreConfig | None = None
    database: str | None = None
    platforms: PlatformsConfig | None = None
    channels: dict[str, ChannelConfig] | None = None
    polls: list[tuple[int, PollConfig]] = field(default_factory=list)
    prompts: list[tuple[int, PromptConfig]] = field(default_factory=list)
    broken_channels: set[str] = field(default_factory=set)
    web: WebConfig | None = None


def validate_sections(
    data: Mapping[object, object], smap: SourceMap, partial: bool = False
) -> tuple[Sections, list[ConfigProblem]]:
    """partial: the main file could not be read, so only polls and prompts are checked."""
    problems: list[ConfigProblem] = []
    out = Sections()
    if not partial:
        _validate_main(data, smap, problems, out)
    out.polls = _items("polls", _POLL, data, smap, problems)
    out.prompts = _items("prompts", _PROMPT, data, smap, problems)
    return out, problems


def _items(
    section: str,
    adapter: TypeAdapter[_T],
    data: Mapping[object, object],
    smap: SourceMap,
    problems: list[ConfigProblem],
) -> list[tuple[int, _T]]:
    """Each poll (or prompt) on its own, with its index in the merged list."""
    items = data.get(section, [])
    if not isinstance(items, list):
        where = smap.value((section,))
        problems.append(where.problem(*messages.not_a_list(section, section[:-1])))
        return []
    valid: list[tuple[int, _T]] = []
    for index, item in enumerate(items):
        one = _validate(adapter, item, (section, index), data, smap, problems)
        if one is not None:
            valid.append((index, one))
    return valid


def _validate_main(
    data: Mapping[object, object], smap: SourceMap, problems: list[ConfigProblem], out: Sections
) -> None:
    """store, database, platforms and channels, each on its own."""
    for key in data:
        if key not in Settings.model_fields:
            problems.append(_unknown_key((key,), smap))
    if "store" not in data:
        message = messages.missing_key("store", _CONTEXTS[()][0], _EXAMPLES["store"])
        problems.append(smap.value(()).problem(*message))
    else:
        out.store = _validate(_STORE, data["store"], ("store",), data, smap, problems)
    if "database" in data:
        out.database = _validate(_TEXT, data["database"], ("database",), data, smap, problems)
        # An unset variable is reported on its own; a set one is checked like the rest
        # (the messages never repeat the URL: it may carry a password).
        unset = "${" in (out.database or "") and ("database",) in smap.from_env
        if out.database is not None and not _DATABASE.match(out.database) and not unset:
            problems.append(smap.value(("database",)).problem(*messages.BAD_DATABASE))
            out.database = None
    out.platforms = _platforms(data, smap, problems)
    if "web" in data:
        out.web = _validate(TypeAdapter(WebConfig), data["web"], ("web",), data, smap, problems)
    out.channels = _channels(data, smap, problems, out.broken_channels)


def _platforms(
    data: Mapping[object, object], smap: SourceMap, problems: list[ConfigProblem]
) -> PlatformsConfig | None:
    """Each platform block on its own, so a broken discord block keeps slack checked."""
    raw = data.get("platforms", {})
    if not isinstance(raw, Mapping):
        return _validate(_PLATFORMS, raw, ("platforms",), data, smap, problems)
    for key in raw:
        if key not in PlatformsConfig.model_fields:
            problems.append(_unknown_key(("platforms", key), smap))

    def block(model: type[_M], name: str) -> _M | None:
        if name not in raw:
            return None
        return _validate(TypeAdapter(model), raw[name], ("platforms", name), data, smap, problems)

    return PlatformsConfig(
        console=block(ConsoleConfig, "console"),
        discord=block(DiscordConfig, "discord"),
        slack=block(SlackConfig, "slack"),
    )


def _channels(
    data: Mapping[object, object],
    smap: SourceMap,
    problems: list[ConfigProblem],
    broken: set[str],
) -> dict[str, ChannelConfig] | None:
    """Each channel on its own; broken ones are remembered so references to them are
    not also reported as unknown."""
    raw = data.get("channels", {})
    if not isinstance(raw, Mapping):
        return _validate(_CHANNELS, raw, ("channels",), data, smap, problems)
    valid: dict[str, ChannelConfig] = {}
    for name, value in raw.items():
        one = _validate(_CHANNELS, {name: value}, ("channels",), data, smap, problems)
        if one:
            valid.update(one)
        else:
            broken.add(str(name))
    return valid


def _validate(
    adapter: TypeAdapter[_T],
    value: object,
    prefix: YPath,
    data: Mapping[object, object],
    smap: SourceMap,
    problems: list[ConfigProblem],
) -> _T | None:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        # Rules between keys are checked on the raw data (crossfield.py), even when
        # another key is wrong; here they would show only when every key is right.
        errors = [err for err in exc.errors() if err["type"] not in MODEL_RULES]
        problems.extend(explain(err, prefix, data, smap) for err in errors)
        return None


def explain(err: ErrorDetails, prefix: YPath, data: object, smap: SourceMap) -> ConfigProblem:
    """One pydantic error as a positioned problem in merchant words."""
    kind = err["type"]
    loc = tuple(err["loc"])
    if loc[-1:] == ("[key]",):  # a mapping key itself is wrong (a channel name)
        path = prefix + loc[:-1]
        if kind == "string_pattern_mismatch":
            shown = str(path[-1]) if may_echo(path, smap) else None
            return smap.key(path).problem(*messages.bad_id(shown, _slug(shown)))
        return smap.key(path).problem(*messages.invalid_value(str(path[-1])))
    path = _real_path(prefix, loc, data, keep_last=kind == "missing")
    if kind == "missing":
        return _missing(path, smap)
    if kind == "extra_forbidden":
        return _unknown_key(path, smap)
    if kind in _WRONG_TYPE:
        return _wrong_type(kind, err.get("input"), path, smap)
    name, label = _key(path), _label(path)
    ctx = err.get("ctx") or {}
    raw = err.get("input")
    value = _echo(raw, path, smap)
    pos = smap.value(path)
    if kind == "finite_number":
        return pos.problem(*messages.not_finite(label))
    if kind == "string_too_short":
        return pos.problem(*messages.empty_text(label))
    if kind == "string_too_long":
        length = len(raw) if isinstance(raw, str) else None
        return pos.problem(*messages.text_too_long(label, length, ctx.get("max_length")))
    if kind == "too_short":
        count = len(raw) if isinstance(raw, list) else None
        return pos.problem(*messages.too_few(name, label, count, ctx.get("min_length")))
    if kind in _RANGES:
        relation, bound = _RANGES[kind]
        return pos.problem(*messages.out_of_range(label, relation, ctx.get(bound)))
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return pos.problem(*messages.not_allowed(label, value, allowed, _closest(value, allowed)))
    if kind == "string_pattern_mismatch" and name == "id":
        return pos.problem(*messages.bad_id(value, _slug(value)))
    if kind == "string_pattern_mismatch" and name == "currency":
        return pos.problem(*messages.bad_currency(value))
    if kind == "string_pattern_mismatch" and name == "link":
        return pos.problem(*messages.BAD_LINK)
    return _model_rule(kind, ctx, path, value, smap) or pos.problem(*messages.invalid_value(label))


def _missing(path: YPath, smap: SourceMap) -> ConfigProblem:
    """Placed on the block that lacks the key: its key line, or the mapping itself."""
    name = _key(path)
    where, _ = _context(path[:-1])
    example = _EXAMPLES.get(name) or f"{name}: ..."
    if name == "id":
        example = f"id: {_ID_EXAMPLES.get(where, 'my-id')}"
    return smap.key(path[:-1]).problem(*messages.missing_key(name, where, example))


def _wrong_type(kind: str, raw: object, path: YPath, smap: SourceMap) -> ConfigProblem:
    name, label = _key(path), _label(path)
    if raw is None and kind in ("model_type", "dict_type"):
        return smap.key(path).problem(*messages.empty_block(label, name))
    value = _echo(raw, path, smap)
    got = f"'{value}'" if value is not None and isinstance(raw, str) else _kind(raw)
    example: str | None = None
    if kind == "string_type" and isinstance(raw, bool) and isinstance(path[-1], str):
        example = f'put it in quotes: {name}: "{str(raw).lower()}"'
    elif kind == "string_type":
        example = "write text; put it in quotes if it starts with [ { - or contains ': '"
    elif kind.startswith("bool"):
        example = "write true or false"
    elif kind == "list_type":
        example = f"write {name}: [a, b], or one '- item' per line below it"
    elif _WRONG_TYPE[kind] == "a block of keys":
        example = f"write its keys on the lines below {name}:, indented"
    return smap.value(path).problem(*messages.wrong_type(label, _WRONG_TYPE[kind], got, example))


def _model_rule(
    kind: str, ctx: Mapping[str, Any], path: YPath, value: str | None, smap: SourceMap
) -> ConfigProblem | None:
    """Rules from schema.py's field validators, each placed on the key it is about
    (rules between keys are crossfield.py's)."""
    pos = smap.value(path)
    if kind == "time_zone":
        return pos.problem(*messages.bad_time_zone(value, _zone_suggestion(value)))
    if kind == "locale":
        return pos.problem(*messages.bad_locale(value))
    if kind == "local_datetime":
        return pos.problem(*messages.bad_datetime(value))
    if kind == "impossible_datetime":
        return pos.problem(*messages.impossible_datetime(value))
    if kind == "duration":
        return pos.problem(*messages.bad_duration(value))
    if kind == "duration_too_long":
        return pos.problem(*messages.duration_too_long(value))
    if kind == "year_range":
        return pos.problem(*messages.year_out_of_range(value))
    if kind == "time_of_day":
        return pos.problem(*messages.bad_time_of_day(value))
    return None


def _unknown_key(path: YPath, smap: SourceMap) -> ConfigProblem:
    where, model = _context(path[:-1])
    fields = list(model.model_fields)
    key = str(path[-1])
    close = difflib.get_close_matches(key.lower(), fields, n=1, cutoff=0.6)
    return smap.key(path).problem(
        *messages.unknown_key(key, where, close[0] if close else None, fields)
    )


def _real_path(prefix: YPath, loc: YPath, data: object, keep_last: bool) -> YPath:
    """prefix + loc without pydantic's internal steps (union members, validator tags)."""
    path = list(prefix)
    node: object = lookup(data, prefix)
    for i, step in enumerate(loc):
        child = _child(node, step)
        if child is not _MISSING:
            node = child
        elif not (keep_last and i == len(loc) - 1):
            continue
        path.append(step)
    return tuple(path)


def _context(path: YPath) -> tuple[str, type[BaseModel]]:
    shape = tuple(
        "#" if isinstance(step, int) else "*" if i == 1 and path[0] == "channels" else str(step)
        for i, step in enumerate(path)
    )
    where, model = _CONTEXTS.get(shape, ("this block", Settings))
    if shape == ("channels", "*"):
        where = f"channel '{path[1]}'"
    return where, model


def _key(path: YPath) -> str:
    """The nearest key of path (for a list entry: the list's key)."""
    keys = [step for step in path if not isinstance(step, int)]
    return str(keys[-1]) if keys else "config"


def _label(path: YPath) -> str:
    """How a message names the value at path: 'price', or entry 2 of 'days'."""
    if path and isinstance(path[-1], int) and len(path) > 1:
        return f"entry {path[-1] + 1} of '{path[-2]}'"
    return f"'{_key(path)}'"


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float):
        return f"{value:g}"  # "should be a whole number, not 1000" reads; "not a number" did not
    if isinstance(value, int):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a block of keys"
    return "text"


def _echo(value: object, path: YPath, smap: SourceMap) -> str | None:
    """The value as text when it is short, scalar and safe to show."""
    if isinstance(value, str | int | float) and may_echo(path, smap):
        text = str(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return None


def _closest(value: str | None, choices: list[str]) -> str | None:
    if not value:
        return None
    found = difflib.get_close_matches(value.lower(), choices, n=1, cutoff=0.5)
    return found[0] if found else None


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def _zone_suggestion(value: str | None) -> str | None:
    if not value:
        return None
    zones = _zones()
    key = value.strip().lower().replace(" ", "_")
    if key in zones:
        return zones[key]
    found = difflib.get_close_matches(key, list(zones), n=1, cutoff=0.6)
    return zones[found[0]] if found else None


def _slug(value: str | None) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", (value or "").lower()).strip("-_")[:32]
    return slug or "spring-helmets"
