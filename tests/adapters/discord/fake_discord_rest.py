"""FakeDiscord's REST API: the endpoints discord.py 2.7.1 calls, answered like Discord
answers them (see fake_discord.py for how to use the fake)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.adapters.discord.discord_payloads import (
    EPHEMERAL,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
    FakeGuild,
    FakeUser,
    Invalid,
    Json,
    iso,
    message,
    snowflake,
    validate_message,
    walk,
)

APP_ID = 700000000000000001


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


async def _until_the_client_is_gone(request: web.Request) -> None:
    """Hold a request unanswered until its client disconnects (aiohttp does not cancel
    handlers then, and would hold the fake's shutdown for a minute)."""
    while request.transport is not None and not request.transport.is_closing():
        await asyncio.sleep(0.05)


def _token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth.removeprefix("Bot ") if auth.startswith("Bot ") else None


def error(status: int, code: int, text: str) -> web.Response:
    return json_response({"message": text, "code": code}, status)


@dataclass
class Call:
    method: str
    path: str
    body: Any
    files: dict[str, bytes]
    at: float  # time.monotonic()
    status: int = 200
    token: str | None = None  # whose call (FakeDiscord.process_token)


@dataclass
class FakeInteraction:
    id: int
    token: str
    kind: int  # 2 command, 3 component
    created: float
    acked: float | None = None  # when the interaction callback arrived (monotonic)
    responses: list[Json] = field(default_factory=list)  # callback bodies
    original_edits: list[Json] = field(default_factory=list)
    followups: list[Json] = field(default_factory=list)
    _answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def reply(self) -> str:
        """The text the user finally sees."""
        later = self.original_edits + self.followups
        if later:
            return str(later[-1].get("content", ""))
        first = self.responses[0] if self.responses else {}
        return str((first.get("data") or {}).get("content", ""))

    @property
    def ephemeral(self) -> bool:
        """Only the clicking user sees the answer (flags 64 on the message they see)."""
        if not self.responses:
            return False
        if self.followups and not self.deferred:
            return bool(self.followups[-1].get("flags", 0) & EPHEMERAL)
        return bool((self.responses[0].get("data") or {}).get("flags", 0) & EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return bool(self.responses) and self.responses[0]["type"] == 5

    async def answered(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._answered.wait(), timeout)


Handler = Callable[[web.Request, re.Match[str]], Awaitable[web.Response]]


class FakeRest:
    """REST handlers over the fake's state (declared here, set up by FakeDiscord)."""

    token: str
    tokens: list[str]
    port: int
    bot: FakeUser
    guild: FakeGuild
    guilds: list[FakeGuild]  # the bot's servers; guild is the first
    recommended_shards: int
    channel_id: int
    message_age: float
    response_window: float
    calls: list[Call]
    unknown: list[str]
    messages: dict[int, Json]
    attachments: dict[int, dict[str, Json]]
    max_request_bytes: int
    threads: dict[int, Json]
    deleted: set[int]
    commands: dict[int | None, list[Json]]
    interactions: dict[int, FakeInteraction]
    edit_script: deque[tuple[str, float]]
    nonce_window: float
    nonces: dict[tuple[str, str], tuple[int, float]]
    post_script: deque[str]

    async def dispatch(self, event: str, data: Json) -> None:
        raise NotImplementedError

    def guild_of(self, channel_id: int) -> FakeGuild:
        """The server a channel (or a thread in it) belongs to."""
        thread = self.threads.get(channel_id)
        if thread is not None:
            channel_id = int(thread["parent_id"])
        return next((g for g in self.guilds if channel_id in g.channels), self.guild)

    def rest_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        return [
            ("GET", re.compile(r"/gateway/bot"), self._gateway_bot),
            ("GET", re.compile(r"/users/@me"), self._me),
            ("GET", re.compile(r"/oauth2/applications/@me"), self._application),
            ("GET", re.compile(r"/channels/(\d+)"), self._get_channel),
            ("GET", re.compile(r"/channels/(\d+)/messages"), self._history),
            ("GET", re.compile(r"/channels/(\d+)/messages/(\d+)"), self._get_message),
            ("POST", re.compile(r"/channels/(\d+)/messages"), self._post_message),
            ("PATCH", re.compile(r"/channels/(\d+)/messages/(\d+)"), self._edit_message),
            ("POST", re.compile(r"/channels/(\d+)/messages/(\d+)/threads"), self._thread),
            ("POST", re.compile(r"/interactions/(\d+)/([^/]+)/callback"), self._callback),
            ("PATCH", re.compile(r"/webhooks/(\d+)/([^/]+)/messages/@original"), self._original),
            ("POST", re.compile(r"/webhooks/(\d+)/([^/]+)"), self._followup),
            ("PUT", re.compile(r"/applications/(\d+)/guilds/(\d+)/commands"), self._sync),
            ("PUT", re.compile(r"/applications/(\d+)/commands"), self._sync),
        ]

    # -- REST -----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path
        if not path.startswith("/api/v10/"):
            return self._unknown(request)
        route = path[len("/api/v10") :]
        for method, pattern, handler in self.rest_routes():
            match = pattern.fullmatch(route)
            if match and method == request.method:
                webhook = route.startswith(("/interactions/", "/webhooks/"))
                if not webhook and _token(request) not in self.tokens:
                    self.calls.append(Call(request.method, route, None, {}, time.monotonic(), 401))
                    return error(401, 0, "401: Unauthorized")
                return await handler(request, match)
        return self._unknown(request)

    def _unknown(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path}")
        return error(404, 0, "404: Not Found")

    async def _read(self, request: web.Request) -> tuple[Json, dict[str, bytes]]:
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            body: Json = {}
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files[part.filename or ""] = await part.read()  # type: ignore[union-attr]
            return body, files
        if request.can_read_body:
            return await request.json(), files
        return {}, files

    def _record(
        self, request: web.Request, body: Any, files: dict[str, bytes], status: int
    ) -> None:
        path = request.path[len("/api/v10") :]
        call = Call(request.method, path, body, files, time.monotonic(), status, _token(request))
        self.calls.append(call)

    async def _me(self, request: web.Request, match: re.Match[str]) -> web.Response:
        self._record(request, None, {}, 200)
        return json_response(
            {**self.bot.user(), "verified": True, "mfa_enabled": False, "flags": 0}
        )

    async def _application(self, request: web.Request, match: re.Match[str]) -> web.Response:
        self._record(request, None, {}, 200)
        return json_response(
            {
                "id": str(APP_ID),
                "name": "engagebot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": FakeUser(1, "merchant").user(),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "interactions_endpoint_url": None,
            }
        )

    async def _gateway_bot(self, request: web.Request, match: re.Match[str]) -> web.Response:
        """Get Gateway Bot: where to connect and how many shards Discord recommends."""
        self._record(request, None, {}, 200)
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return json_response(
            {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": self.recommended_shards,
                "session_start_limit": limit,
            }
        )

    def _channel(self, channel_id: int) -> Json | None:
        guild = self.guild_of(channel_id)
        if channel_id in guild.channels:
            return guild.channel(channel_id)
        return self.threads.get(channel_id)

    async def _get_channel(self, request: web.Request, match: re.Match[str]) -> web.Response:
        channel = self._channel(int(match[1]))
        self._record(request, None, {}, 200 if channel else 404)
        return json_response(channel) if channel else error(404, 10003, "Unknown Channel")

    async def _get_message(self, request: web.Request, match: re.Match[str]) -> web.Response:
        stored = self.messages.get(int(match[2]))
        found = stored is not None and stored["channel_id"] == match[1]
        self._record(request, None, {}, 200 if found else 404)
        if stored is None or not found or int(match[2]) in self.deleted:
            return error(404, 10008, "Unknown Message")
        return json_response({k: v for k, v in stored.items() if k != "guild_id"})

    async def _post_message(self, request: web.Request, match: re.Match[str]) -> web.Response:
        channel_id = int(match[1])
        body, files = await self._read(request)
        size = len(json.dumps(body)) + sum(map(len, files.values()))
        if size > self.max_request_bytes:
            self._record(request, body, files, 413)
            return error(413, 40005, "Request entity too large")
        if self._channel(channel_id) is None:
            self._record(request, body, files, 404)
            return error(404, 10003, "Unknown Channel")
        try:
            validate_message(body, set(files))
        except Invalid as problem:
            self._record(request, body, files, 400)
            return error(400, 50035, f"Invalid Form Body: {problem}")
        if self.post_script and self.post_script[0] == "hang-before":
            self.post_script.popleft()  # never answered, nothing created: the bot is
            self._record(request, body, files, 0)  # killed while waiting
            await _until_the_client_is_gone(request)
            return web.Response(status=500)  # never read: the client is gone
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: the same author reusing a nonce within a few minutes gets the
            # message it created back, and no new message is created.
            seen = self.nonces.get((str(self.bot.id), str(nonce)))
            if seen is not None and time.monotonic() - seen[1] <= self.nonce_window:
                self._record(request, body, files, 200)
                return json_response({**self._shown(self.messages[seen[0]]), "nonce": nonce})
        self._record(request, body, files, 200)
        message_id = snowflake(time.time() - self.message_age)
        if nonce is not None:
            self.nonces[(str(self.bot.id), str(nonce))] = (message_id, time.monotonic())
        attached = {name: self._attachment(message_id, name, blob) for name, blob in files.items()}
        self.attachments[message_id] = attached
        components = self._stored_components(body.get("components") or [], attached)
        data = message(
            message_id,
            channel_id,
            self.bot.user(),
            components=components,
            attachments=self._unreferenced(components, attached),
            flags=body.get("flags", 0),
        )
        self.messages[message_id] = {**data, "guild_id": str(self.guild_of(channel_id).id)}
        # The nonce comes back with the answer and MESSAGE_CREATE, never in history.
        await self.dispatch("MESSAGE_CREATE", {**self.messages[message_id], "nonce": nonce})
        if self.post_script:  # the message exists; the bot never learns its id
            return await self._lose_answer(request, self.post_script.popleft())
        return json_response({**data, "nonce": nonce})

    async def _lose_answer(self, request: web.Request, how: str) -> web.Response:
        if how == "hang-after":  # created; the answer never comes (the bot is killed)
            await _until_the_client_is_gone(request)
        if how == "500":
            return web.Response(status=500, text="500 Internal Server Error")
        assert how in ("drop", "hang-after"), how
        if request.transport is not None:
            request.transport.abort()  # the connection drops before any answer
        return web.Response(status=500)  # never written: the connection is gone

    async def _history(self, request: web.Request, match: re.Match[str]) -> web.Response:
        """Get Channel Messages: newest first; `before`, `after`, `around` exclusive of
        each other; without Read Message History an empty list (not an error), without
        View Channel 403 Missing Access."""
        channel_id = int(match[1])
        query = request.query
        if self._channel(channel_id) is None:
            self._record(request, dict(query), {}, 404)
            return error(404, 10003, "Unknown Channel")
        denied = self.guild_of(channel_id).denied(channel_id, self.bot.id)
        if denied & VIEW_CHANNEL:
            self._record(request, dict(query), {}, 403)
            return error(403, 50001, "Missing Access")
        anchors = [name for name in ("before", "after", "around") if name in query]
        limit = int(query.get("limit", "50"))
        if len(anchors) > 1 or not 1 <= limit <= 100:
            self._record(request, dict(query), {}, 400)
            return error(400, 50035, "Invalid Form Body")
        self._record(request, dict(query), {}, 200)
        ids = sorted(
            mid
            for mid, stored in self.messages.items()
            if stored["channel_id"] == str(channel_id) and mid not in self.deleted
        )
        if denied & READ_MESSAGE_HISTORY:
            ids = []
        elif "after" in query:
            ids = [mid for mid in ids if mid > int(query["after"])][:limit]
        elif "before" in query:
            ids = [mid for mid in ids if mid < int(query["before"])][-limit:]
        elif "around" in query:
            around = int(query["around"])
            older = [mid for mid in ids if mid < around][-(limit // 2) :] if limit > 1 else []
            newer = [mid for mid in ids if mid >= around]
            ids = older + newer[: limit - len(older)]
        else:
            ids = ids[-limit:]
        return json_response([self._shown(self.messages[mid]) for mid in reversed(ids)])

    @staticmethod
    def _shown(stored: Json) -> Json:
        """A stored message as the REST API returns it (no gateway-only fields)."""
        return {k: v for k, v in stored.items() if k not in ("guild_id", "member")}

    async def _edit_message(self, request: web.Request, match: re.Match[str]) -> web.Response:
        message_id = int(match[2])
        body, files = await self._read(request)
        if self.edit_script:
            kind, retry_after = self.edit_script.popleft()
            self._record(request, body, files, 429)
            # Discord's edge adds Via to every API response; discord.py takes a 429
            # without it for a Cloudflare ban.
            headers = {
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",
            }
            if kind == "429":
                data = {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": False,
                }
                return json_response(data, 429, headers)
            data = {
                "message": "Maximum number of edits to messages older than 1 hour reached.",
                "code": 30046,
                "retry_after": retry_after,
            }
            return json_response(data, 429, headers)
        stored = self.messages.get(message_id)
        if stored is None or stored["channel_id"] != match[1] or message_id in self.deleted:
            self._record(request, body, files, 404)
            return error(404, 10008, "Unknown Message")
        try:
            attached = self._edited_attachments(message_id, body, files)
            # attachment:// names what this request uploads or keeps by id, nothing else
            validate_message(body, set(attached) if "attachments" in body else set(files))
        except Invalid as problem:
            self._record(request, body, files, 400)
            return error(400, 50035, f"Invalid Form Body: {problem}")
        self._record(request, body, files, 200)
        if "attachments" in body:  # Edit Message: exactly these stay, the rest go
            self.attachments[message_id] = attached
        else:  # new files are appended
            for name, blob in files.items():
                self.attachments[message_id][name] = self._attachment(message_id, name, blob)
        if "components" in body:
            current = self.attachments.get(message_id, {})
            stored["components"] = self._stored_components(body["components"], current)
        if "flags" in body:
            stored["flags"] = body["flags"]
        stored["edited_timestamp"] = iso()
        await self.dispatch("MESSAGE_UPDATE", stored)
        return json_response({k: v for k, v in stored.items() if k != "guild_id"})

    def _edited_attachments(
        self, message_id: int, body: Json, files: dict[str, bytes]
    ) -> dict[str, Json]:
        """The attachments after an edit that lists them: kept ones by id, new uploads."""
        have = {a["id"]: a for a in self.attachments.get(message_id, {}).values()}
        result: dict[str, Json] = {}
        for item in body.get("attachments") or []:
            if str(item.get("id")) in have:
                kept = have[str(item["id"])]
                result[kept["filename"]] = kept
            elif item.get("filename") in files:
                name = item["filename"]
                result[name] = self._attachment(message_id, name, files[name])
            else:
                raise Invalid(f"attachments: unknown attachment {item.get('id')!r}")
        return result

    async def _thread(self, request: web.Request, match: re.Match[str]) -> web.Response:
        channel_id, message_id = int(match[1]), int(match[2])
        body, _ = await self._read(request)
        if message_id not in self.messages or message_id in self.threads:
            self._record(request, body, {}, 400)
            return error(400, 160004, "A thread has already been created for this message")
        self._record(request, body, {}, 201)
        thread = {
            "id": str(message_id),  # Discord: a thread from a message has its id
            "type": PUBLIC_THREAD,
            "guild_id": str(self.guild_of(channel_id).id),
            "parent_id": str(channel_id),
            "name": body["name"],
            "owner_id": str(self.bot.id),
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": iso(),
                "locked": False,
            },
        }
        self.threads[message_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return json_response(thread, 201)

    def _interaction(self, token: str) -> FakeInteraction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    async def _callback(self, request: web.Request, match: re.Match[str]) -> web.Response:
        body, files = await self._read(request)
        interaction = self.interactions.get(int(match[1]))
        waited = time.monotonic() - interaction.created if interaction else 0.0
        late = waited > self.response_window
        if interaction is None or interaction.token != match[2] or late:
            self._record(request, body, files, 404)
            return error(404, 10062, "Unknown interaction")
        if interaction.responses:
            self._record(request, body, files, 400)
            return error(400, 40060, "Interaction has already been acknowledged.")
        self._record(request, body, files, 200)
        interaction.acked = time.monotonic()
        interaction.responses.append(body)
        flags = (body.get("data") or {}).get("flags", 0)
        if body["type"] == 4:
            interaction._answered.set()
        resource: Json = {"type": body["type"]}
        response_id = None
        if body["type"] in (4, 5):
            response_id = snowflake()
            resource["message"] = self._response_message(response_id, body.get("data") or {})
        return json_response(
            {
                "interaction": {
                    "id": str(interaction.id),
                    "type": interaction.kind,
                    "response_message_id": str(response_id) if response_id else None,
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": bool(flags & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    async def _original(self, request: web.Request, match: re.Match[str]) -> web.Response:
        return await self._webhook_message(request, match, followup=False)

    async def _followup(self, request: web.Request, match: re.Match[str]) -> web.Response:
        return await self._webhook_message(request, match, followup=True)

    async def _webhook_message(
        self, request: web.Request, match: re.Match[str], *, followup: bool
    ) -> web.Response:
        """Edit of the original response or a followup: only after a first response."""
        body, files = await self._read(request)
        interaction = self._interaction(match[2])
        if interaction is None or not interaction.responses:
            self._record(request, body, files, 404)
            return error(404, 10015, "Unknown Webhook")
        self._record(request, body, files, 200)
        (interaction.followups if followup else interaction.original_edits).append(body)
        interaction._answered.set()
        return json_response(self._response_message(snowflake(), body))

    async def _sync(self, request: web.Request, match: re.Match[str]) -> web.Response:
        body, _ = await self._read(request)
        self._record(request, body, {}, 200)
        guild = int(match[2]) if match.lastindex and match.lastindex >= 2 else None
        synced = [
            {
                **command,
                "id": str(snowflake()),
                "application_id": str(APP_ID),
                "version": str(snowflake()),
                **({"guild_id": str(guild)} if guild else {}),
            }
            for command in body
        ]
        self.commands[guild] = synced
        return json_response(synced)

    # -- helpers --------------------------------------------------------------------------

    def _response_message(self, message_id: int, data: Json) -> Json:
        return message(
            message_id,
            self.channel_id,
            self.bot.user(),
            content=data.get("content") or "",
            flags=data.get("flags") or 0,
            kind=20,
        )

    def _attachment(self, message_id: int, name: str, blob: bytes) -> Json:
        attachment_id = snowflake()
        url = f"https://cdn.discordapp.com/attachments/{message_id}/{attachment_id}/{name}"
        return {
            "id": str(attachment_id),
            "filename": name,
            "size": len(blob),
            "url": url + "?ex=0&is=0&hm=0",  # signed, expiring CDN links
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": "image/png",
        }

    def _stored_components(self, components: list[Json], attached: dict[str, Json]) -> list[Json]:
        """As Discord stores them: every component gets a numeric id, attachment://
        references become the file's CDN URL with its attachment_id."""
        stored: list[Json] = json.loads(json.dumps(components))
        # Discord numbers components without an id in order, skipping the ids given.
        taken = {c["id"] for c in walk(stored) if "id" in c}
        numbers = (n for n in itertools.count(1) if n not in taken)
        for component in walk(stored):
            if "id" not in component:
                component["id"] = next(numbers)
            items = [component] if component["type"] == 11 else component.get("items", [])
            for item in items:
                url = item["media"]["url"]
                name = url[len("attachment://") :] if url.startswith("attachment://") else ""
                if name in attached:
                    file = attached[name]
                    item["media"] = {
                        "url": file["url"],
                        "proxy_url": file["proxy_url"],
                        "content_type": file["content_type"],
                        "attachment_id": file["id"],
                        "width": 64,
                        "height": 64,
                        "flags": 0,
                        "loading_state": 2,
                    }
        return stored

    @staticmethod
    def _unreferenced(components: list[Json], attached: dict[str, Json]) -> list[Json]:
        """A message's `attachments` leaves out files shown by its components
        (discord-api-docs #8279)."""
        shown = {
            str(item["media"].get("attachment_id"))
            for c in walk(components)
            for item in ([c] if c["type"] == 11 else c.get("items", []))
        }
        return [a for a in attached.values() if a["id"] not in shown]
