"""The ASGI and WSGI applications boot under a real server and answer a request."""

from __future__ import annotations

import pytest

from tests.servers import (
    free_port,
    gunicorn_argv,
    http_request,
    running_server,
    server_env,
)


@pytest.mark.parametrize(
    ("app", "asgi"),
    [("fastship.asgi:application", True), ("fastship.wsgi:application", False)],
)
def test_application_boots_and_answers(app, asgi):
    """gunicorn serves the application and the admin login page answers 200."""
    port = free_port()
    env = server_env(DATABASE_URL=None, REDIS_URL=None)
    argv = gunicorn_argv(app, port, asgi=asgi)
    with running_server(argv, port=port, env=env, ready_path="/admin/login/"):
        response = http_request(port, "/admin/login/", headers={"Host": "localhost"})
    assert response.status == 200
    assert b"FastShip" in response.body or b"Django" in response.body


def test_a_chunked_body_without_content_length_is_read_under_asgi():
    """Transfer-Encoding: chunked reaches the view whole (it was an empty body)."""
    import http.client
    import json

    port = free_port()
    env = server_env(DATABASE_URL=None, REDIS_URL=None)
    argv = gunicorn_argv("fastship.asgi:application", port, asgi=True)
    with running_server(argv, port=port, env=env):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        body = [b'{"email": "not-an-address",', b' "password": "x"}']
        connection.request(
            "POST",
            "/api/v1/auth/token/",
            body=iter(body),
            headers={"Host": "localhost", "Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
    # Read and checked ("invalid"), not an empty body ("required").
    assert response.status == 400, answer
    assert [(e["attr"], e["code"]) for e in answer["errors"]] == [("email", "invalid")]
