"""Counters and histograms kept as plain numbers, shown to Prometheus on demand.

They behave like prometheus_client's Counter and Histogram (labels(), inc(), observe(),
the same samples, `_created` included), but prometheus_client is imported only when
someone reads them (`as_family`, at a /metrics scrape): the library and the HTTP server
modules it imports cost every start about 1 MB and 15 ms, and most runs of the console
demo are never scraped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

Now = Callable[[], float]  # seconds since the epoch, for the `_created` samples


def _label_values(names: Sequence[str], values: Sequence[object]) -> tuple[str, ...]:
    if len(values) != len(names):
        raise ValueError(f"expected {len(names)} label values, got {len(values)}")
    return tuple(str(value) for value in values)


def created_series_shown() -> bool:
    """prometheus_client's own switch (PROMETHEUS_DISABLE_CREATED_SERIES or
    disable_created_metrics()) decides whether `_created` samples are exported."""
    from prometheus_client import metrics

    return bool(getattr(metrics, "_use_created", True))


class CounterChild:
    __slots__ = ("_lock", "created", "value")

    def __init__(self, created: float) -> None:
        self.value = 0.0
        self.created = created
        self._lock = threading.Lock()  # a log handler may count from another thread

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("counters can only be incremented by non-negative amounts")
        with self._lock:
            self.value += amount


class Counter:
    """A counter with labels (`engagebot_votes_total{platform, outcome}`)."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str], now: Now):
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._now = now
        self._children: dict[tuple[str, ...], CounterChild] = {}
        self._lock = threading.Lock()

    def labels(self, *values: object) -> CounterChild:
        key = _label_values(self.labelnames, values)
        with self._lock:
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = CounterChild(self._now())
            return child

    def as_family(self) -> Metric:
        from prometheus_client.metrics_core import CounterMetricFamily

        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        shown = created_series_shown()
        with self._lock:
            children = list(self._children.items())
        for values, child in children:
            family.add_metric(list(values), child.value, child.created if shown else None)
        return family


class HistogramChild:
    __slots__ = ("_bounds", "_counts", "_lock", "created", "sum")

    def __init__(self, bounds: tuple[float, ...], created: float) -> None:
        self._bounds = bounds
        self._counts = [0.0] * len(bounds)
        self.sum = 0.0
        self.created = created
        self._lock = threading.Lock()  # batch sizes are observed on the writer's thread

    def observe(self, amount: float) -> None:
        with self._lock:
            self.sum += amount
            for index, bound in enumerate(self._bounds):
                if amount <= bound:
                    self._counts[index] += 1
                    break

    def cumulative(self) -> tuple[list[float], float]:
        """The count at or below each bound (the last is +Inf), and the sum."""
        with self._lock:
            counts, total = list(self._counts), self.sum
        running = 0.0
        cumulative = []
        for count in counts:
            running += count
            cumulative.append(running)
        return cumulative, total


class Histogram:
    """A histogram, with labels or without (then observe() on the histogram itself)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        buckets: Sequence[float],
        now: Now,
        labelnames: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        bounds = sorted(float(bound) for bound in buckets)
        if bounds[-1] != float("inf"):
            bounds.append(float("inf"))
        self._bounds = tuple(bounds)
        self._now = now
        self._children: dict[tuple[str, ...], HistogramChild] = {}
        self._lock = threading.Lock()
        if not self.labelnames:  # as prometheus_client: exported at 0 from the start
            self._children[()] = HistogramChild(self._bounds, now())

    def labels(self, *values: object) -> HistogramChild:
        key = _label_values(self.labelnames, values)
        with self._lock:
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = HistogramChild(self._bounds, self._now())
            return child

    def observe(self, amount: float) -> None:
        if self.labelnames:
            raise ValueError(f"{self.name} has labels: observe through labels()")
        self._children[()].observe(amount)

    def as_family(self) -> Metric:
        from prometheus_client.metrics_core import HistogramMetricFamily
        from prometheus_client.utils import floatToGoString

        bound_label = cast(Callable[[float], str], floatToGoString)  # the library's `le`
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        shown = created_series_shown()
        with self._lock:
            children = list(self._children.items())
        for values, child in children:
            counts, total = child.cumulative()
            buckets = [(bound_label(b), n) for b, n in zip(self._bounds, counts, strict=True)]
            family.add_metric(list(values), buckets, total)
            if shown:
                labels = dict(zip(self.labelnames, values, strict=True))
                family.add_sample(f"{self.name}_created", labels, child.created)
        return family
