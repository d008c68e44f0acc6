"""Slack's HTTP endpoint answers junk with 401/400, logs next to nothing about it, and
keeps serving real clicks (the adapter in mode http, over real HTTP, against the fake)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import time
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.slack.http_guard import LOG_INTERVAL
from bot.clock import FakeClock
from bot.core.actions import encode_vote
from tests.adapters.slack.harness import FORM, SECRETS, click_body, signed_headers, slack_app

AERO = encode_vote("helmets", "aero")
JSON = "application/json"


def signed_bytes(body: bytes, content_type: str, timestamp: str | None = None) -> dict[str, str]:
    """Signed over raw bytes, as Slack signs (works for bodies that are not UTF-8 too)."""
    stamp = timestamp or str(int(time.time()))
    secret = SECRETS["SLACK_SIGNING_SECRET"].encode()
    digest = hmac.new(secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": "v0=" + digest.hexdigest(),
    }


UNSIGNED: list[tuple[bytes, dict[str, str]]] = [
    (b"payload=%7Bnot-json", {"content-type": FORM}),
    (b"payload=\xff\xfe\x00junk", {"content-type": FORM}),
    (b"\xc3\x28\xa0\xa1", {"content-type": JSON}),
    (b"[1, 2, 3]", {"content-type": JSON}),
    (b'{"type": "block_actions"}', {"content-type": JSON}),
    (b"", {"content-type": FORM}),
    (b"payload=%7B%7D", {"content-type": FORM, "x-slack-request-timestamp": "nope"}),
    (b"payload=%7B%7D", {"content-type": FORM, "x-slack-signature": "v0=00"}),
]


def signed_junk() -> list[tuple[bytes, dict[str, str], int]]:
    """Requests signed with the real secret: the signature holds, the body is junk (400);
    or the timestamp is not a number or is stale (401)."""
    cases: list[tuple[bytes, dict[str, str], int]] = []
    for body, content_type in [
        (b"payload=%7Bnot-json", FORM),
        (b"payload=%5B1%2C2%5D", FORM),  # payload=[1,2]: JSON, but not an object
        (b"payload=\xff\xfe", FORM),  # not UTF-8
        (b"[1, 2, 3]", JSON),
        (b"{not json", JSON),
        (b"[" * 5000 + b"]" * 5000, JSON),
    ]:
        cases.append((body, signed_bytes(body, content_type), 400))
    body = b"payload=%7B%7D"
    cases.append((body, signed_bytes(body, FORM, timestamp="12abc"), 401))
    cases.append((body, signed_bytes(body, FORM, timestamp="-1"), 401))
    cases.append((body, signed_bytes(body, FORM, timestamp=str(int(time.time()) - 600)), 401))
    return cases


async def test_junk_gets_401_or_400_logs_little_and_a_signed_click_still_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with slack_app(tmp_path, mode="http") as run:
        fake = run.fake
        url = f"http://127.0.0.1:{run.adapter.http_port}/slack/events"
        requests = [(body, headers, 401) for body, headers in UNSIGNED] + signed_junk()
        caplog.clear()
        statuses: list[tuple[int, int]] = []
        async with aiohttp.ClientSession() as http:
            for body, headers, expected in itertools.islice(itertools.cycle(requests), 100):
                async with http.post(url, data=body, headers=headers) as response:
                    statuses.append((response.status, expected))
            assert [got for got, _ in statuses] == [want for _, want in statuses]
            # Everything logged but the web server's access log (one line per request,
            # the host's to configure): no traceback, a few hundred bytes at most.
            records = [r for r in caplog.records if r.name != "aiohttp.access"]
            logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in records)
            print(f"\n100 junk requests -> {len(logged)} bytes of log: {logged}")
            assert not any(r.exc_info for r in records)
            assert len(logged) < 500
            refused = [r for r in caplog.records if "refused Slack HTTP" in r.getMessage()]
            assert len(refused) == 1  # one line, then counted until the interval is over

            # A minute later, the next refusal logs one line counting what was held back.
            assert isinstance(run.clock, FakeClock)
            await run.clock.advance(LOG_INTERVAL)
            body, headers = UNSIGNED[0]
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 401
            refused = [r.getMessage() for r in caplog.records if "refused Slack" in r.getMessage()]
            assert len(refused) == 2
            assert "bad or stale signature" in refused[1] and "unsigned" in refused[1]

            # The server still serves: a real signed click counts.
            click = click_body(fake, "UANN", AERO, run.action_ts(), run.poll_ts())
            async with http.post(
                url, data=click.encode(), headers=signed_headers(click, FORM)
            ) as response:
                assert response.status == 200
        assert await run.tally() == {"aero": 1}
        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)
