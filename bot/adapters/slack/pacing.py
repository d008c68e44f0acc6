"""Staying inside Slack's rate limits.

`chat.update` is a Tier 3 method (about 50 calls a minute per workspace). The app's
LiveTally already spaces edits of one message by limits.edit_interval; this bucket caps
all edits of the workspace together, so ten live polls cannot add up to a 429 storm.
When Slack answers 429 anyway, the whole bucket pauses for Retry-After before anything
is sent again — never an immediate retry.

Edits (idempotent: sending one twice does no harm) also survive Slack's transient
failures — a 5xx, `internal_error`, a dropped connection — with a short exponential
backoff, so a close never leaves a stale tally and live buttons behind because of one
bad answer. Posts are not retried here: a 500 may hide a message that was posted.

Every wait is on the app's Clock (tests move a FakeClock instead of sleeping)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.clock import Clock, SystemClock

log = logging.getLogger(__name__)

T = TypeVar("T")

# 5 at once, then 35 a minute: any 60-second window holds at most 5 + 35 = 40 edits.
EDITS_BURST = 5
EDITS_PER_MINUTE = 35
DEFAULT_RETRY_AFTER = 1.0  # when a 429 has no usable Retry-After header
MAX_RETRY_AFTER = 120.0
ATTEMPTS = 4
# Transient failures: waits of 1, 2, 4, 8 s (plus up to 25 % jitter, so many messages
# do not retry in step) — 5 tries within ~20 s, each cut off after CALL_TIMEOUT.
TRANSIENT_TRIES = 5
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 8.0
CALL_TIMEOUT = 10.0
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "request_timeout", "fatal_error", "service_unavailable"}
)


class TokenBucket:
    """At most `burst` calls at once, refilled at `per_minute`; callers queue in order."""

    def __init__(
        self,
        clock: Clock,
        burst: int = EDITS_BURST,
        per_minute: float = EDITS_PER_MINUTE,
    ) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock.now()
        self._paused_until = self._stamp
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Slack said 429: nothing more until the wait is over, then start gently."""
        until = self._clock.now() + timedelta(seconds=seconds)
        self._paused_until = max(self._paused_until, until)
        self._tokens = min(self._tokens, 1.0)

    async def acquire(self) -> None:
        async with self._lock:  # one waiter at a time keeps the queue in arrival order
            while True:
                now = self._clock.now()
                refill = (now - self._stamp).total_seconds() * self.rate
                self._tokens = min(self.burst, self._tokens + refill)
                self._stamp = now
                if now < self._paused_until:
                    await self._clock.sleep_until(self._paused_until, asyncio.Event())
                elif self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                else:
                    await sleep(self._clock, (1.0 - self._tokens) / self.rate)


def retry_after(headers: Mapping[str, Any] | None) -> float:
    """Seconds from a 429's Retry-After header, at least DEFAULT_RETRY_AFTER."""
    value: Any = None
    for key, item in (headers or {}).items():
        if str(key).lower() == "retry-after":
            value = item[0] if isinstance(item, list | tuple) else item
            break
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, DEFAULT_RETRY_AFTER), MAX_RETRY_AFTER)


def is_rate_limited(error: SlackApiError) -> bool:
    response = error.response
    status = getattr(response, "status_code", None)
    return bool(status == 429 or error_code(error) == "ratelimited")


def error_code(error: SlackApiError) -> str:
    """Slack's `error` field, or "" when the answer had none (a 5xx page: the response's
    data is then a string, and its .get raises)."""
    try:
        return str(error.response.get("error") or "")
    except (AttributeError, TypeError):  # a body that is not JSON
        return ""


def is_transient(error: BaseException) -> bool:
    """Worth trying again after a pause: Slack's side or the network failed, not us."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", None)
        return bool(
            (isinstance(status, int) and status >= 500) or error_code(error) in TRANSIENT_ERRORS
        )
    return isinstance(error, aiohttp.ClientError | TimeoutError | ConnectionError)


def backoff(retry: int) -> float:
    """The pause before retry number `retry` (1, 2, ...): 1, 2, 4, 8, 8 s, plus jitter."""
    wait: float = min(FIRST_BACKOFF * 2.0 ** (retry - 1), MAX_BACKOFF)
    return wait * (1 + random.random() / 4)


async def sleep(clock: Clock, seconds: float) -> None:
    await clock.sleep_until(clock.now() + timedelta(seconds=seconds), asyncio.Event())


async def paced(
    call: Callable[[], Awaitable[T]],
    what: str,
    bucket: TokenBucket | None = None,
    clock: Clock | None = None,
    attempts: int = ATTEMPTS,
    transient_tries: int = 1,
) -> T:
    """Run a Web API call, waiting for the bucket first and for Retry-After on a 429.
    With transient_tries > 1 (idempotent calls only), 5xx answers, Slack's transient
    error codes and network errors are retried after a backoff, each try time-boxed.
    Waits are on `clock` (the system clock if none is given)."""
    clock = clock or SystemClock()
    limited = failed = 0
    while True:
        if bucket is not None:
            await bucket.acquire()
        try:
            if transient_tries > 1:
                return await asyncio.wait_for(call(), CALL_TIMEOUT)
            return await call()
        except SlackApiError as error:
            if is_rate_limited(error):
                limited += 1
                if limited >= attempts:
                    raise
                wait = retry_after(getattr(error.response, "headers", None))
                log.warning("Slack rate-limited %s; retrying in %.0f s", what, wait)
                if bucket is not None:
                    bucket.pause(wait)  # every edit of the workspace waits, this one too
                else:
                    await sleep(clock, wait)
                continue
            failed += 1
            if not is_transient(error) or failed >= transient_tries:
                raise
            reason = error_code(error) or f"HTTP {getattr(error.response, 'status_code', '?')}"
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as error:
            failed += 1
            if failed >= transient_tries:
                raise
            reason = type(error).__name__
        wait = backoff(failed)
        log.warning("Slack %s failed (%s); retrying in %.1f s", what, reason, wait)
        await sleep(clock, wait)
