"""The Slack adapter: a slack-bolt AsyncApp behind the neutral Adapter protocol.

Transports: Socket Mode (the default for self-hosting: an app-level token, no public
URL) or HTTP (Events API and interactivity endpoint, signed requests checked by bolt).
With `api_base_url` set, the Web API, Socket Mode's connections.open and file uploads
all go to that host (GovSlack, or a local fake in tests) and nothing contacts slack.com;
it may be given with or without `/api` and the trailing slash.
Tokens are read from the config's SecretStr values only when a client is built, and
never logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.limits import SLACK
from bot.adapters.slack import blocks
from bot.adapters.slack.cooldown import ChannelCoolDown
from bot.adapters.slack.http_guard import slack_request_guard
from bot.adapters.slack.listeners import PLATFORM, Inbound
from bot.adapters.slack.pacing import TRANSIENT_TRIES, TokenBucket, error_code, paced
from bot.adapters.slack.staff import StaffDirectory
from bot.adapters.slack.uploads import upload_to_thread
from bot.clock import Clock
from bot.config.schema import SlackConfig
from bot.core.adapter import HttpEndpoint, PlatformLimits
from bot.core.content import Content
from bot.core.events import AdapterReady, EventSink
from bot.core.refs import ChannelRef, MessageRef
from bot.errors import PlatformError

log = logging.getLogger(__name__)

# connect_async() retries forever on its own; a bot that cannot connect should say so.
CONNECT_TIMEOUT = 30.0
# A response_url answers at once or not at all; the fallback must not come late.
RESPONSE_URL_TIMEOUT = aiohttp.ClientTimeout(total=5)
# chat.update answers that mean the message cannot be edited any more: nothing to retry.
EDIT_GONE = frozenset({"message_not_found", "channel_not_found", "cant_update_message"})
# A claimed post carries its key in message metadata (Slack keeps it through edits and
# returns it from conversations.history with include_all_metadata).
CLAIM_EVENT = "engagebot_post"
# find_sent: pages of this many messages (Slack recommends at most 200), newest first,
# from a little before the claim (our clock and Slack's may differ by this much).
HISTORY_PAGE = 200
HISTORY_PAGES = 5
CLOCK_SKEW = timedelta(minutes=1)
HISTORY_FIXES = {
    "not_in_channel": "invite the bot to the channel (/invite @ followed by the bot's name)",
    "channel_not_found": "check the channel id in channels: (and invite the bot if private)",
    "invalid_auth": "check platforms.slack.bot_token",
    "account_inactive": "the bot token was deactivated; reinstall the Slack app",
    "token_revoked": "the bot token was revoked; reinstall the Slack app",
}


def claim_metadata(key: str) -> dict[str, Any]:
    return {"event_type": CLAIM_EVENT, "event_payload": {"claim": key}}


def claim_of(message: Any) -> str | None:
    """The claim key in a message's metadata, if it is one of our claimed posts."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != CLAIM_EVENT:
        return None
    payload = metadata.get("event_payload")
    claim = payload.get("claim") if isinstance(payload, dict) else None
    return claim if isinstance(claim, str) else None


def api_base(url: str) -> str:
    """slack_sdk joins base and method with urljoin, which drops the last path segment
    unless the base ends in "/": "https://slack-gov.com/api" would become
    "https://slack-gov.com/chat.postMessage". Accept the host alone, with /api, or
    either with a trailing slash; give slack_sdk ".../api/"."""
    base = url.strip().rstrip("/")
    if not base.endswith("/api"):
        base += "/api"
    return base + "/"


