"""The shipped catalogs: complete, faithful to the English placeholders, in sync with the
code (`make i18n` was run), compiled, and written with French typography."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot import i18n, messages
from tests.conftest import REPO

LOCALE_DIR = REPO / "bot" / "locale"
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LOCALE]


def catalog(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "engagebot.po").open("rb") as source:
        return read_po(source, locale=language)


def entries(found: Catalog) -> list[Message]:
    return [m for m in found if m.id]


def forms_of(string: str | list[str] | tuple[str, ...]) -> list[str]:
    return [string] if isinstance(string, str) else list(string)


def forms(message: Message) -> list[str]:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    return list(ids)


def test_french_ships() -> None:
    assert TRANSLATED == ["fr"]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_keeps_its_placeholders(language: str) -> None:
    found = catalog(language)
    assert entries(found), "an empty catalog"
    for message in entries(found):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: not translated: {message.id!r}"
        assert not message.fuzzy, f"{language}: marked fuzzy: {message.id!r}"
        wanted = i18n.placeholders(forms(message)[-1])
        for text in strings:
            assert i18n.placeholders(text) == wanted, f"{language}: {message.id!r} → {text!r}"
        if isinstance(message.id, tuple):
            assert len(strings) == found.num_plurals


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    """The .mo shipped in the wheel is the .po compiled: nothing edited and forgotten."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "engagebot.mo").open("rb") as compiled:
        mo = read_mo(compiled)
    po = catalog(language)

    def texts(found: Catalog) -> set[tuple[object, ...]]:
        def context(m: Message) -> str | None:  # read_mo leaves it bytes
            return m.context.decode() if isinstance(m.context, bytes) else m.context

        return {(context(m), *forms_of(m.id), *forms_of(m.string)) for m in entries(found)}

    assert texts(mo) == texts(po)


def test_catalogs_hold_every_text_in_the_code(tmp_path: Path) -> None:
    """Babel's extraction, as `make i18n` runs it, finds nothing the template lacks, and
    every language has every entry of the template."""
    fresh = tmp_path / "engagebot.pot"
    subprocess.run(
        [
            *(sys.executable, "-m", "babel.messages.frontend", "extract"),
            *("-F", "babel.cfg", "-k", "N_", "-k", "P_:1,2", "-k", "C_:1c,2"),
            *("--no-location", "-o", str(fresh), "."),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as source:
        wanted = {(m.context, m.id) for m in entries(read_po(source))}
    with (LOCALE_DIR / "engagebot.pot").open("rb") as source:
        assert {(m.context, m.id) for m in entries(read_po(source))} == wanted, "run make i18n"
    for language in TRANSLATED:
        assert {(m.context, m.id) for m in entries(catalog(language))} == wanted


def leaves(value: object) -> list[object]:
    """The texts in a catalog entry: itself, or those in its dict or (nested) tuple."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def test_every_catalog_entry_in_the_code_is_marked() -> None:
    """Texts in bot/messages.py are all marked, so extraction cannot miss one."""
    for name, value in vars(messages).items():
        if name.isupper() and not callable(value):
            assert all(isinstance(v, i18n.Text | i18n.PluralText) for v in leaves(value)), name


# French typography: a no-break space before : and inside « », a narrow one before ; ! ?
_BAD_FRENCH = [
    (re.compile(r" [:;!?»]"), "plain space where a no-break space belongs, before"),
    (re.compile(r"« "), "plain space after «"),
    (re.compile(r"“|”"), "English quotes; write « »"),
    (re.compile(r"'"), "straight apostrophe; write ’"),
]


def test_french_typography() -> None:
    for message in entries(catalog("fr")):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            shown = re.sub(r"`[^`]*`|\{[^}]*\}|%\(\w+\)s", "x", text)  # code and fields as they are
            for rule, what in _BAD_FRENCH:
                found = rule.search(shown)
                assert found is None, f"{what} {found.group()!r}: {text!r}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_console_rewording_still_finds_its_words_in_every_language(language: str) -> None:
    """The console rewords chat replies ("click" → "type"); each chat phrase it looks for
    must still be part of some reply once both are translated."""
    with i18n.use(language):
        replies = [
            str(leaf) if isinstance(leaf, i18n.Text) else ""
            for name, value in vars(messages).items()
            if name.isupper() and not callable(value) and name != "CONSOLE_WORDING"
            for leaf in leaves(value)
        ]
        for chat, console in messages.CONSOLE_WORDING:
            phrase = str(chat)
            assert any(phrase in reply for reply in replies), f"{language}: {phrase!r}"
            assert str(console) != phrase
