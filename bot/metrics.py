"""Every Prometheus metric the bot exports, on a registry the App owns.

Each App gets its own CollectorRegistry, so two apps in one process (tests) never count
into each other. The web host serves `registry` at /metrics. The README lists every
metric with what it means."""

from __future__ import annotations

import logging
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

# What happened to a click, as the customer was told.
VOTE_OUTCOMES: Final = ("counted", "changed", "unchanged", "refused", "duplicate", "stale")

# Where the platform libraries say "429": one record per rate-limited request. Counting
# their log records keeps the adapters free of metric code and counts what really happened.
_RATE_LIMIT_LOGS: Final = (
    ("discord.http", "discord", "We are being rate limited"),
    ("bot.adapters.slack.pacing", "slack", "Slack rate-limited"),
)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.votes = Counter(
            "engagebot_votes",
            "Clicks on poll buttons, by platform and what came of them.",
            ["platform", "outcome"],
            registry=r,
        )
        self.vote_ack_seconds = Histogram(
            "engagebot_vote_ack_seconds",
            "Seconds from receiving a click to sending the voter's confirmation.",
            ["platform"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
            registry=r,
        )
        self.tally_edits = Counter(
            "engagebot_tally_edits",
            "Live tally edits sent to a platform (coalesced: many votes, one edit).",
            ["platform"],
            registry=r,
        )
        self.rate_limited = Counter(
            "engagebot_rate_limited",
            "Requests a platform answered with HTTP 429 (rate limited).",
            ["platform"],
            registry=r,
        )
        self.posts = Counter(
            "engagebot_posts",
            "Messages posted: kind is poll, prompt or results.",
            ["kind", "platform"],
            registry=r,
        )
        self.store_batch_size = Histogram(
            "engagebot_store_batch_size",
            "Database writes committed together in one transaction (group commit).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
        self.scheduler_lag_seconds = Histogram(
            "engagebot_scheduler_lag_seconds",
            "How late the scheduling loop woke up after the time it planned.",
            buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0),
            registry=r,
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

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)


class _RateLimitLogCounter(logging.Handler):
    def __init__(self, metrics: Metrics) -> None:
        super().__init__(logging.WARNING)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        for logger_name, platform, prefix in _RATE_LIMIT_LOGS:
            if record.name == logger_name and str(record.msg).startswith(prefix):
                self.metrics.rate_limited.labels(platform).inc()
