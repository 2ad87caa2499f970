"""Readiness: concurrent checks, each with a timeout, under one overall deadline.

A round runs every registered check on its own thread and returns by the
deadline whatever the checks do; a check still running then is reported as
timed out and is not started again until it has returned, so a hung
dependency never piles up threads. Reports are cached for a short TTL and
concurrent callers share one round (single flight).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

logger = logging.getLogger(__name__)

Status = Literal["pass", "warn", "fail"]
_SEVERITY: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class CheckResult:
    """One reading of one check, as the health+json ``checks`` entry shows it."""

    status: Status
    observed_value: Any = None
    observed_unit: str | None = None
    output: str | None = None


class CheckError(Exception):
    """Raised by a check to report a failure with a short, safe message."""

    def __init__(
        self,
        output: str,
        *,
        observed_value: Any = None,
        observed_unit: str | None = None,
        status: Status | None = None,
    ) -> None:
        super().__init__(output)
        self.output = output
        self.observed_value = observed_value
        self.observed_unit = observed_unit
        self.status = status


class ReadinessCheck:
    """Base of a readiness check: subclass, set ``name``, implement ``measure``.

    ``measure`` runs on a worker thread, may block (bounded by its client's own
    timeouts) and raises :class:`CheckError` (or anything) on failure. A failure
    reports ``failure_status``: ``fail`` for what the API cannot serve without,
    ``warn`` for what degrades it.
    """

    name: ClassVar[str]
    component_type: ClassVar[str] = "component"
    failure_status: ClassVar[Status] = "fail"

    def __init__(self, *, timeout: float = 1.0) -> None:
        self.timeout = timeout

    def measure(self) -> CheckResult:
        raise NotImplementedError


# The readiness checks, in the order they report. Apps register their own
# (``register_check`` in their AppConfig.ready), so this package knows none of
# them: the infrastructure owns the list, the checks live with what they check.
_REGISTERED: list[type[ReadinessCheck]] = []


def register_check(check: type[ReadinessCheck]) -> type[ReadinessCheck]:
    """Add ``check`` to readiness (once; usable as a class decorator)."""
    if check not in _REGISTERED:
        _REGISTERED.append(check)
    return check


def registered_checks(timeout: float) -> list[ReadinessCheck]:
    """One instance of every registered check, each bounded by ``timeout``."""
    return [check(timeout=timeout) for check in _REGISTERED]


def safe_error_text(error: BaseException) -> str:
    """Describe ``error`` in a few words, never its message (it may hold secrets)."""
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    text = type(error).__name__
    lowered = str(error).lower()
    for marker, words in (
        ("timeout", "timed out"),
        ("timed out", "timed out"),
        ("refused", "connection refused"),
        ("authentication", "authentication failed"),
    ):
        if marker in lowered:
            return f"{text}: {words}"
    return text


def _now_iso() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Reading:
    """A check's result with the component type and the time it was taken."""

    result: CheckResult
    component_type: str
    time: str


@dataclass(frozen=True)
class Report:
    """The outcome of one round: an overall status and one reading per check."""

    readings: dict[str, Reading] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        worst: Status = "pass"
        for reading in self.readings.values():
            if _SEVERITY[reading.result.status] > _SEVERITY[worst]:
                worst = reading.result.status
        return worst

    def as_health_json(self, *, details: bool) -> dict[str, Any]:
        """Return the IETF health+json body; ``checks`` only with ``details``."""
        body: dict[str, Any] = {"status": self.status}
        if not details:
            return body
        from fastship.version import current

        release = current()
        body["version"] = release.version
        body["releaseId"] = release.commit
        checks: dict[str, list[dict[str, Any]]] = {}
        for name, reading in self.readings.items():
            entry: dict[str, Any] = {
                "componentType": reading.component_type,
                "status": reading.result.status,
                "observedValue": reading.result.observed_value,
                "observedUnit": reading.result.observed_unit,
                "time": reading.time,
            }
            if reading.result.output:
                entry["output"] = reading.result.output
            checks[name] = [entry]
        body["checks"] = checks
        return body


