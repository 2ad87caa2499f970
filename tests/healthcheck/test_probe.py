"""Liveness: /health answers 200 whatever the Host, scheme, database or Redis."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.healthcheck.conftest import PRODUCTION
from tests.servers import (
    free_port,
    gunicorn_argv,
    hanging_port,
    http_request,
    running_server,
    server_env,
)

PRIVATE_IP_HOST = {"Host": "10.0.3.17:8000"}


def assert_probe_pass(response, *, head: bool = False) -> None:
    assert response.status == 200
    assert response.headers["content-type"] == "application/health+json"
    assert response.headers["cache-control"] == "no-store"
    if head:
        assert response.body == b""
        assert response.headers["content-length"] == str(len(b'{"status": "pass"}'))
    else:
        assert json.loads(response.body) == {"status": "pass"}


class TestProbeUnderAsgiWithDeadDependencies:
    """A production ASGI server whose database and Redis hang or refuse."""

    @pytest.mark.parametrize("path", ["/health", "/health/"])
    def test_get_with_private_ip_host_over_plain_http(
        self, dead_dependencies_server, path
    ):
        """GET with the ALB's private-IP Host, over HTTP with the redirect on: 200."""
        _, port = dead_dependencies_server
        response = http_request(port, path, headers=PRIVATE_IP_HOST, timeout=2)
        assert_probe_pass(response)
        assert response.seconds < 1.0

    def test_head(self, dead_dependencies_server):
        """HEAD answers like GET, without a body."""
        _, port = dead_dependencies_server
        response = http_request(port, "/health", method="HEAD", headers=PRIVATE_IP_HOST)
        assert_probe_pass(response, head=True)

    @pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
    def test_other_methods_are_405(self, dead_dependencies_server, method):
        """Methods other than GET and HEAD get 405 with Allow."""
        _, port = dead_dependencies_server
        response = http_request(
            port, "/health", method=method, headers=PRIVATE_IP_HOST, body=b""
        )
        assert response.status == 405
        assert response.headers["allow"] == "GET, HEAD"

    def test_same_server_refuses_that_host_elsewhere(self, dead_dependencies_server):
        """Control: other paths do validate the Host and redirect to HTTPS."""
        _, port = dead_dependencies_server
        assert (
            http_request(port, "/admin/login/", headers=PRIVATE_IP_HOST).status == 400
        )
        redirect = http_request(
            port, "/admin/login/", headers={"Host": "api.fastship.example"}
        )
        assert redirect.status == 301
        assert redirect.headers["location"].startswith("https://")

    def test_probe_answers_while_another_request_is_stuck(
        self, dead_dependencies_server
    ):
        """A request stuck on the dead database does not delay the probe."""
        kind, port = dead_dependencies_server
        stuck_result: list[object] = []

        def stuck_request() -> None:
            # A session cookie makes the admin look the session up in the database.
            try:
                stuck_result.append(
                    http_request(
                        port,
                        "/admin/",
                        headers={
                            "Host": "api.fastship.example",
                            "X-Forwarded-Proto": "https",
                            "Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345",
                        },
                        timeout=20,
                    )
                )
            except OSError as error:
                stuck_result.append(error)

        thread = threading.Thread(target=stuck_request)
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        probe = http_request(port, "/health", headers=PRIVATE_IP_HOST, timeout=2)
        elapsed = time.monotonic() - started
        stuck_still = thread.is_alive()
        thread.join(timeout=30)
        assert_probe_pass(probe)
        assert elapsed < 1.0
        if kind == "hanging":
            assert stuck_still, (
                "the other request should still have been waiting on the DB"
            )


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_probe_under_wsgi_gunicorn(path):
    """The first middleware answers the probe under a WSGI server, DB hanging."""
    port = free_port()
    with hanging_port() as db_port:
        env = server_env(
            **PRODUCTION,
            DATABASE_URL=f"postgres://x:y@127.0.0.1:{db_port}/x",
            REDIS_URL=None,
        )
        argv = gunicorn_argv("fastship.wsgi:application", port, asgi=False)
        with running_server(argv, port=port, env=env):
            response = http_request(port, path, headers=PRIVATE_IP_HOST, timeout=2)
            head = http_request(port, path, method="HEAD", headers=PRIVATE_IP_HOST)
            post = http_request(
                port, path, method="POST", headers=PRIVATE_IP_HOST, body=b""
            )
    assert_probe_pass(response)
    assert_probe_pass(head, head=True)
    assert post.status == 405


@pytest.mark.django_db
def test_probe_makes_no_database_query(client, settings):
    """The middleware answer makes zero database queries, even with redirect on."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["api.fastship.example"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health", HTTP_HOST="10.0.3.17:8000")
        head = client.head("/health/", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "pass"}
    assert head.status_code == 200
    assert len(queries) == 0


def test_asgi_layer_answers_without_django():
    """The ASGI layer answers itself and never calls the wrapped application."""
    import asyncio

    from healthcheck.asgi import ProbeASGIMiddleware

    async def django_must_not_run(scope, receive, send):
        raise AssertionError("Django was called for a probe")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    app = ProbeASGIMiddleware(django_must_not_run)
    scope = {"type": "http", "path": "/health", "method": "GET", "headers": []}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200
    assert (b"content-type", b"application/health+json") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"status": "pass"}
