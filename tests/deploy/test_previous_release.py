"""During a rolling deploy the previous release serves on the new schema.

The migrate task runs first; the old tasks keep serving until the new ones are
healthy. This test takes the code as it was just before the newest migration
was added (``git archive``), migrates a fresh database with this tree's code,
then runs the old code on it: its demo data command writes, and its API serves
a seller's and a partner's day through HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import (
    PROJECT_DIR,
    free_port,
    gunicorn_argv,
    http_request,
    running_server,
    server_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]
PASSWORD = "fastship-demo-2026"


def previous_release() -> str:
    """The commit before the newest one that added a migration."""
    newest = subprocess.run(
        [
            "git",
            "log",
            "-1",
            "--format=%H",
            "--diff-filter=A",
            "--",
            "*/migrations/0*.py",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert newest, "no commit added a migration (a shallow clone? fetch the history)"
    return f"{newest}^"


def checkout(ref: str, into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref], cwd=PROJECT_DIR, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def manage(tree: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, (tree, args, done.stdout[-2000:], done.stderr[-4000:])
    return done.stdout


def call(port: int, method: str, path: str, token: str = "", body: object = None):
    headers = {"Host": "localhost", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    answer = http_request(
        port,
        path,
        method=method,
        headers=headers,
        body=json.dumps(body).encode() if body is not None else None,
        timeout=30,
    )
    return answer.status, json.loads(answer.body) if answer.body.startswith(
        b"{"
    ) else None


@pytest.fixture
def database() -> Iterator[str]:
    import psycopg

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"fastship_previous_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_previous_release_serves_on_the_schema_this_release_migrates_to(
    tmp_path, database
):
    old = checkout(previous_release(), tmp_path / "previous")
    # The product's own settings (not the test suite's), jobs inline.
    env = server_env(
        DATABASE_URL=database,
        REDIS_URL=None,
        DJANGO_SETTINGS_MODULE="fastship.settings",
        DJANGO_ENV="development",
        DJANGO_DEBUG="0",
        EMAIL_HOST=None,
    )
    manage(PROJECT_DIR, env, "migrate", "--no-input")  # this release's schema
    old_env = {**env, "PYTHONPATH": str(old)}
    manage(old, old_env, "demo_data")  # the old code writes on it
    port = free_port()
    argv = gunicorn_argv("fastship.asgi:application", port)
    with running_server(argv, port=port, env=old_env, cwd=old):
        tokens = {}
        for who in ("seller", "partner"):
            status, body = call(
                port,
                "POST",
                "/api/v1/auth/token/",
                body={"email": f"{who}@fastship.local", "password": PASSWORD},
            )
            assert status == 200, body
            tokens[who] = body["access"]
        status, created = call(
            port,
            "POST",
            "/api/v1/shipments/",
            tokens["seller"],
            {
                "content": "A book",
                "weight_kg": "0.8",
                "destination_zip_code": "20095",
                "recipient_email": "you@example.org",
            },
        )
        assert status == 201, created
        status, listed = call(port, "GET", "/api/v1/shipments/", tokens["seller"])
        assert status == 200, listed
        assert created["id"] in [row["id"] for row in listed["results"]]
        status, moved = call(
            port,
            "PATCH",
            f"/api/v1/shipments/{created['id']}/",
            tokens["partner"],
            {"status": "in_transit", "location_zip_code": "10115"},
        )
        assert status == 200, moved
        status, events = call(
            port, "GET", f"/api/v1/shipments/{created['id']}/events/", tokens["seller"]
        )
        assert status == 200, events
        page = http_request(
            port, f"/track/{created['tracking_code']}/", headers={"Host": "localhost"}
        )
        assert page.status == 200
    # And this release's code reads what the old one wrote.
    shown = manage(
        PROJECT_DIR,
        env,
        "shell",
        "-c",
        "from shipping.models import Shipment; print(Shipment.objects.count())",
    )
    assert int(shown.strip().splitlines()[-1]) >= 2
