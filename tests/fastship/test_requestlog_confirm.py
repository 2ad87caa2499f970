"""Request-log batches count as stored only when the worker stored them.

A ``redis-server`` of the test's own is restarted empty while batches wait in
it: the shipper notices the vanished jobs, enqueues them again, and the
counters match what the database holds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from rq import Queue, SimpleWorker

from fastship.env import RedisConfig
from fastship.handoff import BackgroundHandoff, HandoffConfig
from fastship.requestlog.models import RequestLog
from fastship.requestlog.shipper import rq_sender
from tests.servers import private_redis, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def make_record() -> dict:
    return {
        "record_id": str(uuid.uuid4()),
        "request_id": "r",
        "started_at": datetime.now(tz=UTC).isoformat(),
        "method": "GET",
        "path": "/x",
        "status_code": 200,
        "duration_ms": 1.0,
    }


def adds_up(stats: dict) -> bool:
    return stats["buffered"] == (
        stats["stored"] + stats["dropped"] + stats["fallbackWritten"] + stats["pending"]
    )


def shipper_on(settings, redis, **config) -> tuple[BackgroundHandoff, list]:
    settings.FASTSHIP_REDIS = RedisConfig(host="127.0.0.1", port=redis.port)
    fallback: list = []
    send, confirm = rq_sender(0.5)
    shipper = BackgroundHandoff(
        HandoffConfig(
            batch_size=10, flush_interval=0.05, confirm_interval=0.2, **config
        ),
        send=send,
        confirm=confirm,
        fallback=fallback.extend,
    )
    return shipper, fallback


def drain(redis) -> None:
    from redis import Redis

    connection = Redis(port=redis.port)
    SimpleWorker(
        [Queue("request_logs", connection=connection)], connection=connection
    ).work(burst=True)


def test_batches_lost_in_a_redis_restart_are_sent_again_and_counted(settings):
    """Served = stored in the database, across a Redis restart that empties it."""
    with private_redis() as redis:
        shipper, fallback = shipper_on(settings, redis)
        records = [make_record() for _ in range(30)]
        for record in records:
            shipper.submit(record)
        assert wait_until(lambda: shipper.stats()["inFlightBatches"] == 3, seconds=20)
        assert shipper.stats()["stored"] == 0  # enqueued is not stored
        redis.restart_empty()  # the three jobs are gone
        assert wait_until(lambda: shipper.stats()["batchesResent"] == 3, seconds=20)
        drain(redis)
        assert wait_until(lambda: shipper.stats()["pending"] == 0, seconds=20), (
            shipper.stats()
        )
        stats = shipper.stats()
        shipper.flush(1)
    ids = {record["record_id"] for record in records}
    assert RequestLog.objects.filter(record_id__in=ids).count() == 30
    assert stats["stored"] == 30
    assert fallback == []
    assert adds_up(stats)


def test_batches_never_confirmed_fall_back_to_stdout(settings):
    """No worker within the window: the batches go to the fallback, counted."""
    with private_redis() as redis:
        shipper, fallback = shipper_on(settings, redis, confirm_seconds=1.0)
        for _ in range(20):
            shipper.submit(make_record())
        assert wait_until(lambda: shipper.stats()["pending"] == 0, seconds=20), (
            shipper.stats()
        )
        stats = shipper.stats()
        shipper.flush(1)
    assert stats["stored"] == 0
    assert stats["fallbackWritten"] == 20
    assert len(fallback) == 20
    assert adds_up(stats)
