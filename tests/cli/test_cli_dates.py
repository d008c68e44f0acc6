"""`engagebot polls` and `engagebot results` as real subprocesses: a date in another year
than today's (in the store's zone) shows its year, so a poll closing next spring or
closed last year is not taken for this year's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.storage.sqlite import SqliteStore
from tests.cli_runner import engagebot
from tests.results.results_helpers import write_shop

PARIS = ZoneInfo("Europe/Paris")  # the shop's zone (SHOP_HEADER)
WIDE = {"COLUMNS": "200"}  # rich would wrap the table's dates in a narrow terminal


def shown_with_year(moment: datetime) -> re.Pattern[str]:
    """'Mon, 8 Mar 2027 18:00' (Babel's en_GB; month names: Sept, not %b's Sep)."""
    local = moment.astimezone(PARIS)
    return re.compile(rf"\b{local:%a}, {local.day} \w+ {local.year} {local:%H:%M}\b")


def shown_without_year(moment: datetime) -> re.Pattern[str]:
    local = moment.astimezone(PARIS)
    return re.compile(rf"\b{local:%a} {local.day} \w+ {local:%H:%M}\b")


async def open_poll(database: Path, opened: datetime, closes: datetime) -> None:
    store = SqliteStore(database)
    await store.open()
    try:
        await store.ensure_polls(["helmets"])
        assert await store.open_poll("helmets", opened, closes, "test")
    finally:
        await store.close()


async def test_dates_in_another_year_show_it(tmp_path: Path) -> None:
    # The CLI reads the system clock: 400 days away is another year whenever this runs.
    now = datetime.now(UTC)
    opened, closes = now - timedelta(days=400), now + timedelta(days=400)
    config = write_shop(tmp_path)
    await open_poll(tmp_path / "data" / "engagebot.db", opened, closes)

    listed = engagebot("polls", "-c", str(config), env=WIDE)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "helmets" in line)
    assert shown_with_year(opened).search(row) and shown_with_year(closes).search(row), row

    shown = engagebot("results", "helmets", "-c", str(config), env=WIDE)
    assert shown.returncode == 0, shown.stderr
    closing = next(line for line in shown.stdout.splitlines() if line.startswith("closes "))
    assert shown_with_year(closes).search(closing), closing


async def test_this_years_dates_stay_short(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    config = write_shop(tmp_path)
    await open_poll(tmp_path / "data" / "engagebot.db", now, now + timedelta(minutes=1))
    listed = engagebot("polls", "-c", str(config), env=WIDE)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "helmets" in line)
    year = now.astimezone(PARIS).year
    if datetime.now(UTC).astimezone(PARIS).year == year:  # not run across New Year
        assert str(year) not in row and shown_without_year(now).search(row), row
