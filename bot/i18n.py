"""The language a text is shown in: gettext catalogs (bot/locale) and Babel formats.

Catalog entries stay named constants in bot/messages.py; each is a `Text` that is
translated when it is formatted, into the locale active in the current context. The app
makes the store's locale active around everything it does (`use`), a customer's own for
the private reply to their click (`reader`), and the store's again for anything posted
in public (`public`), so a French customer's click never turns a public post French.

`ENGAGEBOT_PSEUDO_LOCALE=1` wraps every translated text in ⟦…⟧: a run shows at a glance
any text that escaped the catalog (tests/i18n does it through the console)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

DOMAIN = "engagebot"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LOCALE = "en"
PSEUDO_ENV = "ENGAGEBOT_PSEUDO_LOCALE"
# Plain "en" formats dates like the bot always did (Sun 8 Mar 18:00); en_US is American.
_FORMAT_AS = {"en": "en_GB"}


def _shipped() -> tuple[str, ...]:
    """English (the texts in the code) and every language with a compiled catalog: a
    third language is one more bot/locale/<lang>/LC_MESSAGES/engagebot.po (`make i18n`)."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return (DEFAULT_LOCALE, *sorted(found - {DEFAULT_LOCALE}))


# Languages with a catalog; any territory of them is accepted (fr_CA, en_GB…).
LANGUAGES = _shipped()


_active: ContextVar[str | None] = ContextVar("engagebot_locale", default=None)
_store: ContextVar[str | None] = ContextVar("engagebot_store_locale", default=None)
# The running store's locale, for code that runs outside any `use` block: a platform
# library's own tasks (Slack listeners, the web server) started before the app.
_process_default = DEFAULT_LOCALE


# -- choosing the locale ----------------------------------------------------------------


