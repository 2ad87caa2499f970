"""The shipper: bounded buffer, batches, breaker, fallback, counters that add up."""

from __future__ import annotations

import threading
import time

from fastship.breaker import CircuitBreaker
from fastship.handoff import BackgroundHandoff, HandoffConfig


def record(number: int) -> dict:
    return {"record_id": f"r{number}", "path": "/x", "status_code": 200}


def adds_up(stats: dict) -> bool:
    return stats["buffered"] == (
        stats["stored"] + stats["dropped"] + stats["fallbackWritten"] + stats["pending"]
    )


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


class Recorder:
    def __init__(self, fail: bool = False, block: threading.Event | None = None):
        self.batches: list[list[dict]] = []
        self.fail = fail
        self.block = block

    def __call__(self, batch):
        if self.block is not None:
            self.block.wait(10)
        if self.fail:
            raise ConnectionError("redis down")
        self.batches.append(batch)


def test_batches_by_size_and_by_time():
    """A full batch ships at once; a partial one after the flush interval."""
    sender = Recorder()
    config = HandoffConfig(batch_size=5, flush_interval=0.2)
    shipper = BackgroundHandoff(config, send=sender, fallback=Recorder())
    for number in range(12):
        shipper.submit(record(number))
    wait_until(lambda: shipper.stats()["stored"] == 12)
    assert [len(batch) for batch in sender.batches] == [5, 5, 2]
    assert adds_up(shipper.stats())
    shipper.flush(1)


def test_full_buffer_drops_and_counts_without_waiting():
    """With the sender stuck, a full buffer drops records at once and counts them."""
    release = threading.Event()
    sender = Recorder(block=release)
    shipper = BackgroundHandoff(
        HandoffConfig(buffer_size=10, batch_size=5, flush_interval=0.05),
        send=sender,
        fallback=Recorder(),
    )
    started = time.perf_counter()
    accepted = [shipper.submit(record(number)) for number in range(100)]
    elapsed = time.perf_counter() - started
    stats = shipper.stats()
    assert accepted.count(True) == 10
    assert stats["dropped"] == 90
    assert stats["secondsSinceLastDrop"] is not None
    assert adds_up(stats)
    assert elapsed < 0.5  # 100 submits never waited on the stuck sender
    release.set()
    wait_until(lambda: shipper.stats()["pending"] == 0)
    assert shipper.stats()["stored"] == 10
    shipper.flush(1)


def test_breaker_opens_and_batches_fall_back():
    """Repeated failures open the breaker; batches then go to the fallback."""
    fallback = Recorder()
    sender = Recorder(fail=True)
    shipper = BackgroundHandoff(
        HandoffConfig(batch_size=1, flush_interval=0.01, breaker_threshold=3),
        send=sender,
        fallback=fallback,
    )
    for number in range(10):
        shipper.submit(record(number))
    wait_until(lambda: shipper.stats()["pending"] == 0)
    stats = shipper.stats()
    assert stats["breaker"] == "open"
    assert stats["batchesFailed"] == 3  # only three tries before the breaker opened
    assert stats["fallbackWritten"] == 10
    assert sum(len(batch) for batch in fallback.batches) == 10
    assert adds_up(stats)
    shipper.flush(1)


def test_breaker_half_opens_and_closes_on_success():
    """After the reset time one trial goes through; success closes the breaker."""
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_seconds=30, clock=lambda: now[0])
    breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    now[0] = 31
    assert breaker.allow()
    assert breaker.state == "half_open"
    breaker.record_failure()
    assert breaker.state == "open"
    now[0] = 62
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"


def test_flush_ships_what_is_buffered_and_falls_back_on_a_stuck_sender():
    """At exit, buffered records are shipped; a stuck sender's leftovers fall back."""
    sender = Recorder()
    shipper = BackgroundHandoff(
        HandoffConfig(batch_size=1000, flush_interval=60),
        send=sender,
        fallback=Recorder(),
    )
    for number in range(7):
        shipper.submit(record(number))
    shipper.flush(2)
    assert shipper.stats()["stored"] == 7

    release = threading.Event()
    fallback = Recorder()
    stuck = BackgroundHandoff(
        HandoffConfig(batch_size=2, flush_interval=0.01),
        send=Recorder(block=release),
        fallback=fallback,
    )
    for number in range(6):
        stuck.submit(record(number))
    time.sleep(0.1)
    started = time.monotonic()
    stuck.flush(0.3)
    assert time.monotonic() - started < 2
    release.set()
    wait_until(lambda: stuck.stats()["pending"] == 0)
    stats = stuck.stats()
    assert stats["fallbackWritten"] >= 4
    assert adds_up(stats)


def test_records_after_stop_are_dropped_and_counted():
    """A record offered after the final flush is counted as dropped."""
    shipper = BackgroundHandoff(HandoffConfig(), send=Recorder(), fallback=Recorder())
    shipper.flush(0.1)
    assert shipper.submit(record(1)) is False
    assert shipper.stats()["dropped"] == 1
