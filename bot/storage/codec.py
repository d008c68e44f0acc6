"""Conversions between records and SQLite values.

Times are stored as integer microseconds since the Unix epoch: exact to compare, sort and
round-trip (datetime has microsecond resolution), with no string formats to get wrong."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.refs import UserRef
from bot.storage.base import Ballot, PollRecord, PollState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Aware datetime -> microseconds since the epoch. Naive datetimes are a bug upstream."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} given to storage; use UTC")
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def opt_to_micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def opt_from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


# Polls have a handful of options, so selections repeat endlessly: caching the JSON both
# ways saves ~10 us per vote on the writer thread.
@functools.lru_cache(maxsize=4096)
def dump_options(options: tuple[str, ...]) -> str:
    return json.dumps(list(options), ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=4096)
def load_options(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def normalize_selection(selection: object) -> tuple[str, ...]:
    """decide() output -> tuple of option ids, first occurrence kept, order preserved."""
    if type(selection) is tuple and len(selection) == 1 and type(selection[0]) is str:
        return selection  # one option: most votes, and nothing to check beyond the type
    if not isinstance(selection, tuple) or not all(isinstance(o, str) for o in selection):
        raise TypeError(f"decide() must return a tuple of option ids, got {selection!r}")
    return tuple(dict.fromkeys(selection))


POLL_COLUMNS = "poll_id, state, opened_at, closes_at, closed_at, announced_at, opened_by, closed_by"


def poll_from_row(row: Sequence[Any]) -> PollRecord:
    return PollRecord(
        poll_id=row[0],
        state=PollState(row[1]),
        opened_at=opt_from_micros(row[2]),
        closes_at=opt_from_micros(row[3]),
        closed_at=opt_from_micros(row[4]),
        announced_at=opt_from_micros(row[5]),
        opened_by=row[6],
        closed_by=row[7],
    )


BALLOT_COLUMNS = "poll_id, platform, user_id, user_name, options, cast_at, recorded_at"


def ballot_from_row(row: Sequence[Any]) -> Ballot:
    return Ballot(
        poll_id=row[0],
        voter=UserRef(row[1], row[2], row[3]),
        options=load_options(row[4]),
        cast_at=from_micros(row[5]),
        recorded_at=from_micros(row[6]),
    )
