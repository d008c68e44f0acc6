"""Typed models of what merchants write. Field-level rules live here; rules that need
the whole config (channel names, platform limits, files on disk) live in checks.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic import Strict as StrictMarker
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from bot import i18n
from bot.config import cron

# Ids appear inside button ids (Discord custom_id <= 100 chars), so keep them short.
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
DEFAULT_DATABASE = "sqlite:///data/engagebot.db"


# A count or a port, written as a number: `true` (which YAML reads as a boolean, and
# lax validation as 1), "4" or 1.5 are mistakes to point at, not values to guess from.
Whole = Annotated[int, StrictMarker()]


def _describe_keys(schema: JsonDict, model: type[Any]) -> None:
    """Each key of a model's JSON Schema gets the docstring written under it here."""
    from bot.config.key_docs import key_docs  # only `engagebot schema` needs it

    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for key, text in key_docs(Path(__file__)).get(model.__name__, {}).items():
        described = properties.get(key)
        if isinstance(described, dict):  # a new dict: pydantic may share one between keys
            properties[key] = {**described, "description": text}


class Strict(BaseModel):
    """Base for config sections: unknown keys are errors, values are immutable.

    Numbers are accepted where text is expected: merchants write Discord channel ids
    and labels like 2026 without quotes."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        allow_inf_nan=False,  # 1e999 reads as infinity: never a price or a share
        # Keys are described by the docstring under each; only the JSON Schema shows them.
        json_schema_extra=_describe_keys,
    )


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PydanticCustomError(
            "time_zone", "unknown time zone '{zone}'", {"zone": name}
        ) from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


def _check_locale(name: str) -> str:
    found = i18n.normalize(name)
    if found is None:
        raise PydanticCustomError("locale", "unsupported language '{locale}'", {"locale": name})
    return found


LocaleName = Annotated[str, AfterValidator(_check_locale)]

MIN_YEAR, MAX_YEAR = 1970, 9000
_LOCAL_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_local_datetime(value: object) -> object:
    """'2026-03-01 09:00' (store-local, no offset) -> naive datetime."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "local_datetime", "expected a local date and time like 2026-03-01 09:00"
        )
    match = _LOCAL_TIME.match(value.strip())
    if not match:
        raise PydanticCustomError(
            "local_datetime",
            "'{value}' is not a date and time like 2026-03-01 09:00",
            {"value": value},
        )
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:  # far dates overflow date arithmetic later
        raise PydanticCustomError("year_range", "'{value}' is too far away", {"value": value})
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise PydanticCustomError(
            "impossible_datetime",
            "'{value}' is not a real date and time: {reason}",
            {"value": value, "reason": str(exc)},
        ) from exc


# The JSON Schema says what merchants write, not the ISO format pydantic would expect.
LocalDateTime = Annotated[
    datetime,
    BeforeValidator(parse_local_datetime),
    WithJsonSchema(
        {"type": "string", "pattern": _LOCAL_TIME.pattern, "examples": ["2026-03-01 09:00"]}
    ),
]

# No poll runs for longer than this; far larger values overflow date arithmetic.
MAX_DURATION = timedelta(days=3650)
_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _parse_duration(value: object) -> object:
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match or int(match.group(1)) == 0:
        raise PydanticCustomError(
            "duration", "'{value}' is not a duration like 30m, 12h, 7d or 2w", {"value": value}
        )
    amount, unit = int(match.group(1)), match.group(2)
    try:
        length = timedelta(**{_DURATION_UNITS[unit]: amount})
    except OverflowError:
        length = MAX_DURATION * 2
    if length > MAX_DURATION:
        raise PydanticCustomError("duration_too_long", "'{value}' is too long", {"value": value})
    return length


Duration = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    WithJsonSchema({"type": "string", "pattern": _DURATION.pattern, "examples": ["7d"]}),
]

_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _check_time_of_day(value: str) -> str:
    if not _TIME_OF_DAY.match(value):
        raise PydanticCustomError(
            "time_of_day", "'{value}' is not a time of day like \"10:00\"", {"value": value}
        )
    return value


