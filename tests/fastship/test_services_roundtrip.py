"""A real round trip to PostgreSQL and Redis through the configured settings."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection
from rq import SimpleWorker

from fastship.jobs import enqueue, get_queue
from fastship.redis import QUEUE_NAMES
from tests import jobs_for_tests


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_round_trip_with_statement_timeout():
    """The configured PostgreSQL answers and enforces the statement timeout."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 5


@pytest.mark.redis
def test_redis_round_trip_with_bounded_client(shared_redis):
    """The shared client answers and carries explicit timeouts and retries."""
    assert shared_redis.ping() is True
    shared_redis.set("fastship:test:roundtrip", "1", ex=10)
    assert shared_redis.get("fastship:test:roundtrip") == b"1"
    kwargs = shared_redis.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 1.0
    assert kwargs["socket_connect_timeout"] == 1.0
    assert kwargs["retry"].get_retries() == 1


@pytest.mark.redis
def test_cache_uses_redis():
    """Django's cache stores in Redis when Redis is configured."""
    cache.set("roundtrip", {"ok": True}, timeout=10)
    assert cache.get("roundtrip") == {"ok": True}


@pytest.mark.redis
@pytest.mark.parametrize("queue_name", QUEUE_NAMES)
def test_queue_job_runs_on_a_real_worker(shared_redis, queue_name):
    """A job enqueued on each queue is run by a real RQ worker."""
    queue = get_queue(queue_name)
    queue.empty()
    key = f"fastship:test:job:{queue_name}:{time.monotonic_ns()}"
    job = enqueue(queue_name, jobs_for_tests.store_value, key, "done")
    assert job is not None
    assert queue.connection is shared_redis  # one shared client, not one per call
    SimpleWorker([queue], connection=shared_redis).work(burst=True)
    assert shared_redis.get(key) == b"done"


def test_jobs_run_inline_without_redis(settings):
    """Without Redis a job runs in-process at once."""
    settings.FASTSHIP_REDIS = None
    seen: list[str] = []
    assert enqueue("default", seen.append, "ran") is None
    assert seen == ["ran"]
