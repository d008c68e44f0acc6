"""Starting, failing to start, and restarting the Slack adapter."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.slack import SlackAdapter, create_adapter
from bot.clock import FakeClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.core.events import Event
from bot.errors import PlatformError
from tests.adapters.slack.harness import (
    CHANNEL,
    SECRETS,
    click_body,
    fake_slack,
    running,
    write_config,
)

AERO = encode_vote("helmets", "aero")


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def handle(self, event: Event) -> None:
        self.events.append(event)


async def test_rejected_bot_token_is_reported_without_the_token(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        fake.bot_token = "xoxb-some-other-workspace"
        config = load_config(write_config(tmp_path, fake), env=SECRETS)
        adapter = create_adapter(config, FakeClock(datetime.now(UTC)))
        with pytest.raises(PlatformError) as failure:
            await adapter.start(Sink())
        message = str(failure.value)
        assert "invalid_auth" in message and "bot_token" in message
        assert SECRETS["SLACK_BOT_TOKEN"] not in message
        await adapter.stop()


async def test_socket_mode_that_cannot_connect_gives_up_with_a_clear_error(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    no_logged_errors: list[logging.LogRecord],
) -> None:
    async with fake_slack() as fake:
        fake.app_token = "xapp-not-this-one"  # apps.connections.open answers invalid_auth
        config = load_config(write_config(tmp_path, fake, mode="socket"), env=SECRETS)
        adapter = create_adapter(config, FakeClock(datetime.now(UTC)))
        assert isinstance(adapter, SlackAdapter)
        adapter.connect_timeout = 0.5
        with pytest.raises(PlatformError, match="Socket Mode connection"):
            await adapter.start(Sink())
        assert fake.calls[-1].method == "apps.connections.open"
        no_logged_errors.clear()  # slack_sdk logs each failed attempt; expected here
    for secret in SECRETS.values():
        assert secret not in caplog.text


async def test_click_on_a_poll_posted_before_a_restart_still_counts(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        path = write_config(tmp_path, fake)
        async with running(path, fake) as first:
            poll_ts = first.poll_ts()
            await first.click("UANN", AERO)
        async with running(path, fake) as second:
            assert len(fake.calls_to("chat.postMessage")) == 1  # not posted again
            body = click_body(fake, "UBOB", AERO, second.action_ts(), poll_ts)
            response = await second.dispatch(body, "application/x-www-form-urlencoded")
            assert response.status == 200
            assert await second.tally() == {"aero": 2}
            await second.app.settle()
            final = fake.messages[(CHANNEL, poll_ts)]["blocks"]
            assert "2 votes" in final[-1]["elements"][0]["text"]
