"""A local fake of Discord — REST API and gateway — for running the real discord.py.

Usage (any test module; it only needs aiohttp):

    from tests.adapters.discord.fake_discord import FakeDiscord

    async with FakeDiscord() as fake:
        # platforms.discord in the config under test:
        #   token: ${DISCORD_TOKEN}            (env: DISCORD_TOKEN=fake.token)
        #   guilds: [fake.guild.id]  staff_roles: [Staff]
        #   api_base_url: fake.api_url   gateway_url: fake.gateway_url
        # channels.<name>.discord: fake.channel_id
        ...start the App...
        poll = fake.bot_messages(fake.channel_id)[0]
        click = await fake.click(poll, "v1:vote:helmets:aero", fake.customer(1))
        await click.answered()                 # the ephemeral reply arrived
        assert click.ephemeral and click.reply.startswith("✅")

It listens on 127.0.0.1 (random port), records every call (`calls`), answers anything it
does not know with 404 and lists it in `unknown` (fixtures fail the test on it). It
implements what discord.py 2.7.1 uses: login (`/users/@me`,
`/oauth2/applications/@me`), channel fetch, message post (JSON or multipart with files)
and edit, thread from message, interaction callback / original-response edit /
follow-up, command sync; and a gateway with HELLO, heartbeat ACK, IDENTIFY→READY (+
GUILD_CREATE), RESUME→replay+RESUMED, dispatching INTERACTION_CREATE, MESSAGE_CREATE,
MESSAGE_UPDATE and THREAD_CREATE. Like Discord it refuses: message bodies that break
the Components V2 rules (400, 50035), initial interaction responses after 3 s (10062),
a second acknowledgement (40060), requests over 25 MiB (413), and edits whose
`attachment://` names are neither uploaded with the edit nor kept by id in its
`attachments` list. Uploaded files come back as Discord returns them: referenced from the
components (CDN URL + `attachment_id`), not in `attachments`. READY names a foreign
`resume_gateway_url`, so a client that resumes there fails the offline guard. Edits can
be scripted to fail (429 with Retry-After and `Via`, 30046) and messages can be posted
back-dated to exercise the one-hour edit budget."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from tests.adapters.discord.discord_payloads import (
    IS_COMPONENTS_V2,
    FakeGuild,
    FakeUser,
    Json,
    message,
    snowflake,
    walk,
)
from tests.adapters.discord.fake_discord_rest import (
    APP_ID,
    Call,
    FakeInteraction,
    FakeRest,
)

RESPONSE_WINDOW = 3.0  # seconds to acknowledge an interaction
NONCE_WINDOW = 180.0  # seconds a nonce keeps returning the message it created


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a server's events go to (Discord API docs, "Sharding")."""
    return (guild_id >> 22) % shard_count


@dataclass
class _Session:
    id: str
    shard: tuple[int, int] | None = None  # [shard_id, num_shards] from IDENTIFY
    peer_port: int = 0  # the client's end of the connection that identified
    seq: int = 0
    log: list[Json] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    token: str = ""  # the token it identified with
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def serves(self, guild_id: int) -> bool:
        return self.shard is None or shard_of(guild_id, self.shard[1]) == self.shard[0]


