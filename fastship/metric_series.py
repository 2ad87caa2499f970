"""Counts and latencies by dimension, written as embedded-metric-format lines.

A request, a job run or a webhook attempt adds to a series in memory (a dict
update under a lock: nothing waits on the network). Every
``METRICS_FLUSH_SECONDS`` a thread of the process writes one EMF line per
series that changed, and the API's lifespan shutdown and the worker's exit
write what is left. Each line carries the release's ``Version``, so a
dashboard can tell the two releases apart during a deploy.

Series (namespace ``CLOUDWATCH_METRICS_NAMESPACE``):

- ``Requests`` and ``RequestLatency`` (ms, up to 100 sampled values per line)
  by ``Route`` (the URL pattern, never the path), ``Method``, ``StatusClass``;
- ``JobRuns``, ``JobFailures``, ``JobLatency`` (ms) by ``Queue``;
- ``WebhookAttempts``, ``WebhookFailures`` by ``EndpointHealth`` (``healthy``:
  its last attempt succeeded; ``failing``);
- ``SpansDropped``: trace spans the exporter's full queue turned away.

Requests also roll up by ``StatusClass`` alone and by ``StatusClass`` and
``Version``; jobs and webhook attempts by ``Version``: the views an operator
reads first (the application stack's dashboard draws them).
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field

logger = logging.getLogger("fastship.metrics")

REQUESTS = "Requests"
REQUEST_LATENCY = "RequestLatency"
JOB_RUNS = "JobRuns"
JOB_FAILURES = "JobFailures"
JOB_LATENCY = "JobLatency"
WEBHOOK_ATTEMPTS = "WebhookAttempts"
WEBHOOK_FAILURES = "WebhookFailures"
SPANS_DROPPED = "SpansDropped"
UNITS = {
    REQUESTS: "Count",
    REQUEST_LATENCY: "Milliseconds",
    JOB_RUNS: "Count",
    JOB_FAILURES: "Count",
    JOB_LATENCY: "Milliseconds",
    WEBHOOK_ATTEMPTS: "Count",
    WEBHOOK_FAILURES: "Count",
    SPANS_DROPPED: "Count",
}
# The dimension sets each kind of series is published under (EMF "Dimensions").
ROLLUPS = {
    "request": [
        ["Route", "Method", "StatusClass"],
        ["StatusClass"],
        ["StatusClass", "Version"],
    ],
    "job": [["Queue"], ["Version"]],
    "webhook": [["EndpointHealth"], ["Version"]],
    "tracing": [["Version"]],
}
MAX_VALUES = 100  # EMF takes at most 100 values of one metric per document


@dataclass
class Series:
    kind: str
    dimensions: dict[str, str]
    counts: dict[str, float] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # values offered, for sampling

    def count(self, name: str, amount: float = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def value(self, name: str, amount: float) -> None:
        """Keep a uniform sample of at most MAX_VALUES (reservoir sampling)."""
        kept = self.values.setdefault(name, [])
        self.seen[name] = seen = self.seen.get(name, 0) + 1
        if len(kept) < MAX_VALUES:
            kept.append(round(amount, 3))
        elif (slot := random.randrange(seen)) < MAX_VALUES:  # noqa: S311 - sampling
            kept[slot] = round(amount, 3)


class Recorder:
    """The process's series; flushed by a thread of its own (started lazily)."""

    def __init__(self, namespace: str, version: str, every: float) -> None:
        self.namespace, self.version, self.every = namespace, version, every
        self._lock = threading.Lock()
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], Series] = {}
        self._pid = 0  # the process whose thread flushes (a fork starts its own)

    def series(self, kind: str, **dimensions: str) -> Series:
        """The series to add to (call under :meth:`adding`)."""
        key = (kind, tuple(sorted(dimensions.items())))
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = Series(kind, dimensions)
        return found

    def adding(self) -> threading.Lock:
        if self._pid != os.getpid():
            self._start()
        return self._lock

    def _start(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()  # a lock held at fork time stays held
        self._series = {}
        threading.Thread(target=self._run, name="metrics-flush", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.every)
            try:
                self.flush()
            except Exception:  # a bug here must not end the thread silently
                logger.exception("metrics flush failed")

    def flush(self) -> list[str]:
        """Write (and return) one EMF line per series, and start them afresh."""
        from fastship import tracing

        dropped = tracing.take_dropped()
        with self._lock:
            if dropped:
                self.series("tracing").count(SPANS_DROPPED, dropped)
            taken, self._series = self._series, {}
        now = int(time.time() * 1000)
        lines = [self.line(series, now) for series in taken.values()]
        for line in lines:
            logger.info(line)
        return lines

    def line(self, series: Series, now: int) -> str:
        names = [*series.counts, *series.values]
        return json.dumps(
            {
                "_aws": {
                    "Timestamp": now,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": self.namespace,
                            "Dimensions": ROLLUPS[series.kind],
                            "Metrics": [
                                {"Name": name, "Unit": UNITS[name]} for name in names
                            ],
                        }
                    ],
                },
                **series.dimensions,
                "Version": self.version,
                **series.counts,
                **series.values,
            },
            separators=(",", ":"),
        )


# The process's recorder; False once found off (no namespace); None: not known.
_recorder: Recorder | bool | None = None
_made = threading.Lock()
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def recorder() -> Recorder | None:
    """The process's recorder; None when metrics are off (no namespace set)."""
    global _recorder
    if _recorder is None:
        from django.conf import settings

        from fastship.version import current

        with _made:
            if _recorder is None:
                namespace = settings.CLOUDWATCH_METRICS_NAMESPACE
                _recorder = bool(namespace) and Recorder(
                    namespace, current().version, settings.METRICS_FLUSH_SECONDS
                )
    return _recorder if isinstance(_recorder, Recorder) else None


def reset() -> None:
    """Forget the recorder (tests change the settings it was made from)."""
    global _recorder
    _recorder = None


def flush() -> None:
    """Write what is recorded now (at shutdown)."""
    if isinstance(_recorder, Recorder):
        _recorder.flush()


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def request_done(route: str, method: str, status: int, milliseconds: float) -> None:
    found = recorder()
    if found is None:
        return
    with found.adding():
        series = found.series(
            "request",
            Route=route,
            Method=method if method in METHODS else "OTHER",
            StatusClass=status_class(status),
        )
        series.count(REQUESTS)
        series.value(REQUEST_LATENCY, milliseconds)


def job_done(queue: str, *, failed: bool, milliseconds: float) -> None:
    found = recorder()
    if found is None:
        return
    with found.adding():
        series = found.series("job", Queue=queue)
        series.count(JOB_RUNS)
        series.count(JOB_FAILURES, 1 if failed else 0)
        series.value(JOB_LATENCY, milliseconds)


def webhook_attempted(*, endpoint_failing: bool, failed: bool) -> None:
    found = recorder()
    if found is None:
        return
    with found.adding():
        series = found.series(
            "webhook", EndpointHealth="failing" if endpoint_failing else "healthy"
        )
        series.count(WEBHOOK_ATTEMPTS)
        series.count(WEBHOOK_FAILURES, 1 if failed else 0)
