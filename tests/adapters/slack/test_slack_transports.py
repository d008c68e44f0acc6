"""The two ways Slack reaches the bot: signed HTTP requests to the aiohttp server bolt
builds (web_app), and a Socket Mode websocket opened with the app-level token."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import aiohttp
import pytest

from bot.core.actions import encode_vote
from bot.core.events import MessageReceived
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.harness import (
    FORM,
    SECRETS,
    click_body,
    command_body,
    message_event_body,
    signed_headers,
    slack_app,
)

AERO = encode_vote("helmets", "aero")


async def test_http_transport_checks_signatures(tmp_path: Path) -> None:
    async with slack_app(tmp_path, mode="http") as run:
        fake = run.fake
        url = f"http://127.0.0.1:{run.adapter.http_port}/slack/events"
        body = click_body(fake, "UANN", AERO, run.action_ts(), run.poll_ts())
        async with aiohttp.ClientSession() as http:

            async def post(headers: dict[str, str]) -> int:
                async with http.post(url, data=body.encode(), headers=headers) as response:
                    return response.status

            forged = signed_headers(body, FORM, secret="not-the-signing-secret")
            stale = signed_headers(body, FORM, timestamp=int(time.time()) - 600)
            assert await post(forged) == 401
            assert await post(stale) == 401
            assert await run.tally() == {}
            assert fake.calls_to("chat.postEphemeral") == []

            assert await post(signed_headers(body, FORM)) == 200
            assert await run.tally() == {"aero": 1}  # stored before the HTTP 200
            await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)


async def acked(fake: FakeSlack, envelope_id: str) -> dict[str, Any]:
    """The ack envelope the bot sent back for envelope_id."""
    await fake.wait_for(lambda: envelope_id in fake.socket_acks)
    return fake.socket_acks[envelope_id]


def interactive_envelope(envelope_id: str, body: str) -> dict[str, object]:
    payload = json.loads(unquote(body.removeprefix("payload=")))
    return {
        "envelope_id": envelope_id,
        "type": "interactive",
        "accepts_response_payload": False,
        "payload": payload,
    }


async def test_socket_mode_delivers_clicks_commands_and_events(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with slack_app(tmp_path, mode="socket") as run:
        fake = run.fake
        assert run.adapter.http_port is None
        opened = fake.calls_to("apps.connections.open")
        assert len(opened) == 1
        await asyncio.wait_for(fake.socket_connected.wait(), 5)

        body = click_body(fake, "UANN", AERO, run.action_ts(), run.poll_ts())
        await fake.send_envelope(interactive_envelope("env-click", body))
        await acked(fake, "env-click")
        assert await run.tally() == {"aero": 1}  # stored before the ack envelope
        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)

        command = dict(parse_qsl(command_body(fake, "UMERCHANT", "list")))
        await fake.send_envelope(
            {"envelope_id": "env-cmd", "type": "slash_commands", "payload": command,
             "accepts_response_payload": True}
        )  # fmt: skip
        ack = (await acked(fake, "env-cmd"))["payload"]
        assert "Which helmet should we stock?" in ack["text"]

        event = json.loads(
            message_event_body("EvS", "UANN", "nice!", "1800000200.000100", run.poll_ts())
        )
        for attempt, envelope_id in ((None, "env-ev"), (1, "env-ev-retry")):
            envelope = {
                "envelope_id": envelope_id,
                "type": "events_api",
                "payload": event,
                "accepts_response_payload": False,
                "retry_attempt": attempt,
            }
            await fake.send_envelope(envelope)
            await acked(fake, envelope_id)
        replies = [e for e in run.app.events if isinstance(e, MessageReceived)]
        assert len(replies) == 1 and replies[0].thread_of is not None

    logged = caplog.text
    assert "hello" in logged or "session" in logged  # the debug log did run
    for secret in SECRETS.values():
        assert secret not in logged
