"""${ENV_VAR} substitution and the rules that keep secrets out of YAML files.

Substitution happens while the YAML is read, so every value knows whether it came from
the environment (such values are never echoed in messages). Whether an unset variable
matters is decided later, once we know which platforms are enabled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import messages
from bot.errors import ConfigProblem

if TYPE_CHECKING:
    from bot.config.yaml_source import Pos, SourceMap, YPath

# $${NAME} is an escape for a literal ${NAME}.
_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Secret keys of each platform block and the variable we suggest for them.
SECRET_KEYS: dict[str, dict[str, str]] = {
    "discord": {"token": "DISCORD_TOKEN"},
    "slack": {
        "bot_token": "SLACK_BOT_TOKEN",
        "app_token": "SLACK_APP_TOKEN",
        "signing_secret": "SLACK_SIGNING_SECRET",
    },
}
TOKEN_PLATFORMS = tuple(SECRET_KEYS)


@dataclass(frozen=True)
class UnsetVariable:
    name: str
    path: YPath
    pos: Pos


@dataclass
class EnvSubstitution:
    env: Mapping[str, str]
    unset: list[UnsetVariable] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)

    def substitute(self, text: str, path: YPath, pos: Pos) -> tuple[str, bool]:
        """text with ${NAME} replaced; an unset variable is kept as written (so a
        disabled platform's ${DISCORD_TOKEN} is harmless) and recorded for later."""
        used = False

        def replace(match: re.Match[str]) -> str:
            nonlocal used
            escaped, name = match.group(1), match.group(2)
            if escaped:
                return "${" + name + "}"
            used = True
            if not _NAME.match(name):
                self.problems.append(pos.problem(*messages.bad_env_name(name)))
                return match.group(0)
            value = self.env.get(name)
            if not value:  # empty counts as unset: an empty token is never meant
                self.unset.append(UnsetVariable(name, path, pos))
                return match.group(0)
            return value

        return _REFERENCE.sub(replace, text), used


def is_secret_path(path: YPath) -> bool:
    return (
        len(path) == 3
        and path[0] == "platforms"
        and isinstance(path[1], str)
        and path[2] in SECRET_KEYS.get(path[1], {})
    )


def may_echo(path: YPath, smap: SourceMap) -> bool:
    """Whether a value may be quoted back in a message: never secrets, values from the
    environment, or the database URL (it may carry a password)."""
    if path[:1] == ("database",) or is_secret_path(path[:3]):
        return False
    return not any(path[:end] in smap.from_env for end in range(len(path) + 1))


def check_secrets(
    data: object, unset: list[UnsetVariable], smap: SourceMap, enabled: tuple[str, ...]
) -> list[ConfigProblem]:
    """Unset variables inside enabled platform blocks (or the database URL, which the
    bot cannot start without), and tokens written directly in the YAML."""
    problems: list[ConfigProblem] = []
    for var in unset:
        platform = var.path[1] if len(var.path) > 1 and var.path[0] == "platforms" else None
        # Elsewhere an unset variable stays as written: harmless in a disabled block.
        if (platform in TOKEN_PLATFORMS and platform in enabled) or var.path == ("database",):
            problems.append(var.pos.problem(*messages.env_not_set(var.name)))
    platforms = data.get("platforms") if isinstance(data, Mapping) else None
    if not isinstance(platforms, Mapping):
        return problems
    for platform, keys in SECRET_KEYS.items():
        block = platforms.get(platform)
        if not isinstance(block, Mapping):
            continue
        for key, variable in keys.items():
            path = ("platforms", platform, key)
            value = block.get(key)
            literal = isinstance(value, str | int | float) and not isinstance(value, bool)
            if literal and value != "" and path not in smap.from_env:
                problems.append(smap.value(path).problem(*messages.literal_secret(key, variable)))
    return problems


# What each token looks like (never printed: only its kind is named in a message).
_DISCORD_TOKEN = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_SLACK_KINDS = {"xoxb-": "a bot token", "xapp-": "an app-level token", "xoxp-": "a user token"}
_SLACK_WANTS = {"bot_token": "xoxb-", "app_token": "xapp-"}


def check_token_shapes(
    data: object, smap: SourceMap, enabled: tuple[str, ...]
) -> list[ConfigProblem]:
    """Tokens of enabled platforms that cannot be right: a Discord token is three
    dot-separated base64url parts; Slack's bot token starts xoxb-, its app token xapp-
    (a swapped pair is named as such). Values are never quoted."""
    platforms = data.get("platforms") if isinstance(data, Mapping) else None
    if not isinstance(platforms, Mapping):
        return []
    problems: list[ConfigProblem] = []
    discord = platforms.get("discord")
    if "discord" in enabled and isinstance(discord, Mapping):
        token = _set_value(discord, "token", ("platforms", "discord", "token"), smap)
        if token is not None and not _DISCORD_TOKEN.match(token):
            where = smap.value(("platforms", "discord", "token"))
            bot_prefix = token.lower().startswith("bot ")
            problems.append(where.problem(*messages.bad_discord_token(bot_prefix)))
    slack = platforms.get("slack")
    if "slack" in enabled and isinstance(slack, Mapping):
        for key, wanted in _SLACK_WANTS.items():
            path = ("platforms", "slack", key)
            token = _set_value(slack, key, path, smap)
            if token is None or token.startswith(wanted):
                continue
            found = next(((p, k) for p, k in _SLACK_KINDS.items() if token.startswith(p)), None)
            swap = found is not None and found[0] in _SLACK_WANTS.values()
            message = messages.bad_slack_token(key, wanted, found, swap)
            problems.append(smap.value(path).problem(*message))
    return problems


def _set_value(
    block: Mapping[object, object], key: str, path: YPath, smap: SourceMap
) -> str | None:
    """The token at key if it came, fully set, from the environment."""
    value = block.get(key)
    if not isinstance(value, str) or path not in smap.from_env or _REFERENCE.search(value):
        return None  # literal secrets and unset variables are reported on their own
    return value.strip()
