"""Click-to-reply through the real slack-bolt Socket Mode client: engagebot against a bare
bot, like bench/e2e_discord.py.

    python bench/e2e_slack.py [--quick] [--seconds S] [--clickers N] [--rate R] [--rounds K]

Two bots, each a real subprocess with its own local fake Slack (Web API, Socket Mode
websocket and response_url endpoints from tests/adapters/slack/, served by this process):
- engagebot: `python -m bot run --config bot.yaml` with `mode: socket`, on SQLite;
- bare: a slack-bolt AsyncApp on the same Socket Mode handler that acks every click and
  posts the same kind of reply (ephemeral, to the click's response_url, on one aiohttp
  session), storing nothing.

Both get the same block_actions envelope for a click on engagebot's poll, from a new
customer each time. Latency is from the fake sending the envelope to it receiving the
reply on the response_url. The rest (phases, CPU, recount) as in e2e_discord.py.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import e2e_common as common
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.harness import SECRETS, TEAM, click_body, write_config
from tests.cli.bot_process import BotProcess, bot_process

REPO = Path(__file__).resolve().parents[1]
OPTIONS = ("aero", "urban", "trail")


class TimedSlack(FakeSlack):
    """FakeSlack that tells when each click's reply reached its response_url."""

    def __init__(self) -> None:
        super().__init__(
            bot_token=SECRETS["SLACK_BOT_TOKEN"],
            app_token=SECRETS["SLACK_APP_TOKEN"],
            team_id=TEAM,
            usergroups={"S0STAFF": []},
        )
        self.waiting: dict[str, asyncio.Future[tuple[float, str]]] = {}

    async def _respond(self, request: web.Request) -> web.Response:
        answer = await super()._respond(request)
        waiter = self.waiting.pop(request.match_info["name"], None)
        if waiter is not None and not waiter.done():
            text = str(self.responses[-1][1].get("text", "")) if self.responses else ""
            waiter.set_result((time.monotonic(), text))
        return answer


@dataclass
class SlackTarget:
    """One bot process and the fake Slack it talks to (a common.Target)."""

    name: str
    fake: TimedSlack
    process: BotProcess
    message_ts: str
    clicks: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    confirmed: int = 0

    @property
    def pid(self) -> int:
        return self.process.process.pid

    async def click(self, timeout: float) -> float | None:
        """One click from a new customer; seconds until the reply reached the
        response_url, None if none came."""
        user = f"UCUST{next(self.clicks):07d}"
        action_id = f"v1:vote:{common.POLL}:{random.choice(OPTIONS)}"
        body = click_body(self.fake, user, action_id, f"{time.time():.6f}", self.message_ts)
        payload = json.loads(unquote(body.removeprefix("payload=")))
        name = f"click-{user}"  # click_body's response_url
        envelope = {
            "envelope_id": uuid.uuid4().hex,
            "type": "interactive",
            "accepts_response_payload": False,
            "payload": payload,
        }
        waiter: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
        self.fake.waiting[name] = waiter
        sent = time.monotonic()
        await self.fake._sockets[-1].send_str(json.dumps(envelope))
        try:
            arrived, text = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            self.fake.waiting.pop(name, None)
            return None
        if text.startswith(common.CONFIRMED):
            self.confirmed += 1
        return arrived - sent

    def edits(self) -> int:
        return len(self.fake.calls_to("chat.update"))

    def forget(self) -> None:
        self.fake.calls.clear()
        self.fake.responses.clear()
        self.fake.socket_acks.clear()


async def start_engagebot(
    stack: AsyncExitStack, fake: TimedSlack, folder: Path
) -> tuple[BotProcess, str, Path]:
    folder.mkdir()
    config = write_config(folder, fake, mode="socket")
    run = bot_process("run", "--config", str(config), env=dict(SECRETS))
    process = await stack.enter_async_context(run)

    def poll_ts() -> str | None:
        for call in fake.calls_to("chat.postMessage"):
            if any(b.get("type") == "actions" for b in call.args.get("blocks") or []):
                return str(call.answer["ts"])
        return None

    await wait_until(lambda: poll_ts() is not None, 60)
    return process, str(poll_ts()), config


async def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def start_bare(fake: TimedSlack) -> BotProcess:
    process = await common.spawn_bare(__file__, {**SECRETS, "BARE_API": fake.base_url})
    await asyncio.wait_for(fake.socket_connected.wait(), 30)
    return process


def run_bare_bot() -> None:
    """The baseline: slack-bolt alone, acking each click and replying privately."""
    import aiohttp
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def main() -> None:
        session = aiohttp.ClientSession()
        token, api = os.environ["SLACK_BOT_TOKEN"], os.environ["BARE_API"]
        client = AsyncWebClient(token=token, base_url=api)
        app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

        @app.block_action(re.compile(""))
        async def clicked(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            reply = {"text": "✅ noted", "response_type": "ephemeral", "replace_original": False}
            async with session.post(body["response_url"], json=reply) as response:
                await response.read()

        handler = AsyncSocketModeHandler(app, os.environ["SLACK_APP_TOKEN"], web_client=client)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        print(common.BARE_READY, file=sys.stderr, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        eng_fake, bare_fake = await TimedSlack().start(), await TimedSlack().start()
        try:
            async with AsyncExitStack() as stack:
                process, poll_ts, config = await start_engagebot(
                    stack, eng_fake, folder / "engagebot"
                )
                bare_process = await start_bare(bare_fake)
                engagebot = SlackTarget("engagebot", eng_fake, process, poll_ts)
                bare = SlackTarget("bare", bare_fake, bare_process, poll_ts)
                try:
                    await common.compare(engagebot, bare, args)
                finally:
                    await process.stop(signal.SIGTERM)
                    await bare_process.stop(signal.SIGKILL)
        finally:
            await eng_fake.close()
            await bare_fake.close()
        common.recount(await common.stored_votes(config, SECRETS), engagebot.confirmed)


if __name__ == "__main__":
    parser = common.parser(__doc__.split("\n")[0])
    parser.add_argument("--bare-bot", action="store_true", help=argparse.SUPPRESS)
    options = common.parse(parser)
    if options.bare_bot:
        run_bare_bot()
    else:
        asyncio.run(main(options))
