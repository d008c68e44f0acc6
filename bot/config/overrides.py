"""Settings an environment variable may override, so one config file serves several
processes that differ only in their environment (e.g. which Discord shards each connects).

A value from the environment replaces the file's before validation; problems with it
are placed on the variable ("ENGAGEBOT_DISCORD_SHARD_IDS: ...") instead of a file line."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.config import messages
from bot.config.yaml_source import Pos, SourceMap, YPath
from bot.errors import ConfigProblem

SHARD_COUNT_ENV = "ENGAGEBOT_DISCORD_SHARD_COUNT"
SHARD_IDS_ENV = "ENGAGEBOT_DISCORD_SHARD_IDS"
# ASCII digits only: int() would also take "٣" (Arabic-Indic three) as 3.
_NUMBER = re.compile(r"[0-9]{1,9}")


def _shard_count(text: str) -> int | None:
    value = text.strip()
    return int(value) if _NUMBER.fullmatch(value) and int(value) >= 1 else None


def _shard_ids(text: str) -> list[int] | None:
    parts = [part.strip() for part in text.split(",")]
    if not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    return [int(part) for part in parts]


@dataclass(frozen=True)
class Override:
    variable: str
    path: YPath
    parse: Callable[[str], object | None]
    wanted: str  # what the value must be, for the message


OVERRIDES = (
    Override(
        SHARD_COUNT_ENV,
        ("platforms", "discord", "shard_count"),
        _shard_count,
        "a whole number of 1 or more",
    ),
    Override(
        SHARD_IDS_ENV,
        ("platforms", "discord", "shard_ids"),
        _shard_ids,
        "shard numbers separated by commas",
    ),
)


def apply_overrides(
    data: dict[object, object], env: Mapping[str, str], smap: SourceMap
) -> list[ConfigProblem]:
    """Put each set variable's value into data at its path (when the block it belongs
    to is configured: an override for an absent platform has nothing to change)."""
    problems: list[ConfigProblem] = []
    for override in OVERRIDES:
        text = env.get(override.variable, "")
        block = _block(data, override.path[:-1])
        # Empty counts as unset, as for ${VARIABLES}; so does "${NAME}", what commands
        # that need no secrets read for any unset variable (cli/setup_cmds.py).
        if not text.strip() or text == f"${{{override.variable}}}" or block is None:
            continue
        where = Pos(override.variable, 0, 0)
        value = override.parse(text)
        if value is None:
            problems.append(
                where.problem(*messages.bad_shard_env(override.variable, override.wanted))
            )
            continue
        block[override.path[-1]] = value
        smap.values[override.path] = where
        smap.keys[override.path] = where
    return problems


def _block(data: dict[object, object], path: YPath) -> dict[object, object] | None:
    found: object = data
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else None
