"""Request logs on PostgreSQL: a partition a day, made ahead, dropped whole, never
in an insert's way."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from fastship.requestlog import partitions
from fastship.requestlog.jobs import prune_request_logs_job, store_request_logs
from fastship.requestlog.models import RequestLog

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def record(at: datetime, **fields) -> dict:
    return {
        "record_id": uuid.uuid4().hex,
        "request_id": uuid.uuid4().hex,
        "started_at": at.isoformat(),
        "method": "GET",
        "path": "/api/v1/",
        "query_string": "",
        "status_code": 200,
        "duration_ms": 1.0,
        "user_id": None,
        "user_role": "",
        "credential": "",
        "client_ip": None,
        "user_agent": "",
        "response_size": 10,
        **fields,
    }


def raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def test_migrated_table_is_partitioned_with_days_ahead():
    today = datetime.now(UTC).date()
    assert partitions.is_partitioned()
    made = partitions.partitions()
    for offset in range(-1, partitions.DAYS_AHEAD + 1):
        assert today + timedelta(days=offset) in made


def test_a_batch_for_a_day_without_a_partition_makes_it_and_stores_once():
    """The worker was away past the days made ahead: nothing is lost or doubled."""
    far = datetime.now(UTC) + timedelta(days=40)
    batch = [record(far), record(datetime.now(UTC))]
    assert far.date() not in partitions.partitions()
    assert store_request_logs(batch) == 2
    assert far.date() in partitions.partitions()
    store_request_logs(batch)  # the job ran again after a lost acknowledgement
    assert RequestLog.objects.count() == 2


def test_retention_drops_whole_days_past_it_and_makes_the_next(settings):
    settings.REQUEST_LOG_RETENTION_DAYS = 30
    now = datetime.now(UTC)
    old_days = [now - timedelta(days=n) for n in (45, 40, 31.5)]
    store_request_logs([record(at) for at in old_days for _ in range(3)])
    kept = [record(now - timedelta(days=n)) for n in (29, 5, 0)]
    store_request_logs(kept)
    with connection.cursor() as cursor:  # a partition left by a run that died
        cursor.execute(
            f"CREATE TABLE {partitions.PREFIX}{(now - timedelta(days=60)):%Y%m%d} "
            f"(LIKE {partitions.PARENT})"
        )
    assert prune_request_logs_job() == 9
    days = partitions.partitions()
    assert all(at.date() not in days for at in old_days)
    assert (now + timedelta(days=partitions.DAYS_AHEAD)).date() in days
    assert sorted(RequestLog.objects.values_list("record_id", flat=True)) == sorted(
        uuid.UUID(r["record_id"]) for r in kept
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relname LIKE %s",
            [f"{partitions.PREFIX}{(now - timedelta(days=60)):%Y%m}%"],
        )
        assert cursor.fetchone()[0] == 0


def test_dropping_a_day_never_makes_an_insert_wait():
    """A long transaction that uses the table delays the drop, not other inserts."""
    now = datetime.now(UTC)
    store_request_logs([record(now - timedelta(days=50))])
    holder = raw_connection()
    holder.execute("BEGIN")
    holder.execute(
        "INSERT INTO requestlog_requestlog (record_id, request_id, started_at, method,"
        " path, query_string, status_code, duration_ms, user_role, user_agent,"
        " credential) VALUES (gen_random_uuid(), 'held', now(), 'GET', '/', '', 200,"
        " 1, '', '', '')"
    )
    done = threading.Event()

    def prune() -> None:
        from django.db import connections

        try:
            partitions.partitions_drop_before(cutoff=(now - timedelta(days=30)).date())
        finally:
            connections.close_all()
            done.set()

    dropper = threading.Thread(target=prune)
    dropper.start()
    try:
        time.sleep(1.0)  # the detach now waits for the open transaction
        assert not done.is_set()
        writer = raw_connection()
        writer.execute("SET statement_timeout = '5s'")  # a blocked insert fails
        started = time.monotonic()
        writer.execute(
            "INSERT INTO requestlog_requestlog (record_id, request_id, started_at,"
            " method, path, query_string, status_code, duration_ms, user_role,"
            " user_agent, credential) VALUES (gen_random_uuid(), 'meanwhile', now(),"
            " 'GET', '/', '', 200, 1, '', '', '')"
        )
        assert time.monotonic() - started < 1.0  # generous: about a millisecond
        writer.close()
    finally:
        holder.execute("COMMIT")
        holder.close()
        dropper.join(timeout=30)
    assert done.is_set()
    assert (now - timedelta(days=50)).date() not in partitions.partitions()
    assert set(RequestLog.objects.values_list("request_id", flat=True)) == {
        "held",
        "meanwhile",
    }
