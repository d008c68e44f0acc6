"""Logging for every command: the level (-q, default, -v, -vv), text or JSON lines, quiet
libraries, and no secret in any line.

`engagebot run` logs at INFO by default: a start-up summary, one line per poll opened,
closed and announced, per prompt posted and per rate limit hit. The other commands answer
on stdout and log only warnings unless asked. JSON lines (one object per line: time,
level, logger, message and any extra fields) are for containers and log collectors."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries that speak at INFO about every connection and request: warnings only
# unless -v (then INFO), everything with -vv. Slack's clients log under our names.
NOISY_LOGGERS = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "bot.adapters.slack.web",
    "bot.adapters.slack.bolt",
    "aiohttp",
    "aiosqlite",
    "asyncio",
    "websockets",
    "PIL",
    "matplotlib",
)

# What a library may print that must not reach a log: tokens in Discord webhook and
# interaction URLs, Slack tokens and webhook URLs, Discord bot tokens, and passwords in
# URLs (a PostgreSQL database URL).
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]+"), r"\1***"),
    (re.compile(r"https://hooks\.slack\.com/\S+"), "https://hooks.slack.com/***"),
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9\-]+|\bxapp-[A-Za-z0-9\-]+"), "xox*-***"),
    (re.compile(r"\b[A-Za-z0-9_\-]{23,28}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40}\b"), "***"),
    (re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1***@"),
)

# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class Redactor:
    """Removes secrets from text: the patterns above plus the config's own secret
    values (tokens from the environment), once they are known."""

    def __init__(self) -> None:
        self._secrets: list[str] = []

    def add_secrets(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret containing another is removed whole.
        found = {s for s in (*self._secrets, *secrets) if len(s) >= 6}
        self._secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        for pattern, replacement in _REDACTIONS:
            text = pattern.sub(replacement, text)
        return text


REDACT = Redactor()


def redact_url(url: str) -> str:
    """A URL safe to show: any password replaced by ***."""
    return REDACT(url)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return REDACT(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the
    record's extra fields, and the traceback as `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": REDACT(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = _plain(value)
        if record.exc_info:
            entry["exception"] = REDACT(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = REDACT(record.exc_text)
        if record.stack_info:
            entry["stack"] = REDACT(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain(value: object) -> object:
    """Extra fields as JSON values; text is redacted like the message."""
    if isinstance(value, str):
        return REDACT(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return REDACT(str(value))


def level_for(verbose: int, quiet: bool, default: int = logging.INFO) -> int:
    if quiet:
        return logging.WARNING
    if verbose:
        return logging.DEBUG
    return default


def setup_logging(
    level: int = logging.INFO,
    fmt: LogFormat = "text",
    verbose: int = 0,
    stream: TextIO | None = None,
) -> None:
    """Log to stderr (stdout is the console platform's and the commands' output)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    library_level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(library_level, level))
    logging.captureWarnings(True)


def retarget(old: TextIO, new: TextIO) -> list[logging.StreamHandler[TextIO]]:
    """Point the root log handlers that write to old at new (the interactive console
    keeps its prompt below them); returns them, to point back with retarget(new, old)."""
    moved = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is old:
            handler.setStream(new)
            moved.append(handler)
    return moved
