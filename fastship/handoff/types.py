"""What a hand-off is given: its bounds, its sender and confirmer, a batch in flight."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastship.config.features import RequestLog

Record = Any  # one item: a request-log record, a job to enqueue
# A sender stores a batch (returns None) or hands it on (returns a receipt that
# a confirmer later reports on).
Sender = Callable[[list[Record]], "str | None"]
# Receipts → "stored", "failed", "missing" or "waiting".
Confirmer = Callable[[list[str]], dict[str, str]]
MAX_RESENDS = 3
# stats() keys and the counters they show.
STATS = (
    ("buffered", "buffered"),
    ("stored", "stored"),
    ("dropped", "dropped"),
    ("fallbackWritten", "fallback_written"),
    ("pending", "pending"),
    ("batchesResent", "resent_batches"),
    ("batchesShipped", "batches_shipped"),
    ("batchesFailed", "batches_failed"),
    ("lastError", "last_error"),
)


@dataclass
class InFlight:
    """A batch handed on and not yet confirmed stored."""

    batch: list[Record]
    sent_at: float
    resends: int = 0


@dataclass(frozen=True)
class HandoffConfig:
    """Bounds of one hand-off: buffer, batches, breaker, exit and confirmation."""

    # The request-log shipper's declared defaults (fastship/config/features.py).
    buffer_size: int = RequestLog.REQUEST_LOG_BUFFER_SIZE.default
    batch_size: int = RequestLog.REQUEST_LOG_BATCH_SIZE.default
    flush_interval: float = RequestLog.REQUEST_LOG_FLUSH_INTERVAL.default
    enqueue_timeout: float = RequestLog.REQUEST_LOG_ENQUEUE_TIMEOUT.default
    breaker_threshold: int = RequestLog.REQUEST_LOG_BREAKER_THRESHOLD.default
    breaker_reset_seconds: float = RequestLog.REQUEST_LOG_BREAKER_RESET_SECONDS.default
    exit_flush_seconds: float = RequestLog.REQUEST_LOG_EXIT_FLUSH_SECONDS.default
    confirm_interval: float = 1.0
    confirm_seconds: float = RequestLog.REQUEST_LOG_CONFIRM_SECONDS.default
    report_interval: float = 10.0
