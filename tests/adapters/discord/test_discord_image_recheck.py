"""A config image is checked again right before Discord gets it: a file changed after
validation (now a link out of the config folder, or no longer an image) is left out of
the post with one log line, never uploaded."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.adapters.discord.discord_harness import running_app, texts, write_config
from tests.adapters.discord.fake_discord import FakeDiscord


def _swap(photo: Path, change: str) -> None:
    photo.unlink()
    if change == "link-outside":
        photo.symlink_to("/etc/passwd")
    else:
        photo.write_text("TOKEN=not-an-image\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("link-outside", "is outside the config folder"),
        ("not-an-image", "is not a PNG, JPEG, GIF or WebP image"),
    ],
)
async def test_a_photo_changed_after_validation_is_left_out(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture, change: str, why: str
) -> None:
    config = write_config(tmp_path, fake)  # validated with a real PNG
    photo = tmp_path / "images" / "aerolite.png"
    _swap(photo, change)
    caplog.set_level(logging.WARNING, logger="bot.core.media")
    async with running_app(config):
        post = fake.posts()[0]
        assert post.files == {}  # nothing uploaded
        assert "**1. AeroLite MIPS**" in texts(post.body["components"])  # the card still shows
        assert "attachment://" not in str(post.body)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.core.media"]
    assert said == [f"image {photo} {why}; it is left out of the post"]
