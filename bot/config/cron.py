"""What a prompt's cron expression means for a once-a-day post, checked at load time.

croniter (and the dateutil it brings, about 2 MB resident) is imported only when a
config has a cron expression: most shops post at a time on some days."""

from __future__ import annotations

from datetime import datetime, timedelta

# Four years and a day: even "29 February only" fires within it.
NEVER_HORIZON = timedelta(days=4 * 366)
_REFERENCE = datetime(2025, 1, 1)


def is_valid(expression: str) -> bool:
    from croniter import croniter

    return bool(croniter.is_valid(expression))


def first_firing(expression: str, after: datetime) -> datetime | None:
    """The first wall-clock time after `after`, or None if there is none in the horizon."""
    from croniter import CroniterBadDateError, croniter

    try:
        found: datetime = croniter(expression, after).get_next(datetime)
    except (CroniterBadDateError, ValueError, KeyError):
        return None
    return found if found - after <= NEVER_HORIZON else None


def fires_at_all(expression: str) -> bool:
    return first_firing(expression, _REFERENCE) is not None


def fires_twice_a_day(expression: str, samples: int = 14) -> bool:
    """True if two of the next firings fall on one date: prompts post once a day."""
    moment = _REFERENCE
    seen: set[object] = set()
    for _ in range(samples):
        found = first_firing(expression, moment)
        if found is None:
            return False
        if found.date() in seen:
            return True
        seen.add(found.date())
        moment = found
    return False
