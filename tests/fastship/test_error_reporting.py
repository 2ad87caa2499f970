"""Exceptions of views and jobs reach Sentry, secrets masked; nothing without a DSN.

A local receiver speaks Sentry's envelope protocol (``POST
/api/<project>/envelope/``, gzip or plain); a real server and a real worker
are started with ``SENTRY_DSN`` pointing at it.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator

import pytest

from fastship.error_reporting import scrubbed
from tests.servers import (
    entrypoint_worker,
    free_port,
    gunicorn_argv,
    http_request,
    running_server,
    server_env,
    worker_env,
)
from tests.webhook_receiver import Receiver, running_receiver

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo0Mn0.c2lnbmF0dXJlLXNlY3JldA"
API_KEY = "fsk_AbCd1234.s3cr3tPartOfTheKey"
RESET_LINK = "http://127.0.0.1/reset-password/tok-3f9a8b7c6d/"


def events(receiver: Receiver) -> list[dict]:
    """The error events Sentry's envelopes carried (an envelope is JSON lines:
    its header, then a header and a payload per item; gzip or plain)."""
    found = []
    for request in receiver.received:
        body = request.body
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def wait_for_events(receiver: Receiver, count: int, seconds: float = 30) -> list[dict]:
    deadline = time.monotonic() + seconds
    while len(events(receiver)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return events(receiver)


@pytest.fixture
def sentry() -> Iterator[Receiver]:
    """A local endpoint of Sentry's protocol; its DSN: ``dsn(sentry)``."""
    with running_receiver() as receiver:
        yield receiver


def dsn(receiver: Receiver) -> str:
    return f"http://publickey@127.0.0.1:{receiver.port}/1"


def raw(receiver: Receiver) -> bytes:
    return b"".join(
        gzip.decompress(r.body)
        if r.headers.get("content-encoding") == "gzip"
        else r.body
        for r in receiver.received
    )


def test_a_view_exception_is_reported_with_its_secrets_masked(sentry):
    port = free_port()
    env = server_env(
        SENTRY_DSN=dsn(sentry),
        FASTSHIP_TEST_URLS="1",
        FASTSHIP_VERSION="v-sentry-1",
    )
    with running_server(
        gunicorn_argv("fastship.asgi:application", port), port=port, env=env
    ):
        answer = http_request(
            port,
            f"/test/boom?token={JWT}&next={RESET_LINK}",
            headers={
                "Host": "localhost",
                "Authorization": f"Bearer {JWT}",
                "X-Api-Key": API_KEY,
            },
        )
        assert answer.status == 500
        (event,) = wait_for_events(sentry, 1)
    (error,) = event["exception"]["values"]
    assert error["type"] == "RuntimeError"
    assert error["value"] == "deliberate failure for a test"
    assert event["release"] == "v-sentry-1"
    # The id in the answer's X-Request-Id and in every log line of the request.
    assert event["tags"]["request_id"] == answer.headers["x-request-id"]
    sent = raw(sentry)
    for secret in (JWT, API_KEY, "tok-3f9a8b7c6d", "s3cr3tPartOfTheKey"):
        assert secret.encode() not in sent
    assert "user" not in event or not event["user"].get("ip_address")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_failing_job_in_the_worker_is_reported_masked(sentry, redis_server):
    from fastship.jobs import get_queue
    from tests import jobs_for_tests

    get_queue("default").enqueue(jobs_for_tests.fail_with, RESET_LINK)
    worker = entrypoint_worker(worker_env(redis_server.url(), SENTRY_DSN=dsn(sentry)))
    try:
        found = wait_for_events(sentry, 1)
    finally:
        worker.stop()
    assert found, worker.output[-3000:]
    (error,) = found[0]["exception"]["values"]
    assert error["type"] == "RuntimeError"
    assert "/reset-password/***/" in error["value"]
    assert b"tok-3f9a8b7c6d" not in raw(sentry)


def test_nothing_is_sent_without_a_dsn(sentry, settings):
    from fastship import error_reporting

    settings.SENTRY_DSN = ""
    assert error_reporting.init() is False


def test_the_scrubber_masks_strings_and_credential_headers():
    event = {
        "message": f"failed for {RESET_LINK}",
        "request": {
            "headers": {"Authorization": "Basic abc", "Accept": "*/*"},
            "query_string": f"token={JWT}",
        },
        "breadcrumbs": [["Cookie", "sessionid=1"], ["X-Request-Id", "r-1"]],
        "extra": {"count": 3},
    }
    assert scrubbed(event) == {
        "message": "failed for http://127.0.0.1/reset-password/***/",
        "request": {
            "headers": {"Authorization": "***", "Accept": "*/*"},
            "query_string": "token=***",
        },
        "breadcrumbs": [["Cookie", "***"], ["X-Request-Id", "r-1"]],
        "extra": {"count": 3},
    }
