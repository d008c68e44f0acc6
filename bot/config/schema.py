"""Typed models of what merchants write. Field-level rules live here; rules that need
the whole config (channel names, platform limits, files on disk) live in checks.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal
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
from pydantic_core import PydanticCustomError

from bot.config import cron

# Ids appear inside button ids (Discord custom_id <= 100 chars), so keep them short.
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
DEFAULT_DATABASE = "sqlite:///data/engagebot.db"


class Strict(BaseModel):
    """Base for config sections: unknown keys are errors, values are immutable.

    Numbers are accepted where text is expected: merchants write Discord channel ids
    and labels like 2026 without quotes."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PydanticCustomError(
            "time_zone", "unknown time zone '{zone}'", {"zone": name}
        ) from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]

_LOCAL_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _parse_local_datetime(value: object) -> object:
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
    BeforeValidator(_parse_local_datetime),
    WithJsonSchema(
        {"type": "string", "pattern": _LOCAL_TIME.pattern, "examples": ["2026-03-01 09:00"]}
    ),
]

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
    return timedelta(**{_DURATION_UNITS[unit]: amount})


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
    timezone: TimeZoneName = "UTC"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class ConsoleConfig(Strict):
    enabled: bool = True
    staff: list[str] = Field(default_factory=lambda: ["merchant"])


def _no_token_when_disabled(secret: str, data: object) -> object:
    """A block switched off with enabled: false needs no token."""
    if isinstance(data, dict) and data.get("enabled") is False and secret not in data:
        return {**data, secret: ""}
    return data


class DiscordConfig(Strict):
    enabled: bool = True
    token: SecretStr
    guilds: list[str] = Field(default_factory=list)
    staff_roles: list[str] = Field(default_factory=list)
    staff_users: list[str] = Field(default_factory=list)
    api_base_url: str | None = None
    gateway_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _disabled(cls, data: object) -> object:
        return _no_token_when_disabled("token", data)


class SlackConfig(Strict):
    enabled: bool = True
    mode: Literal["socket", "http"] = "socket"
    bot_token: SecretStr
    app_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)
    path: str = "/slack/events"
    staff_users: list[str] = Field(default_factory=list)
    staff_groups: list[str] = Field(default_factory=list)
    api_base_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _disabled(cls, data: object) -> object:
        return _no_token_when_disabled("bot_token", data)


class PlatformsConfig(Strict):
    console: ConsoleConfig | None = None
    discord: DiscordConfig | None = None
    slack: SlackConfig | None = None


class ChannelConfig(Strict):
    """One named channel, mapped to a channel id on each platform it exists on."""

    console: str | None = None
    discord: str | None = None
    slack: str | None = None


class DecisionRule(Strict):
    """When a poll's result counts as decided (see bot/polls/verdict.py)."""

    min_votes: int = Field(default=10, ge=0)  # customers who voted, not option votes
    min_margin: float = Field(default=0.05, ge=0, le=1)  # leader's share minus runner-up's
    # How sure we must be that the leader is truly preferred: for a clear winner, and
    # for "leaning" (below it the poll is too close to call).
    confidence: float = Field(default=0.95, ge=0.5, le=1)
    leaning_confidence: float = Field(default=0.75, ge=0.5, le=1)

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
    label: str = Field(min_length=1, max_length=200)
    image: str | None = None
    price: float | None = Field(default=None, ge=0)
    description: str | None = Field(default=None, max_length=500)
    link: str | None = Field(default=None, pattern=r"^https?://")


class PollConfig(Strict):
    id: Identifier
    question: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=1000)
    channels: list[str] = Field(min_length=1)
    opens: LocalDateTime | None = None
    closes: LocalDateTime | None = None
    duration: Duration | None = None
    max_choices: int = Field(default=1, ge=1)
    allow_change: bool = True
    results: Literal["live", "on_close"] = "live"
    shuffle: bool = False
    decision: DecisionRule = Field(default_factory=DecisionRule)
    # Too close to call at close: a run-off poll between the top two opens at once,
    # lasting runoff_duration (default: as long as this poll ran).
    runoff: bool = False
    runoff_duration: Duration | None = None
    options: list[OptionConfig] = Field(min_length=2)

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


class QuestionConfig(Strict):
    text: str = Field(min_length=1, max_length=2000)
    image: str | None = None
    thread: bool | None = None


class PromptConfig(Strict):
    id: Identifier
    channels: list[str] = Field(min_length=1)
    at: TimeOfDay | None = None
    days: list[Weekday] | None = None
    cron: str | None = None
    timezone: TimeZoneName | None = None
    order: Literal["sequence", "shuffle"] = "sequence"
    thread: bool = False
    start: LocalDateTime | None = None
    end: LocalDateTime | None = None
    catch_up: Literal["same_day", "none"] = "same_day"
    questions: list[QuestionConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_schedule(self) -> PromptConfig:
        if self.cron is not None and (self.at is not None or self.days is not None):
            raise PydanticCustomError("cron_and_at", "give either cron or at/days, not both")
        if self.cron is None and self.at is None:
            raise PydanticCustomError(
                "no_schedule", 'a prompt needs a schedule: at: "10:00" (with days) or cron'
            )
        if self.cron is not None:
            from croniter import croniter

            if not croniter.is_valid(self.cron):
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
    port: int = Field(default=8080, ge=1, le=65535)
    token: SecretStr | None = None  # ${ENGAGEBOT_WEB_TOKEN}; required off loopback
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")


class Settings(Strict):
    """The whole configuration, as merchants write it."""

    store: StoreConfig
    database: str = DEFAULT_DATABASE
    platforms: PlatformsConfig = Field(default_factory=PlatformsConfig)
    channels: dict[Identifier, ChannelConfig] = Field(default_factory=dict)
    polls: list[PollConfig] = Field(default_factory=list)
    prompts: list[PromptConfig] = Field(default_factory=list)
    web: WebConfig | None = None
