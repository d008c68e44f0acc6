"""A config image is checked again right before it is uploaded to Slack: a file changed
after validation (now a link out of the config folder, or no longer an image) is left
out with one log line, never uploaded."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.registry import build_adapters
from bot.clock import FakeClock
from bot.config import load_config
from bot.storage import open_store
from tests.adapters.slack.harness import SECRETS, RecordingApp, fake_slack, write_config


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("link-outside", "is outside the config folder"),
        ("not-an-image", "is not a PNG, JPEG, GIF or WebP image"),
    ],
)
async def test_a_photo_changed_after_validation_is_never_uploaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, change: str, why: str
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.core.media")
    async with fake_slack() as fake:
        config = load_config(write_config(tmp_path, fake), env=SECRETS)  # a real PNG
        photo = tmp_path / "images" / "urban.png"
        photo.unlink()
        if change == "link-outside":
            photo.symlink_to("/etc/passwd")
        else:
            photo.write_text("TOKEN=not-an-image\n", encoding="utf-8")
        clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
        adapters = build_adapters(config, clock)
        app = RecordingApp(config, open_store(config.database_url), adapters, clock)
        await asyncio.wait_for(app.start(), 15)
        try:
            assert len(fake.calls_to("chat.postMessage")) == 1  # the poll itself is posted
            assert fake.uploads == {}
            assert fake.calls_to("files.completeUploadExternal") == []
        finally:
            await asyncio.wait_for(app.shutdown(), 15)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.core.media"]
    assert said == [f"image {photo} {why}; it is left out of the post"]
