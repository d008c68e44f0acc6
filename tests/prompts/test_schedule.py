"""When prompts are due: daylight saving, weekdays, cron, start/end, and rotation."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config.schema import PromptConfig
from bot.prompts.rotation import question_index
from bot.prompts.schedule import next_occurrence, occurrence_on, occurrences

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")


def prompt(**fields: Any) -> PromptConfig:
    base: dict[str, Any] = {"id": "daily", "channels": ["community"], "questions": [{"text": "Q?"}]}
    base.update(fields)
    if "cron" not in base and "at" not in base:
        base["at"] = "10:00"
    return PromptConfig.model_validate(base)


@pytest.mark.parametrize(
    ("zone", "at", "day", "expected_utc", "expected_local"),
    [
        # Spring forward: 02:30 does not exist; posted once, shifted forward by the gap.
        (NEW_YORK, "02:30", date(2025, 3, 9), datetime(2025, 3, 9, 7, 30, tzinfo=UTC), "03:30"),
        # Fall back: 01:30 happens twice; posted once, at the first one (EDT).
        (NEW_YORK, "01:30", date(2025, 11, 2), datetime(2025, 11, 2, 5, 30, tzinfo=UTC), "01:30"),
        (PARIS, "02:30", date(2025, 3, 30), datetime(2025, 3, 30, 1, 30, tzinfo=UTC), "03:30"),
        (PARIS, "02:30", date(2025, 10, 26), datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "02:30"),
        (PARIS, "10:00", date(2025, 7, 1), datetime(2025, 7, 1, 8, 0, tzinfo=UTC), "10:00"),
        (PARIS, "10:00", date(2025, 12, 1), datetime(2025, 12, 1, 9, 0, tzinfo=UTC), "10:00"),
    ],
)
def test_daylight_saving_days_post_once_at_the_right_instant(
    zone: ZoneInfo, at: str, day: date, expected_utc: datetime, expected_local: str
) -> None:
    for schedule in (prompt(at=at), prompt(cron=f"{at[3:]} {at[:2]} * * *")):
        found = occurrence_on(schedule, zone, day)
        assert found is not None
        assert found.due_at == expected_utc
        assert found.local_time.strftime("%H:%M") == expected_local
        assert found.local_date == day
        week = list(
            occurrences(
                schedule, zone, expected_utc - timedelta(days=3), expected_utc + timedelta(days=3)
            )
        )
        dates = [o.local_date for o in week]
        assert dates == [dates[0] + timedelta(days=d) for d in range(len(dates))]  # one a day
        assert day in dates and len(dates) >= 6


def test_weekdays_and_start_end() -> None:
    weekdays = prompt(days=["mon", "wed"], start="2025-06-04 00:00", end="2025-06-30 23:59")
    start = datetime(2025, 6, 1, tzinfo=UTC)
    found = [o.local_date for o in occurrences(weekdays, PARIS, start, start + timedelta(days=40))]
    assert found[:3] == [date(2025, 6, 4), date(2025, 6, 9), date(2025, 6, 11)]
    assert found[-1] == date(2025, 6, 30)
    assert all(d.weekday() in (0, 2) for d in found)


def test_next_occurrence_skips_to_the_next_due_day() -> None:
    friday_noon = datetime(2025, 6, 6, 10, 0, tzinfo=UTC)  # 12:00 in Paris, after 10:00
    weekdays = prompt(cron="0 10 * * 1-5")
    found = next_occurrence(weekdays, PARIS, friday_noon)
    assert found is not None and found.local_date == date(2025, 6, 9)  # Monday
    assert found.due_at == datetime(2025, 6, 9, 8, 0, tzinfo=UTC)


def test_sequence_rotation() -> None:
    assert [question_index("sequence", "p", seq, 3) for seq in range(7)] == [0, 1, 2, 0, 1, 2, 0]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_shuffle_uses_every_question_before_repeating(count: int) -> None:
    picks = [question_index("shuffle", "daily", seq, count) for seq in range(count * 12)]
    for cycle in range(12):
        assert sorted(picks[cycle * count : (cycle + 1) * count]) == list(range(count))
    if count > 1:
        assert all(a != b for a, b in itertools.pairwise(picks))
    again = [question_index("shuffle", "daily", seq, count) for seq in range(count * 12)]
    assert picks == again  # deterministic: a restart continues the same order
