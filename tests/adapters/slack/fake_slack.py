"""A local fake of Slack: the Web API methods engagebot uses, file upload URLs,
response_url endpoints and a Socket Mode websocket, on 127.0.0.1 at a random port.

Every call is recorded. Unknown paths or methods get a 404 and are listed in `unknown`
(tests assert it stays empty); blocks that break Slack's documented limits get
`invalid_blocks` and are listed in `problems`. Tokens are checked like Slack does."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BLOCK_TYPES = {"header", "section", "divider", "actions", "context", "image"}
BOT_ID, APP_ID = "B0ENGAGE", "A0ENGAGE"


def _true(value: Any) -> bool:
    """A boolean argument as slack_sdk sends it ("1"/"0") or as JSON."""
    return value in (True, 1, "1", "true", "True")


def _valid_metadata(metadata: Any) -> bool:
    """Message metadata: an event_type (letters, digits, _) and an event_payload object."""
    if not isinstance(metadata, dict):
        return False
    event_type = metadata.get("event_type")
    return (
        isinstance(event_type, str)
        and event_type.replace("_", "").isalnum()
        and isinstance(metadata.get("event_payload"), dict)
    )


def _without_metadata(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "metadata"}


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)


def block_problems(blocks: Any) -> list[str]:
    """What Slack would reject in a message's blocks (Block Kit reference limits)."""
    if not isinstance(blocks, list):
        return ["blocks is not a list"]
    problems: list[str] = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks (max 50)")
    action_ids: set[str] = set()
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        kind = block.get("type")
        where = f"blocks[{i}] ({kind})"
        if kind not in BLOCK_TYPES:
            problems.append(f"{where}: unknown block type")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > 255 or block_id in block_ids:
                problems.append(f"{where}: bad or repeated block_id")
            block_ids.add(block_id)
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                problems.append(f"{where}: header text must be plain_text of 1-150 chars")
        elif kind == "section":
            text = block.get("text") or {}
            if text.get("type") not in ("mrkdwn", "plain_text"):
                problems.append(f"{where}: bad text type")
            if not 0 < len(text.get("text", "")) <= 3000:
                problems.append(f"{where}: section text must be 1-3000 chars")
            accessory = block.get("accessory")
            if accessory is not None:
                problems += _image_problems(accessory, where + ".accessory")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 25:
                problems.append(f"{where}: {len(elements)} elements (1-25)")
            for element in elements:
                problems += _button_problems(element, where, action_ids)
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10:
                problems.append(f"{where}: {len(elements)} elements (1-10)")
            for element in elements:
                if element.get("type") == "image":
                    problems += _image_problems(element, where)
                elif not 0 < len(element.get("text", "")) <= 3000:
                    problems.append(f"{where}: context text must be 1-3000 chars")
        elif kind == "image":
            problems += _image_problems(block, where)
    return problems


def _image_problems(image: dict[str, Any], where: str) -> list[str]:
    problems = []
    if image.get("type") != "image":
        problems.append(f"{where}: not an image element")
    url, file = image.get("image_url"), image.get("slack_file")
    if (url is None) == (file is None):
        problems.append(f"{where}: needs exactly one of image_url and slack_file")
    if url is not None and (not url.startswith("https://") or len(url) > 3000):
        problems.append(f"{where}: image_url must be a public https URL")
    if not 0 < len(image.get("alt_text", "")) <= 2000:
        problems.append(f"{where}: alt_text must be 1-2000 chars")
    return problems


