"""Shared helpers: write merchant configs to temporary folders."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SHOP_HEADER = """\
store:
  name: Test Shop
  timezone: Europe/Paris
  currency: EUR
platforms:
  console:
    staff: [merchant]
channels:
  community:
    console: general
"""

BASIC_CONFIG = (
    SHOP_HEADER
    + """\
polls:
  - id: helmets
    question: Which helmet should we stock?
    channels: [community]
    {timing}
    max_choices: {max_choices}
    allow_change: {allow_change}
    results: {results}
    options:
      - id: aero
        label: AeroLite MIPS
        price: 89.00
        image: https://example.com/aero.jpg
      - id: urban
        label: Urban Shell
        price: 65.00
      - id: trail
        label: Trail Pro
"""
)

WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a one-poll config; keyword arguments fill the template above."""

    def write(
        text: str | None = None,
        *,
        timing: str = "duration: 7d",
        max_choices: int = 1,
        allow_change: str = "true",
        results: str = "live",
        name: str = "shop.yaml",
    ) -> Path:
        body = (
            text
            if text is not None
            else BASIC_CONFIG.format(
                timing=timing, max_choices=max_choices, allow_change=allow_change, results=results
            )
        )
        path = tmp_path / name
        path.write_text(textwrap.dedent(body), encoding="utf-8")
        return path

    return write
