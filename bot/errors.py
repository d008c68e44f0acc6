"""One small exception tree. Everything a merchant or customer can cause derives from
EngageBotError, so the CLI can print it in one line instead of a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class EngageBotError(Exception):
    """Base of every error the bot raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem found in a config file, located at a 1-based line and column (or in
    the environment variable named in `file`, with line and column 0)."""

    file: str
    line: int
    column: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        # line 0: the value came from an environment variable, named in `file`
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(EngageBotError):
    """The configuration cannot be used; carries every problem found in one pass."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StorageError(EngageBotError):
    """The database cannot be opened, migrated or written."""


class UnsupportedDatabase(StorageError):
    """The database URL names an engine this build does not support."""


class DatabaseUnreachable(StorageError):
    """The database server could not be reached or refused us at start (exit code 2).
    The message names host and port, never the password."""


class PollError(EngageBotError):
    """A poll operation was refused; the message is safe to show to the user."""


class UnknownPoll(PollError):
    pass


class PollStateError(PollError):
    """The poll is not in a state that allows the operation (e.g. already closed)."""


class PlatformError(EngageBotError):
    """A chat platform failed in a way the bot cannot recover from."""
