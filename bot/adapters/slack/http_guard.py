"""The door of Slack's HTTP endpoint: the signature is checked before anything is parsed.

bolt parses a request's body before it verifies the signature, so junk from anyone
(`payload=%7Bnot-json`, bytes that are not UTF-8, JSON that is not an object, a
non-numeric timestamp) ended in a 500 and a traceback in the log per request. This
middleware answers such requests first:
- 401 when the signature is missing, wrong or stale, or the timestamp is not a number;
- 400 when the request is signed but its body is not one Slack sends;
and logs at most one line per interval, with a count of what it refused meanwhile. What
passes goes on to bolt unchanged (which checks the signature again, cheaply).

It is an aiohttp middleware, so it guards whichever aiohttp application serves bolt's
handler: the adapter's own server, or a shared web server the Slack app is mounted on."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from slack_sdk.signature import SignatureVerifier

from bot.clock import Clock

log = logging.getLogger(__name__)

# Slack's rule (and slack_sdk's): a request signed more than five minutes ago is a replay.
MAX_AGE = 300
# After the first line, refusals are counted and logged at most this often.
LOG_INTERVAL = timedelta(minutes=1)


class RefusalLog:
    """One log line for the first refusal, then at most one per interval with a count:
    a flood of junk cannot flood the log."""

    def __init__(self, clock: Clock, interval: timedelta = LOG_INTERVAL) -> None:
        self._clock = clock
        self._interval = interval
        self._next: datetime | None = None
        self._held: Counter[str] = Counter()

    def refused(self, status: int, why: str, peer: str) -> None:
        now = self._clock.now()
        self._held[why] += 1
        if self._next is not None and now < self._next:
            return
        counts = ", ".join(f"{n} {reason}" for reason, n in self._held.most_common())
        log.warning(
            "refused Slack HTTP requests not sent by Slack (last: HTTP %s from %s): %s; "
            "more are counted and logged at most every %.0f s",
            status,
            peer or "unknown",
            counts,
            self._interval.total_seconds(),
        )
        self._held.clear()
        self._next = now + self._interval


def slack_request_guard(signing_secret: str, clock: Clock) -> Middleware:
    """An aiohttp middleware: only POSTs signed with `signing_secret` and carrying a body
    Slack could have sent reach the handler. (Signature freshness is judged on the
    system clock, as Slack's timestamps are and as bolt does: not on the app's clock.)"""
    verifier = SignatureVerifier(signing_secret)
    refusals = RefusalLog(clock)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST":
            return await handler(request)
        raw = await request.read()
        status, why = _check(verifier, request, raw)
        if status:
            refusals.refused(status, why, request.remote or "")
            return web.Response(status=status, text=_ANSWERS[status])
        return await handler(request)

    return guard


_ANSWERS = {401: "invalid request signature", 400: "malformed request body"}


def _check(verifier: SignatureVerifier, request: web.Request, raw: bytes) -> tuple[int, str]:
    """(0, "") when the request may go on; else the status and why it may not."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return 401, "unsigned"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return 401, "bad timestamp"
    if not _signed(verifier, raw, timestamp, signature):
        return 401, "bad or stale signature"
    if not _well_formed(raw, request.content_type):
        return 400, "malformed body"
    return 0, ""


def _signed(verifier: SignatureVerifier, raw: bytes, timestamp: str, signature: str) -> bool:
    """Slack signs the raw bytes. slack_sdk's verifier decodes them as UTF-8 first (and
    raises on anything else); such a body is checked here on its bytes, the same way."""
    try:
        return verifier.is_valid(raw.decode("utf-8"), timestamp, signature)
    except UnicodeDecodeError:
        if abs(time.time() - int(timestamp)) > MAX_AGE:
            return False
        base = b"v0:" + timestamp.encode() + b":" + raw
        digest = hmac.new(verifier.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", signature)


def _well_formed(raw: bytes, content_type: str) -> bool:
    """The body parses the way bolt will parse it (slack_bolt.request.internals.parse_body)
    into a JSON object: a JSON event, a form-encoded interaction payload, or a slash
    command's form fields."""
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not body:
        return False
    try:
        if content_type == "application/json" or body.startswith("{"):
            return isinstance(json.loads(body), dict)
        if "payload" in body:
            payload = dict(parse_qsl(body, keep_blank_values=True)).get("payload")
            return payload is None or isinstance(json.loads(payload), dict)
        return bool(parse_qsl(body, keep_blank_values=True))
    except (ValueError, RecursionError):  # not JSON, a form that does not parse, too deep
        return False
