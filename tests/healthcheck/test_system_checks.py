"""System checks: probe first, ASGI entry wraps Django, clients bounded."""

from __future__ import annotations

import copy

from healthcheck.system_checks import (
    PROBE_MIDDLEWARE,
    asgi_application_puts_probe_in_front,
    clients_have_timeouts,
    database_timeout_warnings,
    probe_middleware_is_first,
)


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_project_settings_pass():
    """The project's own settings raise nothing."""
    assert probe_middleware_is_first() == []
    assert asgi_application_puts_probe_in_front() == []
    assert clients_have_timeouts() == []


def test_middleware_not_first_is_an_error(settings):
    """Anything in front of the probe middleware is an error."""
    settings.MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        PROBE_MIDDLEWARE,
        "django.middleware.common.CommonMiddleware",
    ]
    messages = probe_middleware_is_first()
    assert ids(messages) == ["healthcheck.E001"]
    assert "position 2" in messages[0].msg


def test_middleware_missing_is_an_error(settings):
    """A missing probe middleware is an error."""
    settings.MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
    assert ids(probe_middleware_is_first()) == ["healthcheck.E001"]


def test_asgi_without_probe_layer_is_an_error(settings):
    """An ASGI entry point that is plain Django is an error."""
    settings.ASGI_APPLICATION = "fastship.asgi.django_application"
    assert ids(asgi_application_puts_probe_in_front()) == ["healthcheck.E002"]


def test_redis_client_without_timeouts_warns(settings):
    """A Redis queue client without timeouts is a warning."""
    from fastship.env import RedisConfig

    settings.FASTSHIP_REDIS = RedisConfig(host="127.0.0.1")
    queues = copy.deepcopy(settings.RQ_QUEUES)
    queues["emails"]["REDIS_CLIENT_KWARGS"] = {}
    settings.RQ_QUEUES = queues
    assert "healthcheck.W001" in ids(clients_have_timeouts())


def test_database_without_timeouts_warns():
    """A PostgreSQL database without connect or statement timeout is a warning."""
    databases = {"other": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}}
    messages = database_timeout_warnings(databases)
    assert ids(messages) == ["healthcheck.W002"]
    assert "connect_timeout or statement_timeout" in messages[0].msg


def test_manage_check_reports_wrong_order(tmp_path):
    """`manage.py check` itself fails when the middleware order is wrong."""
    import subprocess
    import sys

    from tests.servers import PROJECT_DIR, server_env

    code = (
        "import django\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "import fastship.settings as s\n"
        "s.MIDDLEWARE.append(s.MIDDLEWARE.pop(0))\n"
        "django.setup()\n"
        "call_command('check')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=server_env(DJANGO_SETTINGS_MODULE="fastship.settings"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "healthcheck.E001" in result.stderr
