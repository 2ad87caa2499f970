"""Settings as a process sees them: production fail-fast and a clean deploy check."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.servers import PROJECT_DIR, server_env

PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "prod-secret-9f3c2a7e1b5d4c8a6e0f2b4d6a8c0e1f3a5b7c9d1e3f5a7b",
    "JWT_SECRET": "jwt-secret-distinct-4b6d8f0a2c4e6a8c0e2f4a6b8d0f2a4c",
    "DJANGO_ALLOWED_HOSTS": "api.fastship.example",
    "DATABASE_URL": None,
    "REDIS_URL": None,
}


def run_manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=server_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "JWT_SECRET", "DJANGO_ALLOWED_HOSTS"]
)
def test_production_refuses_to_start_without_required_variable(missing):
    """Production start-up fails with a message naming the missing variable."""
    result = run_manage("check", **{**PRODUCTION, missing: None})
    assert result.returncode != 0
    assert f"{missing} is required" in result.stderr


def test_production_refuses_jwt_secret_equal_to_django_secret():
    """The JWT secret must be distinct from the Django secret."""
    result = run_manage(
        "check", **{**PRODUCTION, "JWT_SECRET": PRODUCTION["DJANGO_SECRET_KEY"]}
    )
    assert result.returncode != 0
    assert "JWT_SECRET must differ" in result.stderr


def test_check_deploy_is_clean_in_production():
    """`manage.py check --deploy` reports nothing with a production environment."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_bad_environment_name_is_refused():
    """An unknown DJANGO_ENV stops start-up."""
    result = run_manage("check", DJANGO_ENV="staging")
    assert result.returncode != 0
    assert "DJANGO_ENV must be one of" in result.stderr


def test_production_logs_are_json_lines():
    """Production logs one JSON object per line on stdout."""
    code = (
        "import django, logging, json; django.setup(); "
        "logging.getLogger('fastship.test')"
        ".warning('hello %s', 'world', extra={'k': 1})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=server_env(DJANGO_SETTINGS_MODULE="fastship.settings", **PRODUCTION),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    import json

    event = json.loads(result.stdout.strip().splitlines()[-1])
    assert event["message"] == "hello world"
    assert event["level"] == "WARNING"
    assert event["k"] == 1
