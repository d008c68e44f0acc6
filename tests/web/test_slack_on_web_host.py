"""Slack's HTTP mode on the bot's one web host: the real Slack adapter (bolt behind the
signature guard) served by the web host next to the dashboard, on one port; without a
web: block, Slack's own host/port start a web host that serves Slack and /healthz only."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.registry import build_adapters
from bot.clock import FakeClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.errors import PlatformError
from bot.storage import open_store
from bot.web.host import WebHost, start_web_host, take_endpoints, web_settings
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.harness import (
    FORM,
    SECRETS,
    RecordingApp,
    click_body,
    fake_slack,
    signed_headers,
    write_config,
)

AERO = encode_vote("helmets", "aero")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def served(path: Path) -> AsyncIterator[tuple[RecordingApp, WebHost]]:
    """What `engagebot run` does (bot/runner.py), without the signal handling."""
    config = load_config(path, env=SECRETS)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    adapters = build_adapters(config, clock)
    app = RecordingApp(config, open_store(config.database_url), adapters, clock)
    settings = web_settings(config)
    assert settings is not None
    endpoints = take_endpoints(adapters)
    await asyncio.wait_for(app.start(), 15)
    try:
        host = await start_web_host(app, settings, endpoints)
        assert host is not None
        try:
            yield app, host
        finally:
            await host.stop()
    finally:
        await asyncio.wait_for(app.shutdown(), 15)


async def click(http: aiohttp.ClientSession, url: str, fake: FakeSlack, poll_ts: str) -> int:
    body = click_body(fake, "UANN", AERO, f"{datetime.now(UTC).timestamp():.6f}", poll_ts)
    async with http.post(url, data=body.encode(), headers=signed_headers(body, FORM)) as answer:
        return answer.status


def poll_ts(fake: FakeSlack) -> str:
    return next(ts for (_, ts), message in fake.messages.items() if message.get("metadata"))


async def test_without_a_web_block_slacks_own_port_serves_slack_and_health_only(
    tmp_path: Path,
) -> None:
    async with fake_slack() as fake:
        port = free_port()
        path = write_config(tmp_path, fake, mode="http", port=port)
        async with served(path) as (app, host), aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{port}"
            assert host.greeting() == f"Listening for Slack on http://localhost:{port}/slack/events"
            async with http.get(f"{base}/healthz") as answer:
                assert answer.status == 200
            for page in ("/", "/api/polls", "/login"):  # no token: no dashboard at all
                async with http.get(base + page) as answer:
                    assert answer.status == 404, page
            async with http.post(f"{base}/slack/events", data=b"payload=%7Bnot-json") as answer:
                assert answer.status == 401  # the signature guard answers first
            assert await click(http, f"{base}/slack/events", fake, poll_ts(fake)) == 200
            assert (await app.store.tally("helmets")).counts == {"aero": 1}
            await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)


async def test_with_a_web_block_slack_and_the_dashboard_share_one_port(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        web_port = free_port()
        path = write_config(tmp_path, fake, mode="http", port=free_port())
        path.write_text(path.read_text() + f"web:\n  host: 127.0.0.1\n  port: {web_port}\n")
        async with served(path) as (app, _), aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{web_port}"
            async with http.get(f"{base}/login") as answer:
                assert answer.status == 200 and "text/html" in answer.content_type
            assert await click(http, f"{base}/slack/events", fake, poll_ts(fake)) == 200
            assert (await app.store.tally("helmets")).counts == {"aero": 1}


async def test_slack_cannot_start_when_its_port_is_taken(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = int(taken.getsockname()[1])
            path = write_config(tmp_path, fake, mode="http", port=port)
            with pytest.raises(PlatformError, match=f"cannot listen for Slack on 127.0.0.1:{port}"):
                async with served(path):
                    pass
