"""Every Prometheus metric the bot exports, on a registry the App owns.

Each App gets its own CollectorRegistry, so two apps in one process (tests) never count
into each other. The web host serves `registry` at /metrics. The metrics count into plain
numbers (bot/metric_values.py); prometheus_client is imported when they are first read,
not at every start. The README lists every metric with what it means."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from bot.clock import Clock, SystemClock
from bot.metric_values import Counter, Histogram

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

# prometheus_client's CONTENT_TYPE_LATEST (the text format generate_latest writes),
# written out so serving it needs no import; a test compares them.
CONTENT_TYPE: Final = "text/plain; version=1.0.0; charset=utf-8"

# What happened to a click, as the customer was told.
VOTE_OUTCOMES: Final = ("counted", "changed", "unchanged", "refused", "duplicate", "stale")

# Where the platform libraries say "429": one record per rate-limited request. Counting
# their log records keeps the adapters free of metric code and counts what really happened.
_RATE_LIMIT_LOGS: Final = (
    ("discord.http", "discord", "We are being rate limited"),
    ("bot.adapters.slack.pacing", "slack", "Slack rate-limited"),
)


class Metrics:
    def __init__(self, clock: Clock | None = None) -> None:
        clock = clock or SystemClock()

        def now() -> float:
            return clock.now().timestamp()

        self._registry: CollectorRegistry | None = None
        self.votes = Counter(
            "engagebot_votes",
            "Clicks on poll buttons, by platform and what came of them.",
            ["platform", "outcome"],
            now,
        )
        self.vote_ack_seconds = Histogram(
            "engagebot_vote_ack_seconds",
            "Seconds from receiving a click to sending the voter's confirmation.",
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
            now,
            ["platform"],
        )
        self.tally_edits = Counter(
            "engagebot_tally_edits",
            "Live tally edits sent to a platform (coalesced: many votes, one edit).",
            ["platform"],
            now,
        )
        self.rate_limited = Counter(
            "engagebot_rate_limited",
            "Requests a platform answered with HTTP 429 (rate limited).",
            ["platform"],
            now,
        )
        self.posts = Counter(
            "engagebot_posts",
            "Messages posted: kind is poll, prompt or results.",
            ["kind", "platform"],
            now,
        )
        self.store_batch_size = Histogram(
            "engagebot_store_batch_size",
            "Database writes committed together in one transaction (group commit).",
            (1, 2, 4, 8, 16, 32, 64, 128, 256),
            now,
        )
        self.scheduler_lag_seconds = Histogram(
            "engagebot_scheduler_lag_seconds",
            "How late the scheduling loop woke up after the time it planned.",
            (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0),
            now,
        )
        self._log_counter = _RateLimitLogCounter(self)

    def count_vote(self, platform: str, outcome: str) -> None:
        self.votes.labels(platform, outcome).inc()

    def count_post(self, kind: str, platform: str) -> None:
        self.posts.labels(kind, platform).inc()

    def count_tally_edit(self, platform: str) -> None:
        self.tally_edits.labels(platform).inc()

    def observe_batch(self, size: int) -> None:
        self.store_batch_size.observe(size)

    def watch_logs(self) -> None:
        """Start counting the platform libraries' 429 log records (until unwatch_logs)."""
        for logger_name, _, _ in _RATE_LIMIT_LOGS:
            logging.getLogger(logger_name).addHandler(self._log_counter)

    def unwatch_logs(self) -> None:
        for logger_name, _, _ in _RATE_LIMIT_LOGS:
            logging.getLogger(logger_name).removeHandler(self._log_counter)

    @property
    def registry(self) -> CollectorRegistry:
        """A registry with every metric (prometheus_client imported at the first call)."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry

            registry = CollectorRegistry(auto_describe=True)
            registry.register(_Families(self))
            self._registry = registry
        return self._registry

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


class _Families:
    """The metrics as prometheus_client reads a collector, in the order they were made."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        for metric in (
            m.votes,
            m.vote_ack_seconds,
            m.tally_edits,
            m.rate_limited,
            m.posts,
            m.store_batch_size,
            m.scheduler_lag_seconds,
        ):
            yield metric.as_family()


class _RateLimitLogCounter(logging.Handler):
    def __init__(self, metrics: Metrics) -> None:
        super().__init__(logging.WARNING)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        for logger_name, platform, prefix in _RATE_LIMIT_LOGS:
            if record.name == logger_name and str(record.msg).startswith(prefix):
                self.metrics.rate_limited.labels(platform).inc()