@lru_cache(maxsize=256)  # asked with every click's locale; Babel's parse is slow
def normalize(name: str) -> str | None:
    """'fr-CA', 'fr_ca', 'FR' → 'fr_CA', 'fr'; None if Babel knows no such locale or no
    catalog speaks its language."""
    try:
        locale = Locale.parse(name.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if locale.language not in LANGUAGES:
        return None
    return str(locale)


def active() -> str:
    return _active.get() or _store_locale()


def _store_locale() -> str:
    return _store.get() or _process_default


def set_process_default(locale: str) -> str:
    """The store's locale wherever no block chose one; returns the previous one."""
    global _process_default
    previous, _process_default = _process_default, locale
    return previous


@contextmanager
def use(store_locale: str) -> Iterator[None]:
    """Everything inside speaks the store's locale (and `public` returns to it)."""
    store_token = _store.set(store_locale)
    token = _active.set(store_locale)
    try:
        yield
    finally:
        _active.reset(token)
        _store.reset(store_token)


@contextmanager
def reader(locale: str | None) -> Iterator[None]:
    """Private replies inside go to one person in their own locale (None: the store's)."""
    token = _active.set(locale or _store_locale())
    try:
        yield
    finally:
        _active.reset(token)


@contextmanager
def public() -> Iterator[None]:
    """Posts everyone reads: the store's locale, whoever caused them."""
    with reader(None):
        yield


def pick(wanted: str | None, listed: list[str], store_locale: str) -> str:
    """A customer's locale for private replies: theirs when the store lists it (or its
    language), else the store's."""
    if not wanted or not listed:
        return store_locale
    name = normalize(wanted)
    if name is None:
        return store_locale
    if name in listed:
        return name
    language = name.split("_")[0]
    for candidate in listed:
        if candidate.split("_")[0] == language:
            return candidate
    return store_locale


# -- translating --------------------------------------------------------------------------


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog for locale (fr_CA falls back to fr, then to the English msgids)."""
    found = Translations.load(str(LOCALE_DIR), [locale], DOMAIN)
    if os.environ.get(PSEUDO_ENV):
        return _Pseudo(found)
    return found


def gettext(message: str) -> str:
    return translations(active()).ugettext(message)


def pgettext(context: str, message: str) -> str:
    return translations(active()).upgettext(context, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(active()).ungettext(singular, plural, count)


class Text:
    """A catalog entry, translated when formatted (`.format()` with no fields for a
    text without any). Not a str, so mypy finds a text used without translating it."""

    __slots__ = ("context", "msgid")

    def __init__(self, msgid: str, context: str | None = None) -> None:
        self.msgid = msgid
        self.context = context  # tells apart equal English words (a command name)

    def format(self, *args: object, **fields: object) -> str:
        return str(self).format(*args, **fields)

    def __str__(self) -> str:
        if self.context is not None:
            return pgettext(self.context, self.msgid)
        return gettext(self.msgid)

    def __repr__(self) -> str:
        return f"Text({self.msgid!r})"


class PluralText:
    """A catalog entry with plural forms: the language's rule picks one for count."""

    __slots__ = ("plural", "singular")

    def __init__(self, singular: str, plural: str) -> None:
        self.singular = singular
        self.plural = plural

    def format(self, count: int, **fields: object) -> str:
        template = ngettext(self.singular, self.plural, count)
        return template.format(count=number(count), **fields)


# Marked for extraction by `make i18n` (see setup.cfg): N_ for a text, P_ for plurals,
# C_(context, text) for a text whose English could mean several things.
N_ = Text
P_ = PluralText


def C_(context: str, msgid: str) -> Text:
    return Text(msgid, context)


class _Pseudo(NullTranslations):
    """Every text marked ⟦…⟧, placeholders untouched, so unmarked text stands out."""

    def __init__(self, inner: NullTranslations) -> None:
        super().__init__()
        self._inner = inner

    def ugettext(self, message: str) -> str:
        return f"⟦{self._inner.ugettext(message)}⟧"

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{self._inner.ungettext(singular, plural, n)}⟧"

    def upgettext(self, context: str, message: str) -> str:
        return f"⟦{self._inner.upgettext(context, message)}⟧"

    def gettext(self, message: str) -> str:
        return self.ugettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.ungettext(msgid1, msgid2, n)


# -- numbers, prices, dates -------------------------------------------------------------


def _formats() -> str:
    name = active()
    return _FORMAT_AS.get(name, name)


def number(value: float) -> str:
    return format_decimal(value, locale=_formats())


def price(amount: float, currency: str) -> str:
    return format_currency(amount, currency, locale=_formats())


def percent(share: float) -> str:
    """0.37 → '37%' (en), '37 %' (fr)."""
    return format_percent(share, locale=_formats())


def when(moment: datetime, zone: ZoneInfo, now: datetime | None = None) -> str:
    """A moment in the store's zone: 'Mon 7 Dec 17:31 CET', 'lun. 7 déc. à 17:31 CET'.
    Given now, a moment in another year (in the store's zone) names it: 'Mon, 7 Dec
    2027 17:31 CET', so a poll that closed last year is not read as this year's."""
    other_year = now is not None and moment.astimezone(zone).year != now.astimezone(zone).year
    return _when(moment, zone, active(), other_year)


# Every vote reply names the poll's closing time: Babel takes ~100 us to format it, and
# the answer depends only on these four.
@lru_cache(maxsize=256)
def _when(moment: datetime, zone: ZoneInfo, locale: str, with_year: bool = False) -> str:
    from bot.messages import DATE_TIME  # the catalog imports this module

    local = moment.astimezone(zone)
    fmt = _FORMAT_AS.get(locale, locale)
    date = format_skeleton("yMMMEd" if with_year else "MMMEd", local, locale=fmt)
    time = format_skeleton("Hm", local, locale=fmt)
    return DATE_TIME.format(date=date, time=time, zone=local.tzname() or "")


def skeleton(moment: date | datetime, pattern: str) -> str:
    """A date or time in the locale's own order for the CLDR skeleton pattern (e.g.
    'MMMEd' → 'Tue 3 Mar', 'mar. 3 mars'; 'Hm' → '14:05')."""
    return format_skeleton(pattern, moment, locale=_formats())


def long_day(day: date) -> str:
    """'Tuesday 3 March 2026', 'mardi 3 mars 2026'."""
    return format_date(day, "full", locale=_formats())


def day_month(day: date) -> str:
    """'7 Dec', '7 déc.': a chart's axis label."""
    return format_skeleton("ddMMM", day, locale=_formats())


PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)s")  # str.format and Jinja's %(name)s


def placeholders(text: str) -> list[str]:
    """The {fields} a text uses, sorted: a translation must keep them all."""
    return sorted(PLACEHOLDER.findall(text))
