"""store.locale and store.locales in the config: accepted forms, and a file:line:col
problem listing the supported languages for anything else (the real CLI)."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_config
from tests.cli_runner import engagebot
from tests.conftest import SHOP_HEADER

POLL = """\
polls:
  - id: helmets
    question: Which helmet?
    channels: [community]
    options:
      - {id: aero, label: Aero}
      - {id: urban, label: Urban}
"""


def write(tmp_path: Path, store_keys: str) -> Path:
    text = SHOP_HEADER.replace("  currency: EUR\n", "  currency: EUR\n" + store_keys) + POLL
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_locales_default_to_english_and_accept_regions(tmp_path: Path) -> None:
    store = load_config(write(tmp_path, "")).settings.store
    assert (store.locale, store.locales) == ("en", [])
    store = load_config(write(tmp_path, "  locale: fr-ca\n  locales: [FR, en_GB]\n")).settings.store
    assert (store.locale, store.locales) == ("fr_CA", ["fr", "en_GB"])


def test_unsupported_locales_are_reported_where_they_are_written(tmp_path: Path) -> None:
    path = write(tmp_path, "  locale: de\n  locales: [fr, klingon]\n")
    done = engagebot("validate", str(path))
    assert done.returncode == 2
    hint = "(supported: en, fr, or a region of one such as fr_CA or en_GB)"
    assert f"{path}:5:11: unsupported language 'de' {hint}" in done.stdout + done.stderr
    assert f"{path}:6:17: unsupported language 'klingon' {hint}" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