TimeOfDay = Annotated[
    str,
    AfterValidator(_check_time_of_day),
    WithJsonSchema({"type": "string", "pattern": _TIME_OF_DAY.pattern, "examples": ["10:00"]}),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class StoreConfig(Strict):
    name: str = Field(min_length=1, max_length=100)
    """The shop's name, shown on posts and reports."""
    timezone: TimeZoneName = "UTC"
    """IANA time zone all times in this config are local to, e.g. Europe/Paris (default UTC)."""
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    """ISO 4217 currency code for option prices, e.g. EUR (default USD)."""
    locale: LocaleName = "en"
    """Language of everything customers and staff read: en (default), fr, or a region of
    one, e.g. fr_CA, en_GB (prices, dates and numbers follow it)."""
    locales: list[LocaleName] = Field(default_factory=list)
    """Languages a customer may get private replies in, when their platform says theirs
    (Discord), e.g. [fr, en]; anyone else gets locale. Public posts always use locale."""


class ConsoleConfig(Strict):
    enabled: bool = True
    """false turns the console off. With no console block it runs only if nothing else does."""
    staff: list[str] = Field(default_factory=lambda: ["merchant"])
    """Console user names allowed to use staff commands such as /close (default [merchant])."""


def _no_token_when_disabled(secret: str, data: object) -> object:
    """A block switched off with enabled: false needs no token."""
    if isinstance(data, dict) and data.get("enabled") is False and secret not in data:
        return {**data, secret: ""}
    return data


SHARD_RULES = ("shard_ids_without_count", "shard_id_too_high", "shard_id_repeated")


def shard_problem(count: int | None, ids: list[int] | None) -> str | None:
    """Which of SHARD_RULES the shard settings break, if any (crossfield.py places it)."""
    if ids is None:
        return None
    if count is None:
        return SHARD_RULES[0]
    if any(i >= count for i in ids):
        return SHARD_RULES[1]
    if len(set(ids)) != len(ids):
        return SHARD_RULES[2]
    return None


class DiscordConfig(Strict):
    enabled: bool = True
    """false: off. Unset: skipped with a notice if DISCORD_TOKEN is unset. true: token required."""
    token: SecretStr
    """The bot token, always from the environment: ${DISCORD_TOKEN}."""
    guilds: list[str] = Field(default_factory=list)
    """Server (guild) ids the bot serves; slash commands are registered there at once."""
    staff_roles: list[str] = Field(default_factory=list)
    """Role names or ids whose members may use staff commands."""
    staff_users: list[str] = Field(default_factory=list)
    """User ids who may use staff commands."""
    api_base_url: str | None = None
    """Another Discord REST address, e.g. a rate-limit proxy (https://...). Omit normally."""
    gateway_url: str | None = None
    """Another Discord gateway address (wss://...), for a proxy. Omit to use Discord's."""
    shard_count: Whole | None = Field(default=None, ge=1)
    """Gateway shards of the bot, all processes together (env ENGAGEBOT_DISCORD_SHARD_COUNT)."""
    shard_ids: list[Annotated[Whole, Field(ge=0)]] | None = None
    """Shards this process connects, e.g. [0, 1]; omit for all (env ENGAGEBOT_DISCORD_SHARD_IDS)."""

    @model_validator(mode="before")
    @classmethod
    def _disabled(cls, data: object) -> object:
        return _no_token_when_disabled("token", data)

    @model_validator(mode="after")
    def _shards(self) -> DiscordConfig:
        problem = shard_problem(self.shard_count, self.shard_ids)
        if problem is not None:
            raise PydanticCustomError(problem, "the shard settings do not fit together")
        return self

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shard ids this process connects; None without shard settings (Discord's
        single connection, as without sharding)."""
        if self.shard_count is None:
            return None
        return tuple(self.shard_ids or range(self.shard_count))


class SlackConfig(Strict):
    enabled: bool = True
    """false: off. Unset: skipped with a notice if its tokens are unset. true: tokens required."""
    mode: Literal["socket", "http"] = "socket"
    """socket (default: Socket Mode, no public URL needed) or http (Slack calls host:port/path)."""
    bot_token: SecretStr
    """The bot token (xoxb-...), always from the environment: ${SLACK_BOT_TOKEN}."""
    app_token: SecretStr | None = None
    """App-level token (xapp-..., connections:write) for mode: socket: ${SLACK_APP_TOKEN}."""
    signing_secret: SecretStr | None = None
    """The signing secret for mode: http: ${SLACK_SIGNING_SECRET}."""
    host: str = "0.0.0.0"
    """Address to listen on in mode: http (default 0.0.0.0)."""
    port: Whole = Field(default=3000, ge=1, le=65535)
    """Port to listen on in mode: http (default 3000)."""
    path: str = "/slack/events"
    """URL path Slack posts events and clicks to in mode: http (default /slack/events)."""
    staff_users: list[str] = Field(default_factory=list)
    """Member ids (U...) who may use staff commands."""
    staff_groups: list[str] = Field(default_factory=list)
    """User group ids (S...) whose members may use staff commands."""
    api_base_url: str | None = None
    """Another Slack Web API address (https://.../api/). Omit to use Slack's."""

    @model_validator(mode="before")
    @classmethod
    def _disabled(cls, data: object) -> object:
        return _no_token_when_disabled("bot_token", data)


class PlatformsConfig(Strict):
    console: ConsoleConfig | None = None
    """The terminal console: vote by typing, for trying polls locally."""
    discord: DiscordConfig | None = None
    """Discord: token, servers and staff. See the README's Discord setup."""
    slack: SlackConfig | None = None
    """Slack: tokens, mode and staff. See the README's Slack setup."""


class ChannelConfig(Strict):
    """One named channel, mapped to a channel id on each platform it exists on."""

    console: str | None = None
    """Name shown in the console (default: the channel's own name)."""
    discord: str | None = None
    """The Discord channel id (Developer Mode > right-click the channel > Copy Channel ID)."""
    slack: str | None = None
    """The Slack channel id (C...), from the channel's details."""


class DecisionRule(Strict):
    """When a poll's result counts as decided (see bot/polls/verdict.py)."""

    min_votes: Whole = Field(default=10, ge=0)  # customers who voted, not option votes
    """Customers who must vote before a winner can be declared (default 10)."""
    min_margin: float = Field(default=0.05, ge=0, le=1)  # leader's share minus runner-up's
    """Lead over the runner-up, as a share of votes, needed to declare a winner (default 0.05)."""
    # How sure we must be that the leader is truly preferred: for a clear winner, and
    # for "leaning" (below it the poll is too close to call).
    confidence: float = Field(default=0.95, ge=0.5, le=1)
    """How sure it must be that the leader is truly preferred to call it decided (default 0.95)."""
    leaning_confidence: float = Field(default=0.75, ge=0.5, le=1)
    """How sure it must be to say the poll is leaning (default 0.75); at most confidence."""

    @model_validator(mode="after")
    def _leaning_below_confidence(self) -> DecisionRule:
        if self.leaning_confidence > self.confidence:
            raise PydanticCustomError(
                "leaning_over_confidence",
                "leaning_confidence ({leaning}) must not be above confidence ({confidence})",
                {"leaning": self.leaning_confidence, "confidence": self.confidence},
            )
        return self


class OptionConfig(Strict):
    id: Identifier
    """Option id: 1-32 lowercase letters, digits, - or _, unique in the poll."""
    label: str = Field(min_length=1, max_length=200)
    """What customers vote for, shown on the card and its button."""
    image: str | None = None
    """A PNG, JPEG, GIF or WebP file in the config folder (relative to this file), or https://."""
    price: float | None = Field(default=None, ge=0)
    """Price in the store's currency, e.g. 89.00."""
    description: str | None = Field(default=None, max_length=500)
    """A short line about the product (at most 500 characters)."""
    link: str | None = Field(default=None, pattern=r"^https?://")
    """The product page, an http(s):// URL."""


class PollConfig(Strict):
    id: Identifier
    """Poll id: 1-32 lowercase letters, digits, - or _, unique in the config."""
    question: str = Field(min_length=1, max_length=300)
    """The question customers answer."""
    description: str | None = Field(default=None, max_length=1000)
    """Text shown under the question."""
    channels: list[str] = Field(min_length=1)
    """Channel names (from channels:) to post the poll in."""
    opens: LocalDateTime | None = None
    """Local date and time the poll opens, e.g. 2026-03-01 09:00 (default: when the bot runs)."""
    closes: LocalDateTime | None = None
    """Local date and time the poll closes; or give duration instead."""
    duration: Duration | None = None
    """How long the poll stays open: 30m, 12h, 7d or 2w; or give closes instead."""
    max_choices: Whole = Field(default=1, ge=1)
    """How many options a customer may pick (default 1: single choice)."""
    allow_change: bool = True
    """Whether customers may change their vote while the poll is open (default true)."""
    results: Literal["live", "on_close"] = "live"
    """live (a live tally on the poll) or on_close (results only when it closes)."""
    shuffle: bool = False
    """Show the options in a random order (default false)."""
    decision: DecisionRule = Field(default_factory=DecisionRule)
    """When a result counts as decided: min_votes, min_margin, confidence, leaning_confidence."""
    # Too close to call at close: a run-off poll between the top two opens at once,
    # lasting runoff_duration (default: as long as this poll ran).
    runoff: bool = False
    """When too close to call at close, open a run-off between the top two (default false)."""
    runoff_duration: Duration | None = None
    """How long a run-off lasts, e.g. 2d (default: as long as this poll ran)."""
    options: list[OptionConfig] = Field(min_length=2)
    """The choices, at least two, each with id and label."""

    @model_validator(mode="after")
    def _closes_or_duration(self) -> PollConfig:
        if self.closes is not None and self.duration is not None:
            raise PydanticCustomError(
                "closes_and_duration", "give either closes or duration, not both"
            )
        if self.max_choices > len(self.options):
            raise PydanticCustomError(
                "max_choices_over_options",
                "max_choices is {max_choices} but the poll has only {options} options",
                {"max_choices": self.max_choices, "options": len(self.options)},
            )
        return self

    @property
    def is_single_choice(self) -> bool:
        return self.max_choices == 1

    @cached_property
    def option_ids(self) -> frozenset[str]:
        """Every click checks its option against these: made once per poll."""
        return frozenset(option.id for option in self.options)


class QuestionConfig(Strict):
    text: str = Field(min_length=1, max_length=2000)
    """The question to post."""
    image: str | None = None
    """A picture: a PNG, JPEG, GIF or WebP file inside the config folder or an https:// URL."""
    thread: bool | None = None
    """Open a thread for replies to this question (default: the prompt's thread)."""


class PromptConfig(Strict):
    id: Identifier
    """Prompt set id: 1-32 lowercase letters, digits, - or _, unique in the config."""
    channels: list[str] = Field(min_length=1)
    """Channel names (from channels:) to post in."""
    at: TimeOfDay | None = None
    """Local time of day to post, quoted: "10:00". Or give cron instead."""
    days: list[Weekday] | None = None
    """Days to post on with at: (mon ... sun; default every day)."""
    cron: str | None = None
    """A cron expression firing at most once a day, e.g. "0 10 * * 1-5". Or give at instead."""
    timezone: TimeZoneName | None = None
    """IANA time zone for at/cron (default: the store's)."""
    order: Literal["sequence", "shuffle"] = "sequence"
    """sequence (in order) or shuffle (no repeat until all were used)."""
    thread: bool = False
    """Open a thread for replies (default false)."""
    start: LocalDateTime | None = None
    """Local date and time before which nothing is posted."""
    end: LocalDateTime | None = None
    """Local date and time after which nothing is posted."""
    catch_up: Literal["same_day", "none"] = "same_day"
    """same_day (post a missed question later the same day, default) or none."""
    questions: list[QuestionConfig] = Field(min_length=1)
    """The questions, posted one a day in the chosen order."""

    @model_validator(mode="after")
    def _one_schedule(self) -> PromptConfig:
        if self.cron is not None and (self.at is not None or self.days is not None):
            raise PydanticCustomError("cron_and_at", "give either cron or at/days, not both")
        if self.cron is None and self.at is None:
            raise PydanticCustomError(
                "no_schedule", 'a prompt needs a schedule: at: "10:00" (with days) or cron'
            )
        if self.cron is not None:
            if not cron.is_valid(self.cron):
                raise PydanticCustomError(
                    "bad_cron", "'{cron}' is not a valid cron expression", {"cron": self.cron}
                )
            if not cron.fires_at_all(self.cron):
                raise PydanticCustomError("cron_never", "'{cron}' never fires", {"cron": self.cron})
            if cron.fires_twice_a_day(self.cron):
                raise PydanticCustomError(
                    "cron_twice_a_day", "'{cron}' fires more than once a day", {"cron": self.cron}
                )
        return self


class WebConfig(Strict):
    """The dashboard, JSON API, health checks and metrics (one web server)."""

    host: str = Field(default="127.0.0.1", min_length=1)
    """Address to listen on (default 127.0.0.1; anything else needs a token)."""
    port: Whole = Field(default=8080, ge=1, le=65535)
    """Port to listen on (default 8080)."""
    token: SecretStr | None = None
    """${ENGAGEBOT_WEB_TOKEN}: the sign-in and API token; required off loopback."""
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    """The dashboard's public address behind a reverse proxy, for links."""


class Settings(Strict):
    """The whole configuration, as merchants write it."""

    store: StoreConfig
    """Your shop: name, time zone and currency."""
    database: str = DEFAULT_DATABASE
    """sqlite:///data/engagebot.db (default; relative to the config folder)."""
    platforms: PlatformsConfig = Field(default_factory=PlatformsConfig)
    """Where the bot runs: console, discord and slack blocks (enabled: false turns one off)."""
    channels: dict[Identifier, ChannelConfig] = Field(default_factory=dict)
    """Channel names used by polls and prompts, each mapped to its id per platform."""
    polls: list[PollConfig] = Field(default_factory=list)
    """Product polls."""
    prompts: list[PromptConfig] = Field(default_factory=list)
    """Daily engagement prompts."""
    web: WebConfig | None = None
    """The dashboard, JSON API, health checks and metrics (a web server in the bot)."""
