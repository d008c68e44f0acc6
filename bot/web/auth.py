"""Who may use the dashboard and the API: the token, sessions, CSRF and throttling.

The token is compared in constant time and never logged. A browser signs in once and
gets a session cookie (HttpOnly, SameSite=Strict); every form that changes something
carries the session's CSRF token. Wrong tokens are slowed down per client address: after
a few, each further try must wait twice as long as the one before (by the app's clock)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock

SESSION_COOKIE = "engagebot_session"
SESSION_LIFETIME = timedelta(hours=12)
FREE_FAILURES = 3  # wrong tokens allowed before the waits begin
FIRST_WAIT = timedelta(seconds=2)
LONGEST_WAIT = timedelta(minutes=5)


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class Session:
    csrf: str
    expires: datetime
    # What the last form did. It is shown by the page the form redirected to, on every load
    # of that address (`?done=<key>`): a browser may request the page twice after a
    # redirect, and showing it only once lost it to the first request.
    notice: Notice | None = None


@dataclass(frozen=True)
class Notice:
    key: str
    text: str


@dataclass
class _Failures:
    count: int = 0
    blocked_until: datetime | None = None


@dataclass
class Gate:
    """The token (None: loopback without a token, entered through a one-time link),
    the sessions it opened, and the throttle on wrong guesses."""

    clock: Clock
    token: str | None
    _sessions: dict[str, Session] = field(default_factory=dict)
    _failures: dict[str, _Failures] = field(default_factory=dict)
    _login_code: str | None = None

    # -- tokens ---------------------------------------------------------------------------

    def token_matches(self, given: str) -> bool:
        return self.token is not None and bool(given) and same_secret(given, self.token)

    def new_login_code(self) -> str:
        """A one-time code for the start-up login link (only when there is no token)."""
        self._login_code = secrets.token_urlsafe(24)
        return self._login_code

    def use_login_code(self, given: str) -> bool:
        code = self._login_code
        if code is None or not given or not same_secret(given, code):
            return False
        self._login_code = None  # one time only
        return True

    # -- throttling -----------------------------------------------------------------------

    def wait_left(self, client: str) -> timedelta | None:
        """How long this client must wait before its next try, if it must."""
        entry = self._failures.get(client)
        if entry is None or entry.blocked_until is None:
            return None
        left = entry.blocked_until - self.clock.now()
        return left if left > timedelta(0) else None

    def failed(self, client: str) -> None:
        entry = self._failures.setdefault(client, _Failures())
        entry.count += 1
        extra = entry.count - FREE_FAILURES
        if extra > 0:
            wait = min(FIRST_WAIT * 2 ** (extra - 1), LONGEST_WAIT)
            entry.blocked_until = self.clock.now() + wait

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)

    # -- sessions -------------------------------------------------------------------------

    def open_session(self) -> str:
        now = self.clock.now()
        for sid in [s for s, v in self._sessions.items() if v.expires <= now]:
            del self._sessions[sid]  # forget expired ones as new ones come
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = Session(secrets.token_urlsafe(24), now + SESSION_LIFETIME)
        return sid

    def session(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        found = self._sessions.get(sid)
        if found is None or found.expires <= self.clock.now():
            return None
        return found

    def close_session(self, sid: str | None) -> None:
        if sid:
            self._sessions.pop(sid, None)
