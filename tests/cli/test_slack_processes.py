"""Two real `engagebot run` processes serving one Slack app on one PostgreSQL database.

HTTP mode behind a load balancer: Slack retries a delivery whose ack it missed, and the
retry may reach the other process. Socket Mode: Slack spreads envelopes over the app's
connections and may redeliver one on another connection. Either way each click counts
once, the voter hears one story, and a staff command acts once (the other says so)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import aiohttp

from bot import messages
from bot.core.actions import encode_vote
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.harness import (
    FORM,
    SECRETS,
    click_body,
    command_body,
    fake_slack,
    free_port,
    signed_headers,
    write_config,
)
from tests.cli.bot_process import BotProcess, bot_process
from tests.cli_runner import engagebot
from tests.pg import pg_url  # noqa: F401  (fixture)

AERO, URBAN = encode_vote("helmets", "aero"), encode_vote("helmets", "urban")
CLOSED_BY_THIS_ONE = "Poll “Which helmet should we stock?” (helmets) is closed"
CLOSED_BEFORE = "Poll helmets is already closed."


@asynccontextmanager
async def two_bots(
    tmp_path: Path, fake: FakeSlack, database: str, mode: str
) -> AsyncIterator[tuple[list[BotProcess], list[int]]]:
    """Two processes, same shop; in HTTP mode each on its own port (as two containers
    behind a load balancer). They start one after the other, so in Socket Mode the
    first opened connection 0 and the second connection 1."""
    ports = [free_port(), free_port()]
    env = {**SECRETS, "ENGAGEBOT_DATABASE_URL": database}
    async with bot_process(
        "run", "-c", str(config(tmp_path / "a", fake, mode, ports[0])), env=env
    ) as a:
        await a.wait_for_log("polls: ", timeout=60)  # served: logged after start-up
        async with bot_process(
            "run", "-c", str(config(tmp_path / "b", fake, mode, ports[1])), env=env
        ) as b:
            await b.wait_for_log("polls: ", timeout=60)
            yield [a, b], ports
            for bot in (a, b):
                assert await bot.stop() == 0
                assert not any("Traceback" in line for line in bot.log), "\n".join(bot.log)


def config(folder: Path, fake: FakeSlack, mode: str, port: int) -> Path:
    folder.mkdir()
    return write_config(folder, fake, mode=mode, port=port)


def poll_ts(fake: FakeSlack) -> str:
    posts = [c for c in fake.calls_to("chat.postMessage") if "actions" in json.dumps(c.args)]
    assert len(posts) == 1, posts  # posted once, by one of the two
    return str(posts[0].answer["ts"])


def action_ts(n: int) -> str:
    return f"{time.time() + n / 1000:.6f}"


def tally(tmp_path: Path, database: str) -> dict[str, int]:
    env = {**SECRETS, "ENGAGEBOT_DATABASE_URL": database}
    done = engagebot("results", "helmets", "-c", str(tmp_path / "a" / "shop.yaml"),
                     "--format", "json", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {o["id"]: o["votes"] for o in json.loads(done.stdout)["options"] if o["votes"]}


async def test_http_retries_reaching_the_other_process_count_once(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    async with (
        fake_slack() as fake,
        two_bots(tmp_path, fake, pg_url, "http") as (_, ports),
        aiohttp.ClientSession() as http,
    ):
        await fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 1, 30)
        message = poll_ts(fake)

        async def post(port: int, body: str, retry: int | None = None) -> aiohttp.ClientResponse:
            headers = signed_headers(body, FORM)
            if retry is not None:  # what Slack adds when it sends a delivery again
                headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
            url = f"http://127.0.0.1:{port}/slack/events"
            async with http.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                return response

        # Ann's click reaches process a; Slack's retry of it reaches process b.
        ann = click_body(fake, "UANN", AERO, action_ts(1), message)
        assert (await post(ports[0], ann)).status == 200
        assert (await post(ports[1], ann, retry=1)).status == 200
        # Ten voters whose click and its retry reach both processes at the same time.
        for n in range(10):
            option = URBAN if n % 2 else AERO
            body = click_body(fake, f"U{n:03d}", option, action_ts(10 + n), message)
            first, again = await asyncio.gather(
                post(ports[n % 2], body), post(ports[1 - n % 2], body, 1)
            )
            assert first.status == again.status == 200

        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 2, 10)
        [told] = set(fake.ephemerals("UANN"))  # the same confirmation, never another story
        assert told.startswith("✅ Your vote for AeroLite MIPS is counted")
        for n in range(10):
            await fake.wait_for(lambda n=n: len(fake.ephemerals(f"U{n:03d}")) >= 1, 10)
            assert len(set(fake.ephemerals(f"U{n:03d}"))) == 1
            assert fake.ephemerals(f"U{n:03d}")[0].startswith("✅")

        # The merchant's /engage close reaches a, and its retry b: closed once.
        close = command_body(fake, "UMERCHANT", "close helmets")
        answers: list[str] = []
        for port, retry in ((ports[0], None), (ports[1], 1)):
            headers = signed_headers(close, FORM)
            if retry is not None:
                headers |= {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
            async with http.post(
                f"http://127.0.0.1:{port}/slack/events", data=close.encode(), headers=headers
            ) as response:
                assert response.status == 200
                body = await response.read()
                answers.append(json.loads(body)["text"] if body else "")
        assert await merchant_was_told(fake, answers) == [CLOSED_BY_THIS_ONE, CLOSED_BEFORE]

    assert tally(tmp_path, pg_url) == {"aero": 6, "urban": 5}


async def merchant_was_told(fake: FakeSlack, acks: list[str]) -> list[str]:
    """What the merchant read, in order: the answers in the acks, and (when a command
    took longer than Slack's ack deadline) the one posted to its response_url instead;
    each shortened to its first sentence."""
    working = messages.SLACK_WORKING.format()
    if working in acks:
        await fake.wait_for(lambda: bool(fake.ephemerals("UMERCHANT", via="response_url")), 10)
    later = iter(fake.ephemerals("UMERCHANT", via="response_url"))
    told = [next(later) if text in (working, "") else text for text in acks]
    return [text if text == CLOSED_BEFORE else text[: len(CLOSED_BY_THIS_ONE)] for text in told]


def interactive(envelope_id: str, body: str, retry: int | None = None) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "envelope_id": envelope_id,
        "type": "interactive",
        "accepts_response_payload": False,
        "payload": json.loads(unquote(body.removeprefix("payload="))),
    }
    if retry is not None:
        envelope |= {"retry_attempt": retry, "retry_reason": "timeout"}
    return envelope


async def acked(fake: FakeSlack, envelope_id: str) -> dict[str, Any]:
    await fake.wait_for(lambda: envelope_id in fake.socket_acks, 10)
    return fake.socket_acks[envelope_id]


async def test_socket_mode_redelivery_on_the_other_connection_counts_once(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    async with fake_slack() as fake, two_bots(tmp_path, fake, pg_url, "socket"):
        await fake.wait_for(lambda: fake.socket_connections() == 2, 10)
        await fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 1, 30)
        message = poll_ts(fake)

        ann = click_body(fake, "UANN", AERO, action_ts(1), message)
        await fake.send_envelope(interactive("e-ann", ann), connection=0)
        await acked(fake, "e-ann")
        await fake.send_envelope(interactive("e-ann-again", ann, retry=1), connection=1)
        await acked(fake, "e-ann-again")
        for n in range(10):  # spread over both connections, each redelivered on the other
            option = URBAN if n % 2 else AERO
            body = click_body(fake, f"U{n:03d}", option, action_ts(10 + n), message)
            await asyncio.gather(
                fake.send_envelope(interactive(f"e{n}", body), connection=n % 2),
                fake.send_envelope(interactive(f"e{n}-r", body, 1), connection=1 - n % 2),
            )
        for n in range(10):
            await acked(fake, f"e{n}")
            await acked(fake, f"e{n}-r")

        await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 2, 10)
        [told] = set(fake.ephemerals("UANN"))
        assert told.startswith("✅ Your vote for AeroLite MIPS is counted")

        close = dict(parse_qsl(command_body(fake, "UMERCHANT", "close helmets")))
        texts = []
        for connection, envelope_id, retry in ((0, "e-close", None), (1, "e-close-r", 1)):
            envelope = {
                "envelope_id": envelope_id,
                "type": "slash_commands",
                "payload": close,
                "accepts_response_payload": True,
            }
            if retry is not None:
                envelope |= {"retry_attempt": retry, "retry_reason": "timeout"}
            await fake.send_envelope(envelope, connection=connection)
            texts.append((await acked(fake, envelope_id)).get("payload", {}).get("text", ""))
        assert await merchant_was_told(fake, texts) == [CLOSED_BY_THIS_ONE, CLOSED_BEFORE]

    assert tally(tmp_path, pg_url) == {"aero": 6, "urban": 5}