class FakeDiscord(FakeRest):
    def __init__(
        self,
        *,
        token: str = "ZmFrZS1kaXNjb3Jk.ZmFrZQ.ZmFrZS1kaXNjb3JkLXRva2Vu",  # shaped like a real one
        message_age: float = 0.0,
        response_window: float = RESPONSE_WINDOW,
        nonce_window: float = NONCE_WINDOW,
    ) -> None:
        self.token = token
        self.tokens = [token]  # every token accepted as this bot's (see process_token)
        self.message_age = message_age  # seconds to back-date the bot's new messages
        self.response_window = response_window
        self.bot = FakeUser(APP_ID + 1, "engagebot", bot=True)
        self.staff_role = 800000000000000002
        self.guild = FakeGuild(
            id=800000000000000001,
            name="Velo Corner",
            channels={900000000000000001: "community", 900000000000000002: "general"},
            roles={800000000000000001: "@everyone", self.staff_role: "Staff"},
        )
        self.channel_id = 900000000000000001
        self.guilds = [self.guild]
        self.recommended_shards = 1  # what GET /gateway/bot answers
        self.identified_shards: list[tuple[int, int] | None] = []
        # interaction id -> (shard, client port) of the connection it was sent on
        self.delivered_on: dict[int, tuple[tuple[int, int] | None, int]] = {}
        self.gateway_down = False  # True: new gateway connections get 503 (an outage)
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self.messages: dict[int, Json] = {}
        self.attachments: dict[int, dict[str, Json]] = {}  # message -> name -> attachment
        self.threads: dict[int, Json] = {}
        self.deleted: set[int] = set()  # messages a moderator deleted: edits get 10008
        self.commands: dict[int | None, list[Json]] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.edit_script: deque[tuple[str, float]] = deque()
        # Discord honours a repeated nonce for "a few minutes"; 0 plays a later retry.
        self.nonce_window = nonce_window
        self.nonces: dict[tuple[str, str], tuple[int, float]] = {}  # (author, nonce)
        self.post_script: deque[str] = deque()
        self.gateway_paths: list[str] = []
        self.identifies = 0
        self.intents: list[int] = []
        self.resumes = 0
        # What READY names for resuming: Discord's own host, as a proxy passes it on.
        self.resume_gateway_url = "wss://gateway-us-east1-b.discord.gg"
        self.max_request_bytes = 25 * 1024 * 1024  # Create Message: 413 over this
        self._sessions: dict[str, _Session] = {}
        self._current: _Session | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for session in self._sessions.values():
            if session.ws is not None:
                await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- what tests look at -----------------------------------------------------------

    def add_guild(self, shard: int, shard_count: int) -> FakeGuild:
        """Another server of the bot, whose id falls on this shard; one text channel
        whose id is the server's id + 1."""
        guild_id = 800000000000000100 + len(self.guilds) * 4096 * shard_count
        while shard_of(guild_id, shard_count) != shard:
            guild_id += 1 << 22
        guild = FakeGuild(
            id=guild_id,
            name=f"Velo Corner {len(self.guilds)}",
            channels={guild_id + 1: "community"},
            roles={guild_id: "@everyone", self.staff_role: "Staff"},
        )
        self.guilds.append(guild)
        return guild

    def customer(self, n: int, *, staff: bool = False) -> FakeUser:
        return FakeUser(100000000000000000 + n, f"customer{n}", [self.staff_role] if staff else [])

    def bot_messages(self, channel_id: int) -> list[int]:
        return [
            mid
            for mid, m in self.messages.items()
            if int(m["channel_id"]) == channel_id and m["author"]["id"] == str(self.bot.id)
        ]

    def posts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith("/messages")]

    def edits(self, message_id: int | None = None) -> list[Call]:
        suffix = f"/messages/{message_id}" if message_id else ""
        return [
            c
            for c in self.calls
            if c.method == "PATCH" and "/channels/" in c.path and c.path.endswith(suffix)
        ]

    def process_token(self, n: int) -> str:
        """Another token for the same bot, for the n-th of several bot processes: the
        fake serves it as the same bot and records it with each call (Call.token) and
        gateway session, so a test can tell which process made a call and send an
        event to one process (`via`). Discord gives a bot one token; nothing else differs."""
        token = f"{self.token}{n}"
        if token not in self.tokens:
            self.tokens.append(token)
        return token

    def connected(self) -> bool:
        session = self._current
        return session is not None and session.ws is not None and not session.ws.closed

    def sessions_of(self, guild_id: int) -> int:
        """How many live gateway connections receive this server's events (Discord:
        exactly one, the shard owning it)."""
        return sum(
            1
            for session in self._live_sessions()
            if session.serves(guild_id) and session.ws is not None and not session.ws.closed
        )

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), timeout)

    # -- driving the bot from the outside --------------------------------------------

    async def click(
        self, message_id: int, custom_id: str, user: FakeUser, via: str | None = None
    ) -> FakeInteraction:
        stored = self.messages[message_id]
        ids = [c.get("custom_id") for c in walk(stored["components"])]
        assert custom_id in ids, f"no button {custom_id!r} on message {message_id}"
        channel_id = int(stored["channel_id"])
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user, channel_id, {"message": stored}, via)

    async def command(
        self, sub: str, user: FakeUser, poll: str | None = None, channel_id: int | None = None
    ) -> FakeInteraction:
        guild = self.guild_of(channel_id or self.channel_id)
        synced = self.commands.get(guild.id) or self.commands.get(None) or []
        group = next(c for c in synced if c["name"] == "poll")
        options = [{"name": "poll", "type": 3, "value": poll}] if poll is not None else []
        data = {
            "id": group["id"],
            "name": "poll",
            "type": 1,
            "guild_id": str(guild.id),
            "options": [{"name": sub, "type": 1, "options": options}],
        }
        return await self._interact(2, data, user, channel_id or self.channel_id, {})

    async def user_message(
        self, channel_id: int, user: FakeUser, content: str = "", reply_to: int | None = None
    ) -> int:
        message_id = snowflake()
        reference = None
        if reply_to is not None:
            parent = int(self.messages[reply_to]["channel_id"])
            reference = {"type": 0, "message_id": str(reply_to), "channel_id": str(parent)}
        data = message(
            message_id,
            channel_id,
            user.user(),
            guild_id=self.guild_of(channel_id).id,
            content=content,
            kind=19 if reference else 0,
            reference=reference,
        )
        data["member"] = {k: v for k, v in user.member().items() if k != "user"}
        self.messages[message_id] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return message_id

    def seed_message(
        self,
        channel_id: int,
        components: list[Json],
        *,
        author: FakeUser | None = None,
        at: float | None = None,
    ) -> int:
        """A bot message as an earlier version of the bot may have left it (or another
        bot's: `author`), created `at` (unix seconds, default now)."""
        message_id = snowflake(at)
        self.messages[message_id] = message(
            message_id,
            channel_id,
            (author or self.bot).user(),
            guild_id=self.guild_of(channel_id).id,
            components=components,
            flags=IS_COMPONENTS_V2,
        )
        return message_id

    def lose_next_post_answers(self, *how: str) -> None:
        """The next posts are created, then answered "500" (discord.py retries it) or
        not at all: "drop" closes the connection, as a crash or network cut would;
        "hang-after" never answers, "hang-before" never answers and creates nothing
        (the moment a bot is killed in)."""
        self.post_script.extend(how)

    async def deny(self, channel_id: int, permissions: int) -> None:
        """An overwrite denying the bot these permission bits in the channel (a
        moderator editing the channel), announced with CHANNEL_UPDATE like Discord."""
        overwrite = {"id": str(self.bot.id), "type": 1, "allow": "0", "deny": str(permissions)}
        guild = self.guild_of(channel_id)
        guild.overwrites.setdefault(channel_id, []).append(overwrite)
        await self.dispatch("CHANNEL_UPDATE", guild.channel(channel_id))

    def fail_next_edits(self, *failures: tuple[str, float]) -> None:
        """("429", retry_after) or ("30046", retry_after) for the next PATCHes."""
        self.edit_script.extend(failures)

    async def drop_connection(self, shard: tuple[int, int] | None = None) -> None:
        """Close the gateway socket as a network blip would; the session stays resumable.
        shard: that shard's connection (default: the latest to connect)."""
        session = self._current
        if shard is not None:
            session = next(s for s in self._live_sessions() if s.shard == shard)
        assert session is not None and session.ws is not None
        ws, session.ws = session.ws, None
        await ws.close(code=4000, message=b"fake: connection dropped")

    async def dispatch(self, event: str, data: Json, via: str | None = None) -> None:
        """To the session of the shard owning the event's server (Discord sends a
        server's events on that shard only, and direct messages on shard 0); with `via`,
        to the latest open session identified with that token (one chosen process)."""
        session = self._receiver(int(data.get("guild_id") or 0), via)
        assert session is not None, "no gateway session yet"
        await self._send(session, {"op": 0, "t": event, "d": data})

    def _receiver(self, guild_id: int, via: str | None) -> _Session | None:
        if via is not None:
            return next(
                (s for s in reversed(self._sessions.values()) if s.token == via and s.ws), None
            )
        return self._owner(guild_id) or self._current

    def _live_sessions(self) -> list[_Session]:
        """The newest session of each shard (older ones were replaced by IDENTIFY)."""
        newest: dict[tuple[int, int] | None, _Session] = {}
        for session in self._sessions.values():
            newest[session.shard] = session
        return list(newest.values())

    def _owner(self, guild_id: int) -> _Session | None:
        owners = [s for s in self._live_sessions() if s.serves(guild_id)]
        # An open connection first: a stopped process's session keeps no server.
        owners.sort(key=lambda s: s.ws is not None and not s.ws.closed)
        return owners[-1] if owners else None

    async def _interact(
        self,
        kind: int,
        data: Json,
        user: FakeUser,
        channel_id: int,
        extra: Json,
        via: str | None = None,
    ) -> FakeInteraction:
        interaction = FakeInteraction(
            id=snowflake(), token=uuid.uuid4().hex, kind=kind, created=time.monotonic()
        )
        self.interactions[interaction.id] = interaction
        guild = self.guild_of(channel_id)
        channel = self.threads.get(channel_id) or guild.channel(channel_id)
        payload = {
            "id": str(interaction.id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": interaction.token,
            "version": 1,
            "guild_id": str(guild.id),
            "channel_id": str(channel_id),
            "channel": channel,
            "member": user.member(),
            "data": data,
            "locale": user.locale,
            "guild_locale": "en-US",
            "app_permissions": "2147483647",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            **extra,
        }
        receiver = self._receiver(guild.id, via)
        if receiver is not None:
            self.delivered_on[interaction.id] = (receiver.shard, receiver.peer_port)
        await self.dispatch("INTERACTION_CREATE", payload, via)
        return interaction

    # -- gateway ------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.gateway_down:
            return web.Response(status=503, text="fake: gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_paths.append(request.path)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        session: _Session | None = None
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                if data.get("token") not in self.tokens:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                session = await self._identify(ws, data)
            elif op == 6:
                session = await self._resume(ws, data)
                if session is None:
                    break
            else:
                self.unknown.append(f"gateway op {op}")
        if session is not None and session.ws is ws:
            session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> _Session:
        self.identifies += 1
        self.intents.append(data.get("intents", -1))
        shard = data.get("shard")
        peer = ws.get_extra_info("peername") or ("", 0)
        session = _Session(
            uuid.uuid4().hex, tuple(shard) if shard else None, peer[1], ws=ws, token=data["token"]
        )
        self.identified_shards.append(session.shard)
        self._sessions[session.id] = session
        self._current = session
        user = {**self.bot.user(), "verified": True, "mfa_enabled": False, "flags": 0}
        guilds = [g for g in self.guilds if session.serves(g.id)]
        ready = {
            "v": 10,
            "user": user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }
        if shard:
            ready["shard"] = list(shard)
        await self._send(session, {"op": 0, "t": "READY", "d": ready})
        threads = list(self.threads.values())
        for guild in guilds:
            event = guild.create_event(threads, self.bot)
            await self._send(session, {"op": 0, "t": "GUILD_CREATE", "d": event})
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> _Session | None:
        session = self._sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != session.token:
            await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            return None
        self.resumes += 1
        async with session.lock:
            session.ws = ws
            self._current = session
            for missed in session.log:
                if missed["s"] > (data.get("seq") or 0):
                    await ws.send_str(json.dumps(missed))
        await self._send(session, {"op": 0, "t": "RESUMED", "d": {}})
        return session

    async def _send(self, session: _Session, frame: Json) -> None:
        async with session.lock:
            session.seq += 1
            frame = {**frame, "s": session.seq}
            session.log.append(frame)
            if session.ws is not None and not session.ws.closed:
                with contextlib.suppress(ConnectionError):
                    await session.ws.send_str(json.dumps(frame))
