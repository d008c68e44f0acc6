"""Human-readable times in the store's zone, and local-time → UTC conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import i18n


def local_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A merchant's wall-clock time in the store's zone as a UTC instant.

    A time skipped by a spring-forward change is moved forward by the gap (fold=0 maps
    it past the gap); a repeated fall-back time means its first occurrence."""
    aware = local.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC)


def human(moment: datetime, zone: ZoneInfo, now: datetime | None = None) -> str:
    """e.g. 'Sun 8 Mar 18:00 CET', 'dim. 8 mars à 18:00 CET' in the active locale; given
    now, with the year when it is another year than now's ('Mon, 8 Mar 2027 18:00 CET')."""
    return i18n.when(moment, zone, now)
