"""`manage.py healthcheck` and docker/healthcheck.py probe a running server."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.servers import (
    PROJECT_DIR,
    closed_port,
    free_port,
    gunicorn_argv,
    hanging_port,
    running_server,
    server_env,
)

COMMANDS = {
    "manage.py": [sys.executable, "manage.py", "healthcheck"],
    "docker/healthcheck.py": [sys.executable, "docker/healthcheck.py"],
}


def run(command: list[str], url: str, timeout: str = "2") -> tuple[int, str, float]:
    started = time.monotonic()
    result = subprocess.run(
        [*command, "--url", url, "--timeout", timeout],
        cwd=PROJECT_DIR,
        env=server_env(DATABASE_URL=None, REDIS_URL=None),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


@pytest.fixture(scope="module")
def live_port():
    port = free_port()
    env = server_env(DATABASE_URL=None, REDIS_URL=None)
    with running_server(
        gunicorn_argv("fastship.asgi:application", port), port=port, env=env
    ):
        yield port


@pytest.mark.parametrize("name", COMMANDS)
def test_healthy_server_exits_zero(name, live_port):
    """A server answering 200 gives exit 0."""
    code, _, _ = run(COMMANDS[name], f"http://127.0.0.1:{live_port}/health")
    assert code == 0


@pytest.mark.parametrize("name", COMMANDS)
def test_non_200_exits_one(name, live_port):
    """A path that does not answer 200 gives exit 1."""
    code, output, _ = run(COMMANDS[name], f"http://127.0.0.1:{live_port}/nope")
    assert code == 1
    assert "404" in output


@pytest.mark.parametrize("name", COMMANDS)
def test_closed_port_exits_one(name):
    """Nothing listening gives exit 1."""
    with closed_port() as port:
        code, output, _ = run(COMMANDS[name], f"http://127.0.0.1:{port}/health")
    assert code == 1
    assert "refused" in output.lower()


@pytest.mark.parametrize("name", COMMANDS)
def test_hanging_server_exits_one_after_timeout(name):
    """A server that never answers gives exit 1 after --timeout, not later."""
    with hanging_port() as port:
        code, _, seconds = run(
            COMMANDS[name], f"http://127.0.0.1:{port}/health", timeout="1"
        )
    assert code == 1
    assert seconds < 10