def measure_safely(check: ReadinessCheck) -> CheckResult:
    """Run ``check.measure`` and turn any failure into a safe result."""
    started = time.perf_counter()
    try:
        return check.measure()
    except CheckError as error:
        status = error.status or check.failure_status
        if error.observed_value is not None:
            return CheckResult(
                status, error.observed_value, error.observed_unit, error.output
            )
        return CheckResult(status, elapsed_ms(started), "ms", error.output)
    except Exception as error:
        logger.warning(
            "readiness check %s failed: %s", check.name, safe_error_text(error)
        )
        return CheckResult(
            check.failure_status, elapsed_ms(started), "ms", safe_error_text(error)
        )


def elapsed_ms(started: float) -> float:
    """Return milliseconds since ``started`` (a ``perf_counter`` reading), rounded."""
    return round((time.perf_counter() - started) * 1000, 2)


class Readiness:
    """Runs rounds of checks; one per TTL, shared by every caller in the meantime."""

    def __init__(
        self,
        checks: Sequence[ReadinessCheck],
        *,
        deadline: float,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.checks = list(checks)
        self.deadline = deadline
        self.ttl = ttl
        self.clock = clock
        self.rounds = 0
        self._lock = threading.Lock()
        self._cached: tuple[float, Report] | None = None
        self._inflight: Future[Report] | None = None
        self._running: dict[str, Future[CheckResult]] = {}
        self._executor = ThreadPoolExecutor(
            max_workers=max(2, 2 * len(self.checks)),
            thread_name_prefix="readiness-check",
        )

    def report_future(self) -> Future[Report]:
        """Return a future of the current report: cached, in flight, or a new round."""
        with self._lock:
            if self._cached is not None and self.clock() - self._cached[0] < self.ttl:
                done: Future[Report] = Future()
                done.set_result(self._cached[1])
                return done
            if self._inflight is not None:
                return self._inflight
            future: Future[Report] = Future()
            self._inflight = future
            self.rounds += 1
        threading.Thread(
            target=self._round, args=(future,), name="readiness-round", daemon=True
        ).start()
        return future

    def _round(self, future: Future[Report]) -> None:
        try:
            report = self.run_round()
        except BaseException as error:  # the future must always complete
            with self._lock:
                self._inflight = None
            future.set_exception(error)
            return
        with self._lock:
            self._cached = (self.clock(), report)
            self._inflight = None
        future.set_result(report)

    def run_round(self) -> Report:
        """Run every check concurrently and return by the deadline."""
        started = time.monotonic()
        futures: dict[str, Future[CheckResult]] = {}
        stale: set[str] = set()
        for check in self.checks:
            previous = self._running.get(check.name)
            if previous is not None and not previous.done():
                stale.add(check.name)
                continue
            futures[check.name] = self._executor.submit(measure_safely, check)
            self._running[check.name] = futures[check.name]
        by_name = {check.name: check for check in self.checks}
        limits = {
            name: started + min(by_name[name].timeout, self.deadline)
            for name in futures
        }
        pending = set(futures)
        timed_out: set[str] = set()
        while pending:
            now = time.monotonic()
            expired = {name for name in pending if limits[name] <= now}
            timed_out |= expired
            pending -= expired
            if not pending:
                break
            wait_for = min(limits[name] for name in pending) - now
            wait(
                [futures[name] for name in pending],
                timeout=wait_for,
                return_when=FIRST_COMPLETED,
            )
            pending = {name for name in pending if not futures[name].done()}
        readings: dict[str, Reading] = {}
        for check in self.checks:
            if check.name in stale:
                result = CheckResult(
                    check.failure_status,
                    None,
                    "ms",
                    "timed out (earlier run still pending)",
                )
            elif check.name in timed_out and not futures[check.name].done():
                limit_ms = round(min(check.timeout, self.deadline) * 1000)
                result = CheckResult(check.failure_status, limit_ms, "ms", "timed out")
            else:
                result = futures[check.name].result()
            readings[check.name] = Reading(result, check.component_type, _now_iso())
        return Report(readings)
