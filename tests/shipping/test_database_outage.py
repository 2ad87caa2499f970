"""With the database unreachable the API answers 503 in its error format, quickly."""

from __future__ import annotations

import json

import pytest

from tests.servers import (
    closed_port,
    free_port,
    gunicorn_argv,
    hanging_port,
    http_request,
    running_server,
    server_env,
)


@pytest.mark.parametrize("kind", ["closed", "hanging"])
def test_api_answers_503_when_the_database_is_down(kind):
    """A request needing the database gets a JSON 503, not a 500 page or a hang."""
    make_port = closed_port if kind == "closed" else hanging_port
    with make_port() as db_port:
        port = free_port()
        env = server_env(
            DJANGO_ENV="test",
            DATABASE_URL=f"postgres://x:y@127.0.0.1:{db_port}/x",
            DATABASE_CONNECT_TIMEOUT="2",
            DATABASE_POOL_TIMEOUT="2",
            REDIS_URL=None,
        )
        argv = gunicorn_argv("fastship.asgi:application", port)
        with running_server(argv, port=port, env=env):
            response = http_request(
                port,
                "/api/v1/auth/token/",
                method="POST",
                headers={"Host": "localhost", "Content-Type": "application/json"},
                body=json.dumps({"email": "a@example.com", "password": "x"}).encode(),
                timeout=15,
            )
    assert response.status == 503
    body = json.loads(response.body)
    assert body["type"] == "server_error"
    assert body["errors"][0]["code"] == "service_unavailable"
    assert response.seconds < 10