class SlackAdapter:
    name = PLATFORM

    def __init__(self, settings: SlackConfig, clock: Clock, limits: PlatformLimits = SLACK) -> None:
        self.settings = settings
        self.limits = limits
        self._clock = clock
        self.edits = TokenBucket(clock)  # chat.update budget of the whole workspace
        self.cool_down = ChannelCoolDown(clock)  # channels Slack refuses posts to
        self.connect_timeout = CONNECT_TIMEOUT
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None
        self._poster: AsyncWebClient | None = None
        self._bolt: AsyncApp | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._bolt_server: AsyncSlackAppServer | None = None
        self.on_web_host = False  # Slack's HTTP endpoint is served by the bot's web host
        self.team_id = ""
        self.bot_user_id = ""
        self._bot_id = ""
        self._bot_name = self._team_name = ""

    @property
    def bolt(self) -> AsyncApp:
        """The bolt app (tests dispatch signed requests to it)."""
        if self._bolt is None:
            raise PlatformError("the Slack adapter is not started")
        return self._bolt

    @property
    def client(self) -> AsyncWebClient:
        if self._client is None:
            raise PlatformError("the Slack adapter is not started")
        return self._client

    @property
    def poster(self) -> AsyncWebClient:
        if self._poster is None:
            raise PlatformError("the Slack adapter is not started")
        return self._poster

    @property
    def http_port(self) -> int | None:
        """The port the HTTP transport listens on (None in Socket Mode)."""
        if self._runner is None:
            return None
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
        return None

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        settings = self.settings
        self._session = aiohttp.ClientSession()
        client_args: dict[str, Any] = {}
        if settings.api_base_url:
            client_args["base_url"] = api_base(settings.api_base_url)
        self._client = AsyncWebClient(
            token=settings.bot_token.get_secret_value(),
            session=self._session,
            logger=logging.getLogger("bot.adapters.slack.web"),
            **client_args,
        )
        # Posts go through a client that never resends by itself: slack_sdk's default
        # retry of a dropped connection would post a message Slack may already have
        # created a second time. A post in doubt is resolved with find_sent instead.
        self._poster = AsyncWebClient(
            token=settings.bot_token.get_secret_value(),
            session=self._session,
            logger=logging.getLogger("bot.adapters.slack.web"),
            retry_handlers=[],
            **client_args,
        )
        # bolt's client gets its token per request from _authorizer, which answers from
        # the identity checked once in _identify. (bolt's default single-team check calls
        # auth.test for every request that arrives before the first answer: a burst of
        # 500 clicks at start-up meant 500 auth.test calls.)
        bolt_client = AsyncWebClient(
            session=self._session, logger=logging.getLogger("bot.adapters.slack.web"), **client_args
        )
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
        self._bolt = AsyncApp(
            name="engagebot",
            client=bolt_client,
            authorize=self._authorizer(),
            signing_secret=secret,
            logger=logging.getLogger("bot.adapters.slack.bolt"),
        )
        staff = StaffDirectory(
            self._client, settings.staff_users, settings.staff_groups, self._clock
        )
        Inbound(sink, staff, self._clock, self._ephemeral).register(self._bolt)
        try:
            await self._identify()
            if settings.mode == "socket":
                await self._connect_socket()
            elif not self.on_web_host:
                await self._serve_http()
        except BaseException:
            await self.stop()  # no half-open sockets or sessions left behind
            raise
        details = {
            "user": self._bot_name or self.bot_user_id,
            "user_id": self.bot_user_id,
            "team": self._team_name or self.team_id,
            "team_id": self.team_id,
            "mode": settings.mode,
        }
        await sink.handle(AdapterReady(PLATFORM, details))

    @property
    def connected(self) -> bool:
        """Identified and listening (Socket Mode reconnects by itself: slack_sdk's client
        says so only asynchronously, so a dropped socket shows here once it gives up)."""
        return self._bolt is not None and (
            self._socket is not None or self._runner is not None or self.on_web_host
        )

    async def started(self) -> None:
        pass

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _identify(self) -> None:
        try:
            auth = await paced(self.client.auth_test, "auth.test", clock=self._clock)
        except SlackApiError as error:
            raise PlatformError(
                f"Slack refused the bot token ({error_code(error) or 'no answer'}); check "
                "platforms.slack.bot_token (the xoxb- token of your Slack app)"
            ) from None
        except aiohttp.ClientError as error:
            raise PlatformError(f"cannot reach Slack: {type(error).__name__}") from None
        self.team_id = str(auth.get("team_id") or "")
        self.bot_user_id = str(auth.get("user_id") or "")
        self._bot_id = str(auth.get("bot_id") or "")
        self._bot_name = str(auth.get("user") or "")  # for the start-up log line
        self._team_name = str(auth.get("team") or "")

    def _authorizer(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """bolt's authorize hook: one workspace, one bot token, identity known. (A plain
        function: bolt injects arguments by name and would take `self` for one.)"""

        async def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id or self.team_id,
                bot_user_id=self.bot_user_id,
                bot_id=self._bot_id,
                bot_token=self.settings.bot_token.get_secret_value(),
                user_id=user_id,
            )

        return authorize

    async def _connect_socket(self) -> None:
        token = self.settings.app_token
        if token is None:
            raise PlatformError("platforms.slack.app_token is needed for mode: socket")
        self._socket = AsyncSocketModeHandler(
            self.bolt, app_token=token.get_secret_value(), web_client=self.client
        )
        try:
            await asyncio.wait_for(self._socket.connect_async(), self.connect_timeout)  # type: ignore[no-untyped-call]
        except TimeoutError:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
            raise PlatformError(
                f"could not open a Slack Socket Mode connection in {self.connect_timeout:.0f} s; "
                "check platforms.slack.app_token (an xapp- token with connections:write)"
            ) from None

    async def _serve_http(self) -> None:
        settings = self.settings
        self._runner = web.AppRunner(self.web_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise PlatformError(
                f"cannot listen for Slack on {settings.host}:{settings.port}: {error.strerror}"
            ) from None
        log.info("listening for Slack on %s:%s%s", settings.host, self.http_port, settings.path)

    def http_endpoint(self) -> HttpEndpoint | None:
        """In mode: http, Slack's endpoint as one handler (signature guard, then bolt) for
        the bot's web host to serve at settings.path, on its one port; call
        serve_on_web_host() before start() so the adapter opens no server of its own."""
        if self.settings.mode != "http":
            return None
        settings = self.settings
        guard = (
            slack_request_guard(settings.signing_secret.get_secret_value(), self._clock)
            if settings.signing_secret is not None
            else None
        )

        async def handle(request: web.Request) -> web.StreamResponse:
            if self._bolt is None:  # between the web host starting and Slack connecting
                return web.Response(status=503, text="starting")
            server = self._bolt_server or self.bolt.server(path=settings.path)
            self._bolt_server = server
            if guard is None:
                return await server.handle_post_requests(request)
            return await guard(request, server.handle_post_requests)

        return HttpEndpoint(settings.path, handle)

    def serve_on_web_host(self) -> None:
        self.on_web_host = True

    def web_app(self) -> web.Application:
        """bolt's aiohttp application for the HTTP transport, behind the signature guard
        (a mountable sub-application: it serves settings.path)."""
        settings = self.settings
        app = self.bolt.web_app(path=settings.path, port=settings.port)
        if settings.signing_secret is not None:
            secret = settings.signing_secret.get_secret_value()
            app.middlewares.append(slack_request_guard(secret, self._clock))
        return app

    # -- outgoing -----------------------------------------------------------------------

    async def send(self, channel: ChannelRef, content: Content, *, key: str = "") -> MessageRef:
        """With a key: carried in the message's metadata, where find_sent reads it back
        (Slack has no idempotent post: a second send with the key is a second post)."""
        self.cool_down.check(channel.id)  # refused for good a moment ago: do not ask again
        text, layout = blocks.render(content)
        extra: dict[str, Any] = {"metadata": claim_metadata(key)} if key else {}
        try:
            response = await paced(
                lambda: self.poster.chat_postMessage(
                    channel=channel.id,
                    text=text,
                    blocks=layout,
                    unfurl_links=False,
                    unfurl_media=False,
                    **extra,
                ),
                "chat.postMessage",
                clock=self._clock,
            )
        except SlackApiError as error:
            self.cool_down.failed(channel.id, error_code(error))
            raise
        except (aiohttp.ClientError, TimeoutError) as error:
            # Slack may have posted it before the answer was lost: the claim stays open
            # and is resolved with find_sent.
            raise PlatformError(
                f"no answer from Slack for a post in {channel.id} ({type(error).__name__}); "
                "it may have been posted"
            ) from error
        self.cool_down.succeeded(channel.id)
        message = MessageRef(channel, str(response["ts"]))
        images = blocks.local_images(content)
        if images:
            # Local files have no public URL: they go into the message's thread.
            try:
                await upload_to_thread(self.client, message, images)
            except Exception:
                log.exception("could not upload the images for %s", message)
        return message

    async def find_sent(self, channel: ChannelRef, key: str, since: datetime) -> MessageRef | None:
        """Our message whose metadata carries the key, among the channel's messages since
        `since` (less CLOCK_SKEW), newest first, at most HISTORY_PAGES pages."""
        oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            page = await self._history(channel, oldest, cursor)
            for message in page.get("messages") or []:
                if self._ours(message) and claim_of(message) == key:
                    return MessageRef(channel, str(message["ts"]))
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not page.get("has_more") or not cursor:
                return None
        raise PlatformError(
            f"Slack channel {channel.id} has more than {HISTORY_PAGES * HISTORY_PAGE} "
            "messages since the post was tried: cannot tell whether it landed"
        )

    async def _history(self, channel: ChannelRef, oldest: str, cursor: str | None) -> Any:
        try:
            return await paced(
                lambda: self.client.conversations_history(
                    channel=channel.id,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                ),
                "conversations.history",
            )
        except SlackApiError as error:
            code = error_code(error) or "no answer"
            fix = HISTORY_FIXES.get(code, "")
            if code == "missing_scope":
                needed = str(error.response.get("needed") or "channels:history")
                fix = f"add the {needed} scope to the Slack app and reinstall it"
            raise PlatformError(
                f"cannot read Slack channel {channel.id} to check whether a post landed "
                f"({code})" + (f": {fix}" if fix else "")
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise PlatformError(
                f"cannot read Slack channel {channel.id} to check whether a post landed "
                f"({type(error).__name__})"
            ) from None

    def _ours(self, message: Any) -> bool:
        if self._bot_id and message.get("bot_id") == self._bot_id:
            return True
        return bool(self.bot_user_id) and message.get("user") == self.bot_user_id

    async def edit(self, message: MessageRef, content: Content) -> None:
        text, layout = blocks.render(content)
        try:
            await paced(
                lambda: self.client.chat_update(
                    channel=message.channel.id, ts=message.id, text=text, blocks=layout
                ),
                "chat.update",
                bucket=self.edits,
                clock=self._clock,
                transient_tries=TRANSIENT_TRIES,  # an edit sent twice does no harm
            )
        except SlackApiError as error:
            code = error_code(error)
            if code not in EDIT_GONE:
                raise
            # Deleted by someone, or its channel is gone: there is nothing left to edit.
            log.info("Slack message %s can no longer be edited (%s)", message, code)

    async def _ephemeral(
        self, channel: str, user: str, text: str, response_url: str | None
    ) -> None:
        """Only `user` sees it. The interaction's response_url first: it costs nothing of
        the workspace's chat.postEphemeral budget, which a burst of clicks would exhaust
        (429s, late confirmations). chat.postEphemeral when there is none or it fails."""
        if response_url and await self._respond(response_url, text):
            return
        if channel:
            try:
                await paced(
                    lambda: self.client.chat_postEphemeral(channel=channel, user=user, text=text),
                    "chat.postEphemeral",
                    clock=self._clock,
                )
                return
            except SlackApiError as error:
                log.info("ephemeral reply failed (%s)", error_code(error))
            except (aiohttp.ClientError, TimeoutError) as error:
                log.info("ephemeral reply failed (%s)", type(error).__name__)
        log.warning("a private reply to a Slack user could not be delivered")

    async def _respond(self, response_url: str, text: str) -> bool:
        """POST an ephemeral message to a response_url (what bolt's `respond` does, but on
        the adapter's session: no new HTTP session per click). False when it failed."""
        if self._session is None or not response_url.startswith(("https://", "http://")):
            return False
        body = {"text": text, "response_type": "ephemeral", "replace_original": False}
        try:
            async with self._session.post(
                response_url, json=body, timeout=RESPONSE_URL_TIMEOUT
            ) as response:
                if response.status < 300:
                    return True
                reason = (await response.text())[:100]
                log.info("response_url refused a reply (HTTP %s %s)", response.status, reason)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.info("response_url unreachable (%s)", type(error).__name__)
        return False
