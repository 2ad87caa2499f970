"""Ship request-log records off the request path: buffer → batches → RQ.

The request thread only appends to a bounded in-process buffer (a full buffer
drops the record and counts it). One daemon thread per process takes batches
(by size or time, whichever first) and enqueues one RQ job per batch through a
Redis client of its own with short timeouts and no retries. After repeated
failures a circuit breaker opens for a while; batches that fail, or meet an
open breaker, are written to stdout as JSON lines and counted. The counters
always add up: ``buffered = shipped + dropped + fallback_written + pending``.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastship.breaker import CircuitBreaker
from fastship.redis import RedisTimeouts, client_from_settings

logger = logging.getLogger(__name__)
fallback_logger = logging.getLogger("fastship.requestlog.fallback")

Record = dict[str, Any]
Sender = Callable[[list[Record]], None]


@dataclass(frozen=True)
class ShipperConfig:
    """Bounds of the pipeline (``REQUEST_LOG_*`` settings)."""

    buffer_size: int = 10_000
    batch_size: int = 200
    flush_interval: float = 1.0
    enqueue_timeout: float = 0.2
    breaker_threshold: int = 3
    breaker_reset_seconds: float = 30.0
    exit_flush_seconds: float = 2.0


def write_fallback(records: list[Record]) -> None:
    """Write records as JSON lines to the stdout log (the raw fallback logger)."""
    for record in records:
        fallback_logger.info(
            json.dumps({"event": "request_log", **record}, default=str)
        )


class RequestLogShipper:
    """The buffer and its shipper thread; one per process (see :func:`get_shipper`)."""

    def __init__(
        self,
        config: ShipperConfig,
        *,
        send: Sender,
        fallback: Callable[[list[Record]], None] = write_fallback,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._send = send
        self._fallback = fallback
        self._clock = clock
        self._init_state()

    def _init_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._records: deque[Record] = deque()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.breaker = CircuitBreaker(
            self.config.breaker_threshold,
            self.config.breaker_reset_seconds,
            self._clock,
        )
        self.buffered = 0
        self.shipped = 0
        self.dropped = 0
        self.fallback_written = 0
        self.pending = 0
        self.batches_shipped = 0
        self.batches_failed = 0
        self.last_drop_at: float | None = None
        self.last_error: str | None = None

    def reset_after_fork(self) -> None:
        """In a forked child: the parent ships what it buffered; start afresh."""
        self._init_state()

    # --- the request path: no I/O, no waiting ----------------------------------

    def submit(self, record: Record) -> bool:
        """Buffer ``record`` without waiting; return False if the buffer was full."""
        with self._cond:
            self.buffered += 1
            if self.pending >= self.config.buffer_size or self._stopping:
                self.dropped += 1
                self.last_drop_at = self._clock()
                return False
            self.pending += 1
            self._records.append(record)
            size = len(self._records)
            if self._thread is None:
                self._start_thread()
            if size == 1 or size >= self.config.batch_size:
                self._cond.notify()
        return True

    def _start_thread(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="request-log-shipper", daemon=True
        )
        self._thread.start()

    # --- the shipper thread ------------------------------------------------------

    def _next_batch(self) -> list[Record] | None:
        """Wait for a batch (size or time, whichever first); None when stopping."""
        with self._cond:
            while not self._records and not self._stopping:
                self._cond.wait()
            if not self._records:
                return None
            first_seen = time.monotonic()
            while len(self._records) < self.config.batch_size and not self._stopping:
                remaining = first_seen + self.config.flush_interval - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            count = min(len(self._records), self.config.batch_size)
            return [self._records.popleft() for _ in range(count)]

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self.ship(batch)

    def ship(self, batch: list[Record]) -> None:
        """Send one batch, or write it to the fallback log; count either way."""
        if self.breaker.allow():
            try:
                self._send(batch)
            except Exception as error:
                opened_before = self.breaker.times_opened
                self.breaker.record_failure()
                self.last_error = type(error).__name__
                with self._cond:
                    self.batches_failed += 1
                if self.breaker.times_opened > opened_before:
                    logger.warning(
                        "request-log shipping failing (%s); breaker open for %.0fs, "
                        "writing batches to stdout meanwhile",
                        self.last_error,
                        self.config.breaker_reset_seconds,
                    )
            else:
                self.breaker.record_success()
                with self._cond:
                    self.shipped += len(batch)
                    self.pending -= len(batch)
                    self.batches_shipped += 1
                return
        try:
            self._fallback(batch)
        except Exception:  # stdout itself failed: nothing else can take them
            with self._cond:
                self.dropped += len(batch)
                self.pending -= len(batch)
                self.last_drop_at = self._clock()
            return
        with self._cond:
            self.fallback_written += len(batch)
            self.pending -= len(batch)

    # --- exit ----------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> None:
        """Ship what is buffered within ``timeout`` seconds, then stop the thread.

        Records still buffered at the deadline go to the fallback log, so a
        clean exit loses nothing.
        """
        timeout = self.config.exit_flush_seconds if timeout is None else timeout
        with self._cond:
            self._stopping = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._cond:
            leftover = list(self._records)
            self._records.clear()
        if leftover:
            # The thread is stuck or never ran: the breaker decides nothing now.
            try:
                self._fallback(leftover)
            except Exception:
                with self._cond:
                    self.dropped += len(leftover)
                    self.pending -= len(leftover)
                return
            with self._cond:
                self.fallback_written += len(leftover)
                self.pending -= len(leftover)

    def stats(self) -> dict[str, Any]:
        """Return a consistent snapshot of the counters and the breaker state."""
        with self._cond:
            return {
                "buffered": self.buffered,
                "shipped": self.shipped,
                "dropped": self.dropped,
                "fallbackWritten": self.fallback_written,
                "pending": self.pending,
                "batchesShipped": self.batches_shipped,
                "batchesFailed": self.batches_failed,
                "breaker": self.breaker.state,
                "breakerOpenedTimes": self.breaker.times_opened,
                "lastError": self.last_error,
                "secondsSinceLastDrop": (
                    None
                    if self.last_drop_at is None
                    else round(self._clock() - self.last_drop_at, 1)
                ),
            }


# --- the process-wide shipper ------------------------------------------------------


def rq_sender(timeout: float) -> Sender:
    """Return a sender enqueueing one job per batch through its own bounded client."""
    from rq import Queue, Retry

    from fastship.requestlog.jobs import store_request_logs

    clients: dict[int, Queue] = {}

    def send(batch: list[Record]) -> None:
        queue = clients.get(os.getpid())
        if queue is None:
            client = client_from_settings(
                RedisTimeouts(
                    connect_seconds=timeout, socket_seconds=timeout, retries=0
                )
            )
            queue = Queue("request_logs", connection=client)
            clients.clear()
            clients[os.getpid()] = queue
        queue.enqueue(
            store_request_logs,
            args=(batch,),
            result_ttl=0,
            ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            job_timeout=60,
            retry=Retry(max=3, interval=[10, 60, 300]),
        )

    return send


def inline_sender(batch: list[Record]) -> None:
    """Without Redis: store the batch from the shipper thread itself."""
    from django.db import connections

    from fastship.requestlog.jobs import store_request_logs

    try:
        store_request_logs(batch)
    finally:
        # This thread's connections: nobody else would ever close them.
        connections.close_all()


_lock = threading.Lock()
_shipper: list[RequestLogShipper] = []


def config_from_settings() -> ShipperConfig:
    from django.conf import settings

    return ShipperConfig(
        buffer_size=settings.REQUEST_LOG_BUFFER_SIZE,
        batch_size=settings.REQUEST_LOG_BATCH_SIZE,
        flush_interval=settings.REQUEST_LOG_FLUSH_INTERVAL,
        enqueue_timeout=settings.REQUEST_LOG_ENQUEUE_TIMEOUT,
        breaker_threshold=settings.REQUEST_LOG_BREAKER_THRESHOLD,
        breaker_reset_seconds=settings.REQUEST_LOG_BREAKER_RESET_SECONDS,
        exit_flush_seconds=settings.REQUEST_LOG_EXIT_FLUSH_SECONDS,
    )


def get_shipper() -> RequestLogShipper:
    """Return this process's shipper, built from settings on first use."""
    if _shipper:
        return _shipper[0]
    from django.conf import settings

    with _lock:
        if not _shipper:
            config = config_from_settings()
            send = (
                inline_sender
                if settings.FASTSHIP_REDIS is None
                else rq_sender(config.enqueue_timeout)
            )
            _shipper.append(RequestLogShipper(config, send=send))
            atexit.register(flush_shipper)
    return _shipper[0]


def flush_shipper(timeout: float | None = None) -> None:
    """Flush this process's shipper if it exists (atexit, gunicorn worker_exit)."""
    if _shipper:
        _shipper[0].flush(timeout)


def reset_shipper() -> None:
    """Flush and forget the shipper (tests that change settings)."""
    with _lock:
        shipper = _shipper.pop() if _shipper else None
    if shipper is not None:
        shipper.flush(1.0)


def _after_fork_in_child() -> None:
    if _shipper:
        _shipper[0].reset_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
