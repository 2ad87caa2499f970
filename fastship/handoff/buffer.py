"""The bounded buffer and its thread (see the package's docstring)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastship.breaker import CircuitBreaker
from fastship.handoff.types import (
    MAX_RESENDS,
    STATS,
    Confirmer,
    HandoffConfig,
    InFlight,
    Record,
    Sender,
)

logger = logging.getLogger(__name__)


class BackgroundHandoff:
    """The buffer and its thread; one per kind of work and process."""

    def __init__(
        self,
        config: HandoffConfig,
        *,
        send: Sender,
        fallback: Callable[[list[Record]], None],
        confirm: Confirmer | None = None,
        name: str = "handoff",
        clock: Callable[[], float] = time.monotonic,
        report_losses: Callable[[int, int], None] | None = None,
    ) -> None:
        self.config = config
        self.name = name
        self._send = send
        self._confirm = confirm
        self._fallback = fallback
        self._report_losses = report_losses
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
        self._in_flight: dict[str, InFlight] = {}
        self._last_confirm = 0.0
        self.buffered = 0
        self.stored = 0
        self.resent_batches = 0
        self.dropped = 0
        self.fallback_written = 0
        self.pending = 0
        self.batches_shipped = 0
        self.batches_failed = 0
        self.last_drop_at: float | None = None
        self.last_error: str | None = None
        self._reported = (0, 0)  # dropped, fallback_written at the last report
        self._last_report = self._clock()

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
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    # --- the shipper thread ------------------------------------------------------

    def _next_batch(self) -> list[Record] | None:
        """Wait for a batch (size or time, whichever first); None when stopping.

        An empty list means "nothing yet": time to confirm what is in flight.
        """
        with self._cond:
            while not self._records and not self._stopping:
                if not self._cond.wait(self._wake_after()):
                    return []
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
            if batch:
                self.ship(batch)
            if self._clock() - self._last_confirm >= self.config.confirm_interval:
                self.confirm_in_flight()
            self.report_losses()
            if batch is None:
                return

    def _wake_after(self) -> float | None:
        """Seconds an idle thread may sleep: until a confirmation or a report is due."""
        waits = []
        if self._in_flight:
            waits.append(self.config.confirm_interval)
        if self._report_losses and self._reported != (
            self.dropped,
            self.fallback_written,
        ):
            due = self._last_report + self.config.report_interval - self._clock()
            waits.append(max(due, 0.01))
        return min(waits, default=None)

    def report_losses(self, *, now: bool = False) -> None:
        """Report records dropped or written to the fallback since the last report.

        At most once per ``report_interval`` (``now`` at exit), so a long outage
        costs one report line per interval, never one per record.
        """
        if self._report_losses is None:
            return
        with self._cond:
            totals = (self.dropped, self.fallback_written)
            due = self._clock() - self._last_report >= self.config.report_interval
            if totals == self._reported or not (due or now):
                return
            dropped = totals[0] - self._reported[0]
            fallback = totals[1] - self._reported[1]
            self._reported, self._last_report = totals, self._clock()
        try:
            self._report_losses(dropped, fallback)
        except Exception:
            logger.exception("%s: losses not reported", self.name)

    def ship(self, batch: list[Record]) -> None:
        """Send one batch, or write it to the fallback log; count either way."""
        self._ship(batch, resends=0)

    def _ship(self, batch: list[Record], *, resends: int) -> None:
        if self.breaker.allow():
            try:
                receipt = self._send(batch)
            except Exception as error:
                opened_before = self.breaker.times_opened
                self.breaker.record_failure()
                self.last_error = type(error).__name__
                with self._cond:
                    self.batches_failed += 1
                if self.breaker.times_opened > opened_before:
                    logger.warning(
                        "%s failing (%s); breaker open for %.0fs, "
                        "batches go to the fallback meanwhile",
                        self.name,
                        self.last_error,
                        self.config.breaker_reset_seconds,
                    )
            else:
                self.breaker.record_success()
                with self._cond:
                    self.batches_shipped += 1
                    if receipt is None or self._confirm is None:
                        self.stored += len(batch)
                        self.pending -= len(batch)
                    else:
                        self._in_flight[receipt] = InFlight(
                            batch, self._clock(), resends
                        )
                return
        self._write_fallback(batch)

    def _write_fallback(self, batch: list[Record]) -> None:
        """Write ``batch`` to the fallback log; count it there, or as dropped."""
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

    def confirm_in_flight(self) -> None:
        """Settle batches the worker stored, lost or failed; resend or fall back."""
        self._last_confirm = self._clock()
        with self._cond:
            receipts = list(self._in_flight)
        if not receipts or self._confirm is None:
            return
        try:
            outcomes = self._confirm(receipts)
        except Exception as error:  # Redis out: ask again later, within the window
            self.last_error = type(error).__name__
            outcomes = {}
        now = self._clock()
        for receipt in receipts:
            outcome = outcomes.get(receipt, "waiting")
            with self._cond:
                entry = self._in_flight[receipt]
                expired = now - entry.sent_at > self.config.confirm_seconds
                if outcome == "stored":
                    del self._in_flight[receipt]
                    self.stored += len(entry.batch)
                    self.pending -= len(entry.batch)
                    continue
                if outcome == "waiting" and not expired:
                    continue
                del self._in_flight[receipt]
            if outcome == "missing" and entry.resends < MAX_RESENDS and not expired:
                self.resent_batches += 1
                self._ship(entry.batch, resends=entry.resends + 1)
            else:
                self._write_fallback(entry.batch)

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
        deadline = time.monotonic() + timeout
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        # What the worker has not confirmed yet: ask until the deadline, then
        # the fallback takes the rest (possibly stored as well: never lost).
        while self._in_flight and time.monotonic() < deadline:
            self.confirm_in_flight()
            if self._in_flight:
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        with self._cond:
            leftover = list(self._records)
            self._records.clear()
            for entry in self._in_flight.values():
                leftover.extend(entry.batch)
            self._in_flight.clear()
        if leftover:
            # The thread is stuck or never ran: the breaker decides nothing now.
            self._write_fallback(leftover)
        self.report_losses(now=True)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything submitted so far was settled (tests, commands)."""
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            time.sleep(0.01)

    def stats(self) -> dict[str, Any]:
        """Return a consistent snapshot of the counters and the breaker state."""
        with self._cond:
            drop = self.last_drop_at
            return {key: getattr(self, attribute) for key, attribute in STATS} | {
                "inFlightBatches": len(self._in_flight),
                "breaker": self.breaker.state,
                "breakerOpenedTimes": self.breaker.times_opened,
                "secondsSinceLastDrop": (
                    None if drop is None else round(self._clock() - drop, 1)
                ),
            }
