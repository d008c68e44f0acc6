"""Numbers, prices, percentages, dates and plurals in the active locale, and whose
locale a text is written in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import i18n, messages
from bot.polls.results import join_labels
from bot.polls.verdict import percent
from bot.timefmt import human

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 12, 7, 16, 31, tzinfo=UTC)  # 17:31 in Paris
NBSP = "\u00a0"


def test_french_prices_percentages_and_dates() -> None:
    with i18n.use("fr"):
        assert i18n.price(89, "EUR") == f"89,00{NBSP}€"
        assert i18n.percent(0.37) == f"37{NBSP}%"
        assert human(MONDAY, PARIS) == "lun. 7 déc. à 17:31 CET"
        assert percent(0.999) == f"plus de 99{NBSP}%"
        assert join_labels(["A", "B", "C"]) == "A, B et C"


def test_english_keeps_its_formats() -> None:
    with i18n.use("en"):
        assert i18n.price(89, "EUR") == "€89.00"
        assert i18n.percent(0.37) == "37%"
        assert human(MONDAY, PARIS) == "Mon 7 Dec 17:31 CET"
        assert join_labels(["A", "B", "C"]) == "A, B and C"
    with i18n.use("en_US"):
        assert human(MONDAY, PARIS) == "Mon, Dec 7 17:31 CET"
        assert i18n.price(1234.5, "USD") == "$1,234.50"


def test_a_region_formats_its_own_way_with_its_language_catalog() -> None:
    with i18n.use("fr_CA"):
        assert human(MONDAY, PARIS) == "lun. 7 déc. à 17 h 31 CET"
        assert messages.votes(2) == "2 votes"
        assert messages.FOOTER_PICK_ONE.format() == "Un seul choix"
    with i18n.use("fr_CH"):
        assert i18n.price(1234.5, "CHF") == f"1\u202f234,50{NBSP}CHF"


@pytest.mark.parametrize(
    ("locale", "counts"),
    [
        ("fr", ["0 client", "1 client", "2 clients"]),  # French: 0 and 1 take the singular
        ("en", ["0 customers", "1 customer", "2 customers"]),
    ],
)
def test_plural_rules_per_language(locale: str, counts: list[str]) -> None:
    with i18n.use(locale):
        assert [messages.customers(n) for n in (0, 1, 2)] == counts


def test_large_counts_are_grouped_the_locale_way() -> None:
    with i18n.use("fr"):
        assert messages.votes(12345) == "12\u202f345 votes"
    with i18n.use("en"):
        assert messages.votes(12345) == "12,345 votes"


def test_reader_and_public_locales() -> None:
    """A customer's private reply in their language; public posts in the store's."""
    with i18n.use("en"):
        assert messages.NO_POLLS.format() == "No polls are configured."
        with i18n.reader("fr"):
            assert messages.NO_POLLS.format() == "Aucun sondage n’est configuré."
            with i18n.public():
                assert messages.NO_POLLS.format() == "No polls are configured."
        assert i18n.active() == "en"
    assert i18n.active() == i18n.DEFAULT_LOCALE  # nothing leaks out of the block


@pytest.mark.parametrize(
    ("wanted", "listed", "store", "picked"),
    [
        ("fr", ["fr", "en"], "en", "fr"),
        ("en-US", ["fr", "en"], "fr", "en"),  # the listed language, any region
        ("fr", ["fr_CA", "en"], "en", "fr_CA"),
        ("de", ["fr", "en"], "fr", "fr"),  # not listed: the store's
        ("fr", [], "en", "en"),  # no store.locales: always the store's
        (None, ["fr", "en"], "en", "en"),
        ("zz-ZZ", ["fr", "en"], "en", "en"),
    ],
)
def test_pick_a_customers_locale(
    wanted: str | None, listed: list[str], store: str, picked: str
) -> None:
    assert i18n.pick(wanted, listed, store) == picked


def test_pseudo_locale_marks_every_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.PSEUDO_ENV, "1")
    i18n.translations.cache_clear()
    try:
        with i18n.use("en"):
            assert messages.NO_POLLS.format() == "⟦No polls are configured.⟧"
            assert messages.votes(2) == "⟦2 votes⟧"
    finally:
        monkeypatch.delenv(i18n.PSEUDO_ENV)
        i18n.translations.cache_clear()


def test_a_date_in_another_year_names_the_year() -> None:
    """Given now, a moment in another year of the store's zone shows its year (a poll
    closing next spring, one closed last year); this year's dates stay short."""
    next_spring = datetime(2027, 3, 8, 17, 0, tzinfo=UTC)  # 18:00 in Paris
    with i18n.use("en"):
        assert human(next_spring, PARIS, now=MONDAY) == "Mon, 8 Mar 2027 18:00 CET"
        assert human(MONDAY, PARIS, now=next_spring) == "Mon, 7 Dec 2026 17:31 CET"
        assert human(MONDAY, PARIS, now=MONDAY) == "Mon 7 Dec 17:31 CET"
        assert human(next_spring, PARIS) == "Mon 8 Mar 18:00 CET"  # no now: as before
    with i18n.use("fr"):
        assert human(next_spring, PARIS, now=MONDAY) == "lun. 8 mars 2027 à 18:00 CET"
    # The year is the store's: 23:30 UTC on 31 Dec is already next year in Paris.
    new_year_in_paris = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    with i18n.use("en"):
        assert human(new_year_in_paris, PARIS, now=MONDAY) == "Fri, 1 Jan 2027 00:30 CET"
        later = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
        assert human(later, PARIS, now=new_year_in_paris) == "Fri 1 Jan 10:00 CET"
