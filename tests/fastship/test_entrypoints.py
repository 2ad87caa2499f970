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