def _button_problems(button: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    problems = []
    if button.get("type") != "button":
        return [f"{where}: unexpected element {button.get('type')}"]
    text = button.get("text") or {}
    if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 75:
        problems.append(f"{where}: button text must be plain_text of 1-75 chars")
    action_id = button.get("action_id", "")
    if not 0 < len(action_id) <= 255 or action_id in seen:
        problems.append(f"{where}: action_id missing, too long or repeated")
    seen.add(action_id)
    if len(button.get("value", "")) > 2000:
        problems.append(f"{where}: value over 2000 chars")
    return problems


class FakeSlack:
    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str,
        team_id: str = "T0SHOP",
        bot_user_id: str = "UBOT",
        usergroups: dict[str, list[str]] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.usergroups = usergroups or {}
        # channel -> the error conversations.history answers there (not_in_channel...)
        self.unreadable: dict[str, str] = {}
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self.problems: list[str] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self.socket_connected = asyncio.Event()
        self._rate_limits: dict[str, list[int]] = {}
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._refused_responses: list[tuple[int, str]] = []
        self._last_ts = 0.0
        self._lost_posts: list[str] = []
        self._files = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/socket", self._socket)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.root}/respond/{name}"

    # -- test controls ------------------------------------------------------------------

    def rate_limit(self, method: str, retry_after: int, times: int = 1) -> None:
        """The next `times` calls of method get a 429 with this Retry-After."""
        self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def fail(self, method: str, error: str = "internal_error", status: int = 200) -> None:
        """The next call of method fails: Slack's JSON error with this HTTP status, or
        with status >= 500 a plain-text error page like a load balancer's."""
        self._failures.setdefault(method, []).append((status, error))

    def lose_next_post_answers(self, *how: str) -> None:
        """The next chat.postMessage calls post the message, then answer "500" (a
        load balancer's error page) or nothing at all ("drop": the connection closes)."""
        self._lost_posts.extend(how)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        bot_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        ts: str | None = None,
    ) -> str:
        """A message someone else (a customer, another app) posted in the channel."""
        ts = ts or self._next_ts()
        message: dict[str, Any] = {"type": "message", "ts": ts, "user": user, "text": text}
        if bot_id is not None:
            message |= {"bot_id": bot_id, "app_id": "A0OTHER"}
        if metadata is not None:
            message["metadata"] = metadata
        self.messages[(channel, ts)] = message
        return ts

    def refuse_responses(
        self, times: int = 1, status: int = 404, text: str = "expired_url"
    ) -> None:
        """The next `times` response_url posts are refused (Slack: used or expired)."""
        self._refused_responses.extend([(status, text)] * times)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def ephemerals(self, user: str | None = None, via: str | None = None) -> list[str]:
        """Texts only `user` saw, in order: chat.postEphemeral calls, and ephemeral posts
        to the response_url of that user's click or command (named "<kind>-<user>").
        `via` keeps one of the two ("chat.postEphemeral" or "response_url")."""
        texts = []
        for call in self.calls:
            if call.status != 200 or via not in (None, call.method):
                continue
            if call.method == "chat.postEphemeral":
                mine = user is None or call.args.get("user") == user
            elif call.method == "response_url":
                private = call.args.get("response_type") == "ephemeral"
                named = user is None or str(call.args.get("name", "")).endswith(f"-{user}")
                mine = private and named
            else:
                continue
            if mine:
                texts.append(call.args["text"])
        return texts

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        async def wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def send_envelope(self, envelope: dict[str, Any], connection: int = -1) -> None:
        """Send an envelope on one of the app's Socket Mode connections (in the order
        they opened; default the latest): Slack spreads deliveries over all of them,
        and may redeliver an envelope on another one (with retry_attempt)."""
        await asyncio.wait_for(self.socket_connected.wait(), 5)
        await self._sockets[connection].send_json(envelope)

    def socket_connections(self) -> int:
        """Socket Mode connections open now."""
        return sum(1 for ws in self._sockets if not ws.closed)

    # -- handlers -----------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.set()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in ("blocks", "files", "metadata"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self.unknown.append(f"{request.method} /api/{method}")
            self._record(Call(method, args, status=404))
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if request.headers.get("Authorization") != f"Bearer {expected}":
            self._record(Call(method, args, status=401))
            return web.json_response({"ok": False, "error": "invalid_auth"})
        failures = self._failures.get(method)
        if failures:
            status, error = failures.pop(0)
            self._record(Call(method, args, status=status if status != 200 else 400))
            if status >= 500:
                return web.Response(status=status, text=f"{status} {error}")
            return web.json_response({"ok": False, "error": error}, status=status)
        pending = self._rate_limits.get(method)
        if pending:
            wait = pending.pop(0)
            self._record(Call(method, args, status=429))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        answer: dict[str, Any] = handler(args)
        status = 200 if answer.get("ok") else 400
        self._record(Call(method, args, status=status, answer=answer))
        if method == "chat.postMessage" and answer.get("ok") and self._lost_posts:
            if self._lost_posts.pop(0) == "drop":
                if request.transport is not None:
                    request.transport.abort()  # posted; the bot never hears of it
                return web.Response(status=500)  # never written: the connection is gone
            return web.Response(status=500, text="500 Internal Server Error")
        return web.json_response(answer)

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        self._record(Call("upload", {"file_id": file_id}))
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = request.match_info["name"]
        if self._refused_responses:
            status, text = self._refused_responses.pop(0)
            self._record(Call("response_url", {"name": name, **body}, status=status))
            return web.Response(status=status, text=text)
        self.responses.append((name, body))
        self._record(Call("response_url", {"name": name, **body}))
        return web.Response(text="ok")

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path}")
        self._changed.set()
        return web.Response(status=404, text="unknown")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": self.socket_connections(),
                "connection_info": {"app_id": "A0ENGAGE"},
            }
        )
        self._changed.set()
        self.socket_connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.socket_acks[data["envelope_id"]] = data
                    self._changed.set()
        return ws

    # -- Web API methods ----------------------------------------------------------------

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test-shop.example/",
            "team": "Test Shop",
            "user": "engagebot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    def _checked(self, args: dict[str, Any]) -> dict[str, Any] | None:
        problems = block_problems(args.get("blocks", []))
        if not args.get("text"):
            problems.append("no fallback text")
        if problems:
            self.problems.extend(problems)
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return None

    def _next_ts(self) -> str:
        """Slack's ts: the posting time in microseconds, unique in the channel."""
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._checked(args)
        if refused:
            return refused
        metadata = args.get("metadata")
        if metadata is not None and not _valid_metadata(metadata):
            self.problems.append(f"bad metadata {metadata!r}")
            return {"ok": False, "error": "invalid_metadata_format"}
        ts = self._next_ts()
        channel = args["channel"]
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": args["text"],
            "blocks": args.get("blocks"),
        }
        if metadata is not None:
            message["metadata"] = metadata
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": _without_metadata(message)}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Newest first, `oldest`/`latest` exclusive unless `inclusive`, pages of `limit`
        (default 100, at most 999) behind an opaque cursor; message metadata only with
        include_all_metadata. Thread replies stay in their thread."""
        channel = args.get("channel", "")
        if channel in self.unreadable:
            code = self.unreadable[channel]
            if code == "missing_scope":  # Slack names the scope the token lacks
                return {"ok": False, "error": code, "needed": "channels:history"}
            return {"ok": False, "error": code}
        try:
            limit = int(args.get("limit") or 100)
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or "inf")
            offset = (
                int(base64.b64decode(args["cursor"]).decode()[len("next:") :])
                if args.get("cursor")
                else 0
            )
        except (ValueError, UnicodeDecodeError):
            return {"ok": False, "error": "invalid_arguments"}
        inclusive = _true(args.get("inclusive"))
        found = sorted(
            (
                m
                for (where, ts), m in self.messages.items()
                if where == channel
                and m.get("thread_ts", ts) == ts
                and (oldest <= float(ts) <= latest if inclusive else oldest < float(ts) < latest)
            ),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        page = found[offset : offset + min(limit, 999)]
        more = offset + len(page) < len(found)
        with_metadata = _true(args.get("include_all_metadata"))
        cursor = base64.b64encode(f"next:{offset + len(page)}".encode()).decode() if more else ""
        return {
            "ok": True,
            "messages": [m if with_metadata else _without_metadata(m) for m in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel"), args.get("ts"))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        refused = self._checked(args)
        if refused:
            return refused
        # Slack keeps a message's metadata through an edit that does not send any.
        self.messages[key] |= {"text": args["text"], "blocks": args.get("blocks")}
        if args.get("metadata") is not None:
            self.messages[key]["metadata"] = args["metadata"]
        return {"ok": True, "channel": key[0], "ts": key[1], "text": args["text"]}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user") or not args.get("channel") or not args.get("text"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._files):04d}"
        return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        if any(f.get("id") not in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
