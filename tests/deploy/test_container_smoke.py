"""A container-like run without Docker: install as the Dockerfile does, run as non-root.

The project is installed into a fresh virtual environment from the pinned
constraints, started through docker/entrypoint.sh as `nobody` with production
settings against the local PostgreSQL and Redis, probed with
docker/healthcheck.py, then stopped with SIGTERM like ECS does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.servers import (
    PROJECT_DIR,
    ServerProcess,
    free_port,
    http_request,
    server_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
STOP_TIMEOUT = 30  # the API task StopTimeout in docker/cloudformation/app.yaml


@pytest.fixture(scope="module")
def image_root():
    """/opt/venv and /app of the image, built the way docker/Dockerfile builds them."""
    # Not pytest's tmp_path: its root is private to root; `nobody` must reach this.
    root = Path(tempfile.mkdtemp(prefix="fastship-image-"))
    os.chmod(root, 0o755)
    yield from _build(root)
    shutil.rmtree(root, ignore_errors=True)


def _build(root: Path):
    venv = root / "venv"
    # A Python every user can run, as the image's is (pyenv's lives under /root).
    base = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin/pip"),
            "install",
            "--quiet",
            "--no-cache-dir",
            "-c",
            "constraints.txt",
            ".",
        ],
        cwd=PROJECT_DIR,
        check=True,
        timeout=600,
    )
    app = root / "app"
    (app / "docker").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "manage.py", app)
    for name in ("entrypoint.sh", "gunicorn.conf.py", "healthcheck.py"):
        shutil.copy(PROJECT_DIR / "docker" / name, app / "docker")
    # the build directory must not be importable from /app: only the installed package
    for path in root.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    yield root
    # setuptools leaves its build folder in the checkout
    shutil.rmtree(PROJECT_DIR / "build", ignore_errors=True)


def production_env(image_root: Path, port: int, settings) -> dict[str, str]:
    database = settings.DATABASES["default"]
    return server_env(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="fastship.settings",
        DJANGO_SECRET_KEY="smoke-secret-9f3c2a7e1b5d4c8a6e0f2b4d6a8c0e1f3a5b7c9d1e3f5a7b",
        JWT_SECRET="smoke-jwt-secret-4b6d8f0a2c4e6a8c0e2f4a6b8d0f2a4c",
        DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(image_root / "app/staticfiles"),
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        REDIS_URL=settings.FASTSHIP_REDIS.url,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        PATH=f"{image_root / 'venv/bin'}:{os.environ['PATH']}",
        PYTHON=str(image_root / "venv/bin/python"),
        PYTHONPATH=None,
        REQUEST_LOG_FLUSH_INTERVAL="600",  # records stay buffered until the stop
        HOME="/tmp",
    )


@pytest.mark.django_db(transaction=True)
def test_entrypoint_serves_probes_and_stops_cleanly(image_root, settings, shared_redis):
    """Non-root api: /health answers, SIGTERM → clean exit, request logs flushed."""
    from fastship.jobs import get_queue

    queue = get_queue("request_logs")
    queue.empty()
    port = free_port()
    env = production_env(image_root, port, settings)
    app = image_root / "app"
    # setpriv execs (no parent process in between), so the signal reaches gunicorn.
    runuser = (
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        if os.geteuid() == 0
        else []
    )
    subprocess.run(
        [
            *runuser,
            str(image_root / "venv/bin/python"),
            "manage.py",
            "collectstatic",
            "--no-input",
            "-v0",
        ]
        if not runuser
        else [
            str(image_root / "venv/bin/python"),
            "manage.py",
            "collectstatic",
            "--no-input",
            "-v0",
        ],
        cwd=app,
        env=env,
        check=True,
    )
    started = time.monotonic()
    server = ServerProcess(
        [*runuser, str(app / "docker/entrypoint.sh"), "api"], env, cwd=app
    )
    try:
        probe = [
            str(image_root / "venv/bin/python"),
            str(app / "docker/healthcheck.py"),
        ]
        healthy = False
        while time.monotonic() - started < 20 and not healthy:
            healthy = subprocess.run(probe, env=env, check=False).returncode == 0
            time.sleep(0.2)
        first_200 = time.monotonic() - started
        assert healthy, server.output
        for number in range(5):
            answer = http_request(
                port, f"/api/v1/?n={number}", headers={"Host": "localhost"}
            )
            assert answer.status == 200
        assert (
            http_request(
                port, "/static/admin/css/base.css", headers={"Host": "localhost"}
            ).status
            == 200
        )
        whoami = subprocess.run(
            ["ps", "-o", "user=", "-p", str(server.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        stop_started = time.monotonic()
        code = server.stop(signal.SIGTERM, timeout=STOP_TIMEOUT)
        stop_seconds = time.monotonic() - stop_started
    finally:
        server.stop(signal.SIGKILL, timeout=5)
    assert code == 0, server.output
    assert stop_seconds < STOP_TIMEOUT
    assert first_200 < 20
    shipped = [record for job in queue.get_jobs() for record in job.args[0]]
    # Filtered: this process's own shipper may put its batches back in the queue.
    ours = [
        r["query_string"]
        for r in shipped
        if r["path"] == "/api/v1/" and r.get("query_string", "").startswith("n=")
    ]
    assert sorted(ours) == [f"n={n}" for n in range(5)]
    if runuser:
        assert whoami.stdout.strip() == "nobody"  # not root, as in the image
    queue.empty()
