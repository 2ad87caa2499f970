"""Shedding load fast: a request that cannot get a thread in time, or a row
lock within the lock timeout, is answered 503 with Retry-After at once.

The handler's own thread pool (in-process, real threads) and a real server on
the test database with a row lock held by another PostgreSQL session.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from django.db import connections

from fastship.asgi_handler import OneHopASGIHandler
from shipping.models import DeliveryPartner
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make
from tests.servers import (
    Response,
    free_port,
    gunicorn_argv,
    http_request,
    running_server,
)
from tests.shipping.test_secrets_in_logs import served_env


def scope(path: str = "/api/v1/") -> dict:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
        "scheme": "http",
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }


async def call(
    handler: OneHopASGIHandler, path: str = "/api/v1/"
) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await handler(scope(path), receive, send)
    head = sent[0]
    headers = {k.decode().lower(): v.decode() for k, v in head["headers"]}
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return head["status"], headers, body


@pytest.mark.django_db
def test_a_request_that_gets_no_thread_in_time_is_answered_503_at_once():
    handler = OneHopASGIHandler(threads=1, queue_timeout=0.2, queue_max=8)
    release = threading.Event()
    handler.executor.submit(release.wait, 30)  # the only thread, stalled
    handler.in_flight = 1  # by a request
    try:
        started = time.monotonic()
        status, headers, body = asyncio.run(call(handler))
        waited = time.monotonic() - started
    finally:
        release.set()
        handler.in_flight = 0
    assert status == 503
    assert headers["retry-after"] == "1"
    assert json.loads(body)["errors"][0]["code"] == "service_unavailable"
    # The queue bound (0.2 s), not the stalled thread (30 s): generous for a
    # loaded machine, far below the stall.
    assert waited < 5, waited
    assert handler.shed == 1
    # With the thread free again, requests are served.
    status, _, _ = asyncio.run(call(handler))
    assert status == 200


def close_connections_of(executor: ThreadPoolExecutor, threads: int) -> None:
    """Close the database connections every thread of ``executor`` holds (the
    test database is dropped at the end)."""
    barrier = threading.Barrier(threads)

    def close() -> None:
        barrier.wait(10)
        connections.close_all()

    for future in [executor.submit(close) for _ in range(threads)]:
        future.result(timeout=20)


@pytest.mark.django_db(transaction=True)
def test_readiness_keeps_its_deadline_while_every_request_thread_is_busy():
    """/api/v1/health runs on threads of its own: never queued, never shed."""
    handler = OneHopASGIHandler(threads=1, queue_timeout=0.2, queue_max=0)
    release = threading.Event()
    handler.executor.submit(release.wait, 30)
    handler.in_flight = 1
    try:
        started = time.monotonic()
        status, _, body = asyncio.run(call(handler, "/api/v1/health"))
        waited = time.monotonic() - started
    finally:
        release.set()
    from healthcheck.views import get_readiness

    runner = get_readiness()
    close_connections_of(handler.readiness_executor, 2)
    close_connections_of(runner._executor, runner._executor._max_workers)
    assert b"busy" not in body
    assert status in (200, 503)  # its checks' verdict, whatever it is
    assert json.loads(body)["status"] in ("pass", "warn", "fail"), body
    assert waited < 10, waited  # the 2 s deadline, generously


@pytest.mark.django_db
def test_a_full_queue_is_answered_503_without_waiting():
    handler = OneHopASGIHandler(threads=1, queue_timeout=30, queue_max=0)
    handler.in_flight = 1  # one request holds the only thread
    started = time.monotonic()
    status, headers, _ = asyncio.run(call(handler))
    waited = time.monotonic() - started
    assert (status, headers["retry-after"]) == (503, "1")
    assert waited < 5
    handler.in_flight = 0
    assert asyncio.run(call(handler))[0] == 200


@dataclass
class LockedPartner:
    """A server (lock timeout 0.5 s) and a partner whose row another session
    holds locked; ``create()`` posts a shipment that needs that partner."""

    port: int
    token: str
    url: str
    database: str
    holder: psycopg.Connection

    def create(self) -> Response:
        return http_request(
            self.port,
            "/api/v1/shipments/",
            method="POST",
            headers={
                "Host": "localhost",
                "Authorization": self.token,
                "Content-Type": "application/json",
            },
            body=json.dumps(SHIPMENT_BODY).encode(),
            timeout=30,
        )


@contextmanager
def locked_partner(settings) -> Iterator[tuple[LockedPartner, DeliveryPartner]]:
    seller = seller_make()
    partner = partner_make(zip_codes=(SHIPMENT_BODY["destination_zip_code"],))
    token = bearer(seller)["HTTP_AUTHORIZATION"]
    env = {**served_env(settings), "DATABASE_LOCK_TIMEOUT_MS": "500"}
    database = settings.DATABASES["default"]
    url = (
        f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )
    port = free_port()
    argv = gunicorn_argv("fastship.asgi:application", port)
    with running_server(argv, port=port, env=env), psycopg.connect(url) as holder:
        table = DeliveryPartner._meta.db_table
        key = DeliveryPartner._meta.pk.column
        holder.execute(
            f'SELECT 1 FROM "{table}" WHERE "{key}" = %s FOR UPDATE', [partner.pk]
        )
        yield LockedPartner(port, token, url, database["NAME"], holder), partner


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_create_waiting_on_a_locked_partner_row_answers_503_within_the_lock_timeout(
    settings,
):
    """A partner's row locked elsewhere (a long transaction, a stuck backend):
    the create waits the API's lock timeout (here 0.5 s, twice), not the 5 s
    statement timeout, and says when to retry."""
    with locked_partner(settings) as (locked, _):
        started = time.monotonic()
        answer = locked.create()
        waited = time.monotonic() - started
        locked.holder.rollback()
        assert answer.status == 503, answer.body
        assert answer.headers["retry-after"] == "1"
        assert waited < 4.5, waited  # below the statement timeout (5 s)
        # The lock gone, the same create succeeds.
        again = locked.create()
        assert again.status == 201, again.body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_create_whose_partner_row_is_freed_during_its_second_wait_succeeds(
    settings,
):
    """The lock held a little longer than one lock timeout (0.5 s): the
    create's second wait gets the row, and the seller gets a 201, not a 503."""
    from shipping.models import Shipment

    with locked_partner(settings) as (locked, partner):

        def release_when_the_second_try_waits() -> None:
            # A try is a statement waiting on a lock; the second one is a
            # waiting statement that started after the first.
            first_try = None
            with psycopg.connect(locked.url, autocommit=True) as watcher:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    row = watcher.execute(
                        "SELECT query_start FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND datname = %s",
                        [locked.database],
                    ).fetchone()
                    if row is not None:
                        first_try = first_try or row[0]
                        if row[0] != first_try:
                            break
                    time.sleep(0.02)
            locked.holder.rollback()

        releaser = threading.Thread(target=release_when_the_second_try_waits)
        releaser.start()
        answer = locked.create()
        releaser.join(30)
        assert answer.status == 201, answer.body
        assert Shipment.objects.filter(delivery_partner=partner).count() == 1
        partner.refresh_from_db()
        assert partner.active_shipments == 1
