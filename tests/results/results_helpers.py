"""Shared by the results tests: a shop config with a decision rule and run-offs, and
small builders. Everything runs on real SQLite files and the real App."""

from __future__ import annotations

import struct
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from bot.core.events import CommandInvoked
from bot.core.refs import ChannelRef, UserRef
from tests.conftest import SHOP_HEADER
from tests.fakes import Replies

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris

SHOP = (
    SHOP_HEADER
    + """\
polls:
  - id: {poll_id}
    question: Which helmet should we stock?
    channels: [community]
    duration: 2d
    max_choices: {max_choices}
    runoff: {runoff}
    decision: {{min_votes: {min_votes}, min_margin: 0.10}}
    options:
      - id: aero
        label: AeroLite MIPS
        price: 89.00
      - id: urban
        label: Urban Shell
      - id: trail
        label: Trail Pro
"""
)


def write_shop(
    folder: Path,
    *,
    poll_id: str = "helmets",
    runoff: bool = True,
    min_votes: int = 2,
    max_choices: int = 1,
) -> Path:
    path = folder / "shop.yaml"
    text = SHOP.format(
        poll_id=poll_id,
        runoff=str(runoff).lower(),
        min_votes=min_votes,
        max_choices=max_choices,
    )
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def staff(name: str, *args: str) -> tuple[CommandInvoked, Replies]:
    replies = Replies()
    user = UserRef("console", "merchant", "merchant")
    channel = ChannelRef("console", "general")
    return CommandInvoked(user, channel, name, args, True, replies), replies


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR", "PNG without IHDR first"
    width, height = struct.unpack(">II", data[16:24])
    return width, height
