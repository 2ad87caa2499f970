"""A small circuit breaker: stop calling a failing dependency for a while."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures → half-open after a while.

    Thread-safe; a half-open breaker lets calls through until one fails (open
    again) or succeeds (closed).
    """

    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

    def __init__(
        self,
        threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.state = self.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.times_opened = 0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Return whether a call may be tried now (moving open → half-open in time)."""
        with self._lock:
            if (
                self.state == self.OPEN
                and self.clock() - self.opened_at >= self.reset_seconds
            ):
                self.state = self.HALF_OPEN
            return self.state != self.OPEN

    def record_success(self) -> None:
        with self._lock:
            self.state = self.CLOSED
            self.failures = 0

    def record_failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.state == self.HALF_OPEN or self.failures >= self.threshold:
                if self.state != self.OPEN:
                    self.times_opened += 1
                self.state = self.OPEN
                self.opened_at = self.clock()
