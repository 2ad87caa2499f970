"""Django system checks that keep the probe first and every client bounded."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

PROBE_MIDDLEWARE = "healthcheck.middleware.ProbeMiddleware"


@register(Tags.compatibility)
def probe_middleware_is_first(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """The probe middleware must be first: anything before it could wait or refuse."""
    middleware = list(settings.MIDDLEWARE)
    if middleware and middleware[0] == PROBE_MIDDLEWARE:
        return []
    where = (
        f"it is at position {middleware.index(PROBE_MIDDLEWARE) + 1} "
        f"behind {middleware[0]}"
        if PROBE_MIDDLEWARE in middleware
        else "it is missing"
    )
    return [
        Error(
            f"{PROBE_MIDDLEWARE} must be the first entry of MIDDLEWARE; {where}.",
            hint="Middleware in front of the probe (host validation, HTTPS redirect, "
            "sessions, request logging) can make the load balancer's probe fail "
            "or hang.",
            id="healthcheck.E001",
        )
    ]


@register(Tags.compatibility)
def asgi_application_puts_probe_in_front(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """The ASGI entry point must wrap Django in the probe layer."""
    from healthcheck.asgi import ProbeASGIMiddleware

    path = getattr(settings, "ASGI_APPLICATION", None)
    if not path:
        return [Error("ASGI_APPLICATION is not set.", id="healthcheck.E002")]
    try:
        application = import_string(path)
    except ImportError as error:
        return [
            Error(
                f"ASGI_APPLICATION {path!r} cannot be imported: {error}",
                id="healthcheck.E002",
            )
        ]
    if isinstance(application, ProbeASGIMiddleware):
        return []
    return [
        Error(
            f"ASGI_APPLICATION {path!r} does not put the probe in front of Django.",
            hint="Wrap Django: ProbeASGIMiddleware(get_asgi_application()).",
            id="healthcheck.E002",
        )
    ]


def _missing_timeouts(options: dict[str, Any]) -> list[str]:
    return [
        name
        for name in ("socket_connect_timeout", "socket_timeout")
        if options.get(name) is None
    ] + ([] if options.get("retry") is not None else ["retry"])


@register(Tags.compatibility)
def clients_have_timeouts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn about a Redis client or database connection without a timeout."""
    messages: list[CheckMessage] = []
    if settings.FASTSHIP_REDIS is not None:
        for name, entry in settings.RQ_QUEUES.items():
            missing = _missing_timeouts(entry.get("REDIS_CLIENT_KWARGS", {}))
            if missing:
                messages.append(
                    Warning(
                        f"RQ queue {name!r} builds Redis clients without "
                        f"{', '.join(missing)}.",
                        hint="A hung Redis then blocks each call for a minute or more.",
                        id="healthcheck.W001",
                    )
                )
        caches: dict[str, dict[str, Any]] = settings.CACHES
        for alias, cache in caches.items():
            if "redis" in cache.get("BACKEND", "").lower():
                missing = _missing_timeouts(cache.get("OPTIONS", {}))
                if missing:
                    messages.append(
                        Warning(
                            f"Cache {alias!r} uses Redis without {', '.join(missing)}.",
                            id="healthcheck.W001",
                        )
                    )
    messages.extend(database_timeout_warnings(settings.DATABASES))
    return messages


def database_timeout_warnings(
    databases: dict[str, dict[str, Any]],
) -> list[CheckMessage]:
    """Warn about each PostgreSQL database without connect or statement timeout."""
    messages: list[CheckMessage] = []
    for alias, database in databases.items():
        if database.get("ENGINE") != "django.db.backends.postgresql":
            continue
        options = database.get("OPTIONS", {})
        missing = []
        if not options.get("connect_timeout"):
            missing.append("connect_timeout")
        if "statement_timeout" not in str(options.get("options", "")):
            missing.append("statement_timeout")
        if missing:
            messages.append(
                Warning(
                    f"Database {alias!r} has no {' or '.join(missing)}.",
                    hint="A hung database then holds requests forever.",
                    id="healthcheck.W002",
                )
            )
    return messages
