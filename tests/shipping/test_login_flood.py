"""A flood of logins cannot starve the API: password hashes run in bounded slots.

The server hashes with the product's own hasher (PBKDF2, not the suite's fast
one). Twenty-four logins at once, three rounds each, hit it while another
client reads; the reads' latency is compared with the same reads before the
flood.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.servers import (
    free_port,
    gunicorn_argv,
    http_request,
    running_server,
    server_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def reads(port: int, count: int) -> list[float]:
    """Seconds each of ``count`` reads of the tag list took, one after another."""
    taken = []
    for _ in range(count):
        answer = http_request(port, "/api/v1/tags/", headers={"Host": "localhost"})
        assert answer.status == 200
        taken.append(answer.seconds)
    return taken


def login(port: int, number: int) -> int:
    body = json.dumps({"email": f"nobody{number}@example.org", "password": "wrong"})
    answer = http_request(
        port,
        "/api/v1/auth/token/",
        method="POST",
        headers={"Host": "localhost", "Content-Type": "application/json"},
        body=body.encode(),
        timeout=60,
    )
    return answer.status


def test_other_requests_keep_their_latency_under_a_login_flood(settings):
    database = settings.DATABASES["default"]
    env = server_env(
        DJANGO_ENV="test",
        DJANGO_SETTINGS_MODULE="fastship.settings",  # the product's hasher
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        ),
        REDIS_URL=None,
        REQUEST_LOG_ENABLED="0",
        THROTTLE_LOGIN="100000/min",
        THROTTLE_LOGIN_ACCOUNT="100000/min",
    )
    port = free_port()
    argv = gunicorn_argv("fastship.asgi:application", port)
    with running_server(argv, port=port, env=env):
        reads(port, 5)  # warm: the pool, the queries
        before = statistics.median(reads(port, 20))
        statuses: list[int] = []
        stop = threading.Event()

        def flood(number: int) -> None:
            while not stop.is_set():
                statuses.append(login(port, number))

        with ThreadPoolExecutor(max_workers=24) as pool:
            for number in range(24):
                pool.submit(flood, number)
            time.sleep(1.0)  # the flood is on
            during = reads(port, 20)
            stop.set()
    median = statistics.median(during)
    # Unbounded, the reads waited behind the hashes for a thread (seconds
    # each); generous for a loaded machine: five times the calm figure.
    assert median < 5 * before + 0.25, (before, during)
    assert set(statuses) <= {401, 503}, statuses
    assert statuses.count(503) > 0  # the flood was shed, not queued
