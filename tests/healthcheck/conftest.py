"""Servers with dead dependencies, for the probe and readiness tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.servers import (
    closed_port,
    free_port,
    gunicorn_argv,
    hanging_port,
    running_server,
    server_env,
)

PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "prod-secret-9f3c2a7e1b5d4c8a6e0f2b4d6a8c0e1f3a5b7c9d1e3f5a7b",
    "JWT_SECRET": "jwt-secret-distinct-4b6d8f0a2c4e6a8c0e2f4a6b8d0f2a4c",
    "DJANGO_ALLOWED_HOSTS": "api.fastship.example",
    "HEALTH_TOKEN": "health-token-for-tests-0123456789",
    "DATABASE_CONNECT_TIMEOUT": "3",
}
DB_PASSWORD = "db-pass-never-shown-7781"
REDIS_PASSWORD = "redis-pass-never-shown-5512"


def dependency_env(kind: str, db_port: int, redis_port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": f"postgres://fastship:{DB_PASSWORD}@127.0.0.1:{db_port}/fastship",
        "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{redis_port}/0",
    }


@pytest.fixture(scope="module", params=["hanging", "closed"])
def dead_dependencies_server(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[str, int]]:
    """Yield (kind, port) of a production ASGI server whose DB and Redis are dead."""
    kind = request.param
    with ExitStack() as stack:
        make_port = hanging_port if kind == "hanging" else closed_port
        db_port = stack.enter_context(make_port())
        redis_port = stack.enter_context(make_port())
        port = free_port()
        env = server_env(**PRODUCTION, **dependency_env(kind, db_port, redis_port))
        stack.enter_context(
            running_server(
                gunicorn_argv("fastship.asgi:application", port), port=port, env=env
            )
        )
        yield kind, port
