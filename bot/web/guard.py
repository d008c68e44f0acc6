"""Middlewares and checks every request passes: headers that keep the pages to
themselves, errors without stack traces, and who is asking (token or session)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from math import ceil

from aiohttp import web

from bot import messages
from bot.web.auth import SESSION_COOKIE, Session, same_secret
from bot.web.keys import GATE, SETTINGS

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Everything is served from here: no CDN, no inline script or style.
CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path in ("/readyz", "/metrics")


def json_error(status: int, error: str, **extra: object) -> web.Response:
    return web.json_response({"error": error, **extra}, status=status)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Clients see a short message; the log gets the traceback."""
    try:
        return await handler(request)
    except web.HTTPException as http:
        if is_api(request) and http.status >= 400 and http.content_type != "application/json":
            return json_error(http.status, http.reason)
        raise
    except Exception:
        log.exception("web request %s %s failed", request.method, request.path)
        if is_api(request):
            return json_error(500, messages.WEB_INTERNAL_ERROR.format())
        return web.Response(status=500, text=messages.WEB_INTERNAL_ERROR.format())


def client_of(request: web.Request) -> str:
    return request.remote or "unknown"


def session_of(request: web.Request) -> Session | None:
    return request.app[GATE].session(request.cookies.get(SESSION_COOKIE))


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def api_refusal(request: web.Request, *, changes: bool = False) -> web.Response | None:
    """None when the caller may use the API: a Bearer token, or the dashboard's session
    (with its CSRF header when the request changes something). Otherwise the reply."""
    gate = request.app[GATE]
    client = client_of(request)
    given = bearer(request)
    if given is not None:
        wait = gate.wait_left(client)
        if wait is not None:
            return throttled(wait)
        if gate.token_matches(given):
            gate.succeeded(client)
            return None
        gate.failed(client)
        return json_error(401, messages.WEB_BAD_TOKEN.format())
    session = session_of(request)
    if session is None:
        return json_error(401, messages.WEB_TOKEN_NEEDED.format())
    if changes and not csrf_ok(session, request.headers.get(CSRF_HEADER, "")):
        return json_error(403, messages.WEB_BAD_CSRF.format())
    return None


def open_to_all(request: web.Request) -> bool:
    """/readyz and /metrics: open when the server listens on loopback only."""
    return request.app[SETTINGS].open_health


def csrf_ok(session: Session, given: str) -> bool:
    return bool(given) and same_secret(given, session.csrf)


def throttled(wait: timedelta) -> web.Response:
    seconds = ceil(wait.total_seconds())
    response = json_error(429, messages.WEB_TOO_MANY_TRIES.format(seconds=seconds))
    response.headers["Retry-After"] = str(seconds)
    return response
