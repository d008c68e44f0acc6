"""The bot's own counters and histograms (bot/metric_values.py) read by Prometheus exactly
as prometheus_client's Counter and Histogram would be: the same text at /metrics for the
same counts, so dashboards and alerts built on the bot's metrics keep working."""

from __future__ import annotations

import re

import prometheus_client
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot import metric_values
from bot.metrics import CONTENT_TYPE, Metrics


def _without_times(exposition: bytes) -> str:
    """`_created` samples are when a series began: equal only in shape."""
    return re.sub(r"(?m)^(\w+_created(?:\{[^}]*\})?) \S+$", r"\1 T", exposition.decode())


class _Source:
    def __init__(self, families: list[object]) -> None:
        self.families = families

    def collect(self) -> list[object]:
        return [family.as_family() for family in self.families]  # type: ignore[attr-defined]


def test_the_same_counts_read_the_same_as_prometheus_clients_own() -> None:
    library = prometheus_client.CollectorRegistry(auto_describe=True)
    ours = prometheus_client.CollectorRegistry(auto_describe=True)
    now = 1_790_000_000.0
    votes = (
        prometheus_client.Counter("t_votes", "Votes.", ["platform", "outcome"], registry=library),
        metric_values.Counter("t_votes", "Votes.", ["platform", "outcome"], lambda: now),
    )
    unused = (
        prometheus_client.Counter("t_edits", "Edits.", ["platform"], registry=library),
        metric_values.Counter("t_edits", "Edits.", ["platform"], lambda: now),
    )
    le = (0.01, 0.1, 1.0)
    ack = (
        prometheus_client.Histogram("t_ack", "Ack.", ["platform"], buckets=le, registry=library),
        metric_values.Histogram("t_ack", "Ack.", le, lambda: now, ["platform"]),
    )
    batch = (
        prometheus_client.Histogram("t_batch", "Batch.", buckets=(1, 2, 4), registry=library),
        metric_values.Histogram("t_batch", "Batch.", (1, 2, 4), lambda: now),
    )
    for counter in (votes[0], votes[1]):
        counter.labels("console", "counted").inc()
        counter.labels("console", "counted").inc()
        counter.labels("discord", "changed").inc(2.5)
    for histogram in (ack[0], ack[1]):
        for seconds in (0.005, 0.01, 0.5, 7.0):
            histogram.labels("console").observe(seconds)
    for histogram in (batch[0], batch[1]):
        for size in (1, 3, 300):
            histogram.observe(size)
    ours.register(_Source([votes[1], unused[1], ack[1], batch[1]]))

    expected = _without_times(prometheus_client.generate_latest(library))
    assert _without_times(prometheus_client.generate_latest(ours)) == expected
    assert "t_ack_bucket" in expected and "t_votes_created" in expected
    assert ours.get_sample_value("t_batch_sum") == 304.0
    assert ours.get_sample_value("t_votes_created", {"platform": "console", "outcome": "counted"})


def test_metrics_are_served_as_prometheus_clients_text_format() -> None:
    assert CONTENT_TYPE == CONTENT_TYPE_LATEST
    metrics = Metrics()
    metrics.count_vote("console", "counted")
    text = metrics.exposition().decode()
    assert 'engagebot_votes_total{outcome="counted",platform="console"} 1.0' in text
    assert metrics.registry.get_sample_value("engagebot_store_batch_size_count") == 0.0
