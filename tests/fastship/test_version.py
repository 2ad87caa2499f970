"""Each process says which release it runs: at start, and in the readiness details."""

from __future__ import annotations

import json
import subprocess

import pytest

from fastship import version
from tests.servers import (
    PROJECT_DIR,
    free_port,
    gunicorn_argv,
    running_server,
    server_env,
)


@pytest.fixture
def fresh_release():
    version.current.cache_clear()
    yield
    version.current.cache_clear()


def test_the_image_names_its_release(monkeypatch, fresh_release):
    monkeypatch.setenv("FASTSHIP_VERSION", "a1b2c3d4e5f6")
    monkeypatch.setenv("FASTSHIP_COMMIT", "a1b2c3d4e5f6" + "0" * 28)
    assert version.current() == version.Release(
        "a1b2c3d4e5f6", "a1b2c3d4e5f6" + "0" * 28
    )


def test_a_checkout_names_its_commit(monkeypatch, fresh_release, tmp_path):
    monkeypatch.delenv("FASTSHIP_VERSION", raising=False)
    monkeypatch.delenv("FASTSHIP_COMMIT", raising=False)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True
    ).stdout.strip()
    assert version.current() == version.Release(head[:12], head)
    # A branch in packed-refs, a loose branch, a detached HEAD; no checkout.
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text("# pack-refs\n" + "1" * 40 + " refs/heads/main\n")
    assert version._git_commit(tmp_path) == "1" * 40
    (git / "refs" / "heads" / "main").write_text("2" * 40 + "\n")
    assert version._git_commit(tmp_path) == "2" * 40
    (git / "HEAD").write_text("3" * 40 + "\n")
    assert version._git_commit(tmp_path) == "3" * 40
    assert version._git_commit(tmp_path / "nowhere") == ""


@pytest.mark.django_db
def test_the_readiness_details_carry_the_release(client, settings, fresh_release):
    settings.HEALTH_TOKEN = "tok-123"
    from healthcheck.views import reset_readiness

    reset_readiness()
    body = client.get("/api/v1/health", HTTP_AUTHORIZATION="Bearer tok-123").json()
    release = version.current()
    assert (body["version"], body["releaseId"]) == (release.version, release.commit)
    assert "version" not in client.get("/api/v1/health").json()  # details only


def test_an_api_worker_logs_its_release_when_it_starts():
    port = free_port()
    env = server_env(FASTSHIP_VERSION="v-test-1", FASTSHIP_COMMIT="c" * 40)
    with running_server(
        gunicorn_argv("fastship.asgi:application", port), port=port, env=env
    ) as server:
        pass
    starts = [
        json.loads(line)
        for line in server.output.splitlines()
        if line.startswith("{") and '"event": "start"' in line
    ]
    assert starts, server.output[-2000:]
    assert starts[0] == {
        "event": "start",
        "role": "api",
        "pid": starts[0]["pid"],
        "version": "v-test-1",
        "commit": "c" * 40,
    }
