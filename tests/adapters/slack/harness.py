"""Run the real App with the real Slack adapter against the local fake: a merchant config
in tmp_path (tokens from a test environment), a real SQLite file, and signed Slack
requests built the way Slack builds them."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.adapters.registry import build_adapters
from bot.adapters.slack import SlackAdapter
from bot.app import App
from bot.clock import Clock, FakeClock
from bot.config import load_config
from bot.core.events import Event
from bot.storage import open_store
from tests.adapters.slack.fake_slack import FakeSlack

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-test-bot-token-4f9a2c",
    "SLACK_APP_TOKEN": "xapp-test-app-token-7d1e3b",
    "SLACK_SIGNING_SECRET": "test-signing-secret-c0ffee",
}
CHANNEL = "C0POLLS"
TEAM = "T0SHOP"
# A 1x1 PNG: the photo a merchant keeps next to the config.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a3c1b6b60000000049454e44ae426082"
)

SLACK_BLOCK = """\
  slack:
    mode: {mode}
    bot_token: ${{SLACK_BOT_TOKEN}}
    app_token: ${{SLACK_APP_TOKEN}}
    signing_secret: ${{SLACK_SIGNING_SECRET}}
    host: 127.0.0.1
    port: {port}
    api_base_url: {base_url}
    staff_users: [UMERCHANT]
    staff_groups: [S0STAFF]
"""

CONFIG = """\
store:
  name: Test Shop
  timezone: Europe/Paris
  currency: EUR
platforms:
{platforms}
channels:
  community:
    slack: {channel}
{extra_channels}
polls:
  - id: helmets
    question: Which helmet should we stock?
    description: The winner lands on our shelves in March.
    channels: [community]
    duration: 7d
    results: {results}
    options:
      - id: aero
        label: AeroLite MIPS
        price: 89.00
        image: https://example.com/aero.jpg
        description: Light road helmet with MIPS.
        link: https://example.com/aero
      - id: urban
        label: Urban Shell
        price: 65.00
        image: images/urban.png
      - id: trail
        label: Trail Pro
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(
    folder: Path,
    fake: FakeSlack,
    *,
    mode: str = "http",
    port: int | None = None,
    results: str = "live",
    extra_platforms: str = "",
    extra_channels: str = "",
    prompts: str = "",
    base_url: str | None = None,
) -> Path:
    (folder / "images").mkdir(exist_ok=True)
    (folder / "images" / "urban.png").write_bytes(PNG)
    base_url = base_url or fake.base_url  # e.g. without the trailing slash, or host only
    slack = SLACK_BLOCK.format(mode=mode, port=port or free_port(), base_url=base_url)
    text = CONFIG.format(
        platforms=extra_platforms + slack,
        channel=CHANNEL,
        extra_channels=extra_channels,
        results=results,
    )
    path = folder / "shop.yaml"
    path.write_text(textwrap.dedent(text) + prompts, encoding="utf-8")
    return path


