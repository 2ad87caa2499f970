"""SIGTERM under load: the API drains, and no request already sent is reset.

The API is started as the image starts it (``docker/entrypoint.sh api``:
gunicorn, uvicorn workers, docker/gunicorn.conf.py). Clients keep sending on
keep-alive connections; SIGTERM reaches the master mid-load. Each request
gets an answer; the first answer after the signal says ``Connection: close``
(the client then goes elsewhere, as the load balancer does); the probe says
503 while draining; the server exits within the drain and gunicorn's
graceful timeout.
"""

from __future__ import annotations

import http.client
import signal
import sys
import threading
import time

import pytest

from tests.servers import PROJECT_DIR, free_port, http_request, running_server
from tests.shipping.test_secrets_in_logs import served_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DRAIN = 3.0
CLIENTS = 16


class Client(threading.Thread):
    """Requests back to back on one keep-alive connection until the server
    says ``Connection: close`` (or ``stop`` is set)."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop = stop
        self.answered = 0
        self.failed: list[str] = []
        self.closed_by_server = False

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            while not self.stop.is_set():
                try:
                    connection.request("GET", "/api/v1/", headers={"Host": "localhost"})
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as error:
                    self.failed.append(type(error).__name__)
                    return
                self.answered += 1
                if response.getheader("connection", "").lower() == "close":
                    self.closed_by_server = True
                    return
        finally:
            connection.close()


def test_sigterm_under_load_resets_no_request(settings):
    port = free_port()
    env = {
        **served_env(settings),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DRAIN_SECONDS": str(DRAIN),
        "PYTHON": sys.executable,
    }
    argv = ["sh", str(PROJECT_DIR / "docker/entrypoint.sh"), "api"]
    stop = threading.Event()
    with running_server(argv, port=port, env=env) as server:
        clients = [Client(port, stop) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(1.5)
        before = sum(client.answered for client in clients)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        probe = http_request(port, "/health", headers={"Host": "localhost"})
        api = http_request(port, "/api/v1/", headers={"Host": "localhost"})
        for client in clients:
            client.join(timeout=DRAIN + 20)
        stop.set()
        exit_code = server.process.wait(timeout=DRAIN + 30)
        stopped_after = time.monotonic() - signalled
    assert before > 0
    failures = [error for client in clients for error in client.failed]
    assert failures == [], (failures, server.output[-3000:])
    # Every client heard "Connection: close" in an answer, none was cut.
    assert all(client.closed_by_server for client in clients)
    assert probe.status == 503, probe.body
    assert api.status == 200  # still answering while draining
    assert api.headers.get("connection", "").lower() == "close"
    assert exit_code == 0, server.output[-3000:]
    # The drain, then gunicorn's stop; far below the stopTimeout (30 s) here.
    assert DRAIN - 0.5 <= stopped_after < DRAIN + 20, stopped_after
    assert "draining" in server.output