class RecordingApp(App):
    """The real App; it also keeps every event the adapters delivered, and can wait
    until it has finished handling them (a click is acknowledged before the app posts
    the confirmation and schedules the tally edit)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[Event] = []
        self._busy = 0

    async def handle(self, event: Event) -> None:
        self.events.append(event)
        self._busy += 1
        try:
            await super().handle(event)
        finally:
            self._busy -= 1

    async def idle(self, timeout: float = 10.0) -> None:
        async def wait() -> None:
            while self._busy:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(wait(), timeout)

    async def settle(self) -> None:
        """Every delivered event handled, then every pending tally edit sent."""
        await self.idle()
        await self.live.flush()


# -- signed requests --------------------------------------------------------------------


def signed_headers(
    body: str, content_type: str, *, timestamp: int | None = None, secret: str | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    verifier = SignatureVerifier(secret or SECRETS["SLACK_SIGNING_SECRET"])
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": verifier.generate_signature(timestamp=stamp, body=body) or "",
    }


FORM = "application/x-www-form-urlencoded"


def click_body(
    fake: FakeSlack,
    user: str,
    action_id: str,
    action_ts: str,
    message_ts: str,
    channel: str = CHANNEL,
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "test-shop"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0ENGAGE",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"trigger-{action_ts}",
        "channel": {"id": channel, "name": "community"},
        "message": {"type": "message", "ts": message_ts, "user": "UBOT", "text": "poll"},
        "response_url": fake.response_url(f"click-{user}"),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Vote"},
                "value": action_id.rsplit(":", 1)[-1],
                "action_ts": action_ts,
            }
        ],
    }
    return "payload=" + quote(json.dumps(payload))


def command_body(fake: FakeSlack, user: str, text: str, channel: str = CHANNEL) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "test-shop",
            "channel_id": channel,
            "channel_name": "community",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/engage",
            "text": text,
            "api_app_id": "A0ENGAGE",
            "response_url": fake.response_url(f"command-{user}"),
            "trigger_id": "trigger-command",
        }
    )


def message_event_body(
    event_id: str, user: str, text: str, ts: str, thread_ts: str | None = None
) -> str:
    event: dict[str, Any] = {
        "type": "message",
        "channel": CHANNEL,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0ENGAGE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(ts)),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
    )


# -- the running app --------------------------------------------------------------------


@dataclass
class SlackRun:
    app: RecordingApp
    adapter: SlackAdapter
    fake: FakeSlack
    clock: Clock
    _ts: Any = field(default_factory=lambda: itertools.count(1))

    def action_ts(self) -> str:
        """A click time Slack would send: a little after the clock's now."""
        return f"{self.clock.now().timestamp() + next(self._ts) / 1000:.6f}"

    def poll_ts(self) -> str:
        posts = [c for c in self.fake.calls_to("chat.postMessage") if _is_poll(c.args)]
        assert posts, "no poll was posted"
        return str(posts[0].answer["ts"])

    async def dispatch(
        self, body: str, content_type: str, retry: int | None = None, **sign: Any
    ) -> BoltResponse:
        headers = signed_headers(body, content_type, **sign)
        if retry is not None:
            headers["x-slack-retry-num"] = str(retry)
            headers["x-slack-retry-reason"] = "http_timeout"
        request = AsyncBoltRequest(body=body, headers=headers)
        return await asyncio.wait_for(self.adapter.bolt.async_dispatch(request), 10)

    async def click(
        self, user: str, action_id: str, *, action_ts: str | None = None, retry: int | None = None
    ) -> BoltResponse:
        body = click_body(self.fake, user, action_id, action_ts or self.action_ts(), self.poll_ts())
        return await self.dispatch(body, FORM, retry)

    async def command(self, user: str, text: str) -> BoltResponse:
        return await self.dispatch(command_body(self.fake, user, text), FORM)

    async def tally(self) -> dict[str, int]:
        return dict((await self.app.store.tally("helmets")).counts)


def _is_poll(args: dict[str, Any]) -> bool:
    return any(b.get("type") == "actions" for b in args.get("blocks") or [])


@asynccontextmanager
async def fake_slack(usergroups: dict[str, list[str]] | None = None) -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(
        bot_token=SECRETS["SLACK_BOT_TOKEN"],
        app_token=SECRETS["SLACK_APP_TOKEN"],
        team_id=TEAM,
        usergroups=usergroups if usergroups is not None else {"S0STAFF": ["UGROUPIE"]},
    )
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
    assert fake.unknown == [], f"calls the fake does not know: {fake.unknown}"
    assert fake.problems == [], f"Slack would reject: {fake.problems}"


@asynccontextmanager
async def running(
    config_path: Path, fake: FakeSlack, clock: FakeClock | None = None
) -> AsyncIterator[SlackRun]:
    config = load_config(config_path, env=SECRETS)
    clock = clock or FakeClock(datetime.now(UTC).replace(microsecond=0))
    adapters = build_adapters(config, clock)
    app = RecordingApp(config, open_store(config.database_url), adapters, clock)
    await asyncio.wait_for(app.start(), 15)
    slack = next(a for a in adapters if isinstance(a, SlackAdapter))
    try:
        yield SlackRun(app, slack, fake, clock)
    finally:
        await asyncio.wait_for(app.shutdown(), 15)


@asynccontextmanager
async def slack_app(
    tmp_path: Path, usergroups: dict[str, list[str]] | None = None, **config: Any
) -> AsyncIterator[SlackRun]:
    """The fake Slack and the app running against it, in one."""
    async with (
        fake_slack(usergroups) as fake,
        running(write_config(tmp_path, fake, **config), fake) as run,
    ):
        yield run
