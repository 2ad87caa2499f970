"""The one place that builds Redis clients: every client gets bounded timeouts.

redis-py 8 retries a failed call ten times with 5 s socket timeouts by default,
so one call against a hung server costs about a minute; redis-py 7 waits
forever. Every client here gets explicit connect and socket timeouts and an
explicit retry policy instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from fastship.process_local import ProcessLocal

if TYPE_CHECKING:
    from fastship.env import RedisConfig


# Every RQ queue (the one place they are named). The worker takes them in
# turns (round robin), so a flood in one cannot starve another: request-log
# batches, outbox mails, webhook deliveries, the periodic jobs, and "default"
# for anything else (and what an earlier release enqueued there).
QUEUE_NAMES = ("request_logs", "emails", "webhooks", "periodic", "default")


@dataclass(frozen=True)
class RedisTimeouts:
    """Bounds of one Redis client: seconds to connect, seconds per reply, retries."""

    connect_seconds: float
    socket_seconds: float
    retries: int


def retry_policy(retries: int) -> Retry:
    """Return redis-py's retry object for ``retries`` extra attempts, short backoff."""
    if retries <= 0:
        return Retry(NoBackoff(), 0)
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), retries)


def client_options(config: RedisConfig, timeouts: RedisTimeouts) -> dict[str, Any]:
    """Return the connection keyword arguments every client of ``config`` shares."""
    options: dict[str, Any] = {
        "socket_connect_timeout": timeouts.connect_seconds,
        "socket_timeout": timeouts.socket_seconds,
        "retry": retry_policy(timeouts.retries),
        "health_check_interval": 30,
    }
    if config.ssl:
        options["ssl_cert_reqs"] = config.ssl_cert_reqs
    return options


def build_client(config: RedisConfig, timeouts: RedisTimeouts) -> Redis:
    """Return a new client for ``config`` with the given bounds."""
    return Redis(
        host=config.host,
        port=config.port,
        db=config.db,
        username=config.username,
        password=config.password,
        ssl=config.ssl,
        **client_options(config, timeouts),
    )


def cache_config(
    config: RedisConfig | None,
    timeouts: RedisTimeouts,
    *,
    throttle_timeouts: RedisTimeouts,
) -> dict[str, dict[str, Any]]:
    """Return Django's ``CACHES``: in Redis when configured, else local memory.

    ``throttle`` holds the throttles' counters, on a client with its own
    (shorter) timeouts.
    """
    if config is None:
        local = "django.core.cache.backends.locmem.LocMemCache"
        return {
            "default": {"BACKEND": local},
            "throttle": {"BACKEND": local, "LOCATION": "throttle"},
        }
    return {
        name: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": config.url,
            "OPTIONS": client_options(config, bounds),
            "KEY_PREFIX": "fastship",
        }
        for name, bounds in (("default", timeouts), ("throttle", throttle_timeouts))
    }


def rq_queue_config(
    config: RedisConfig | None, timeouts: RedisTimeouts, *, job_timeout: int
) -> dict[str, Any]:
    """Return one django-rq ``RQ_QUEUES`` entry that builds bounded clients.

    django-rq honours extra client arguments only in the HOST/PORT form
    (``REDIS_CLIENT_KWARGS``), not in the URL form, so the URL is taken apart.
    Without Redis the entry still points at the default local port, so the
    dashboard reports "connection refused" instead of failing to load;
    application jobs then run inline (see ``fastship.jobs``).
    """
    if config is None:
        from fastship.env import RedisConfig

        config = RedisConfig(host="127.0.0.1")
    entry: dict[str, Any] = {
        "HOST": config.host,
        "PORT": config.port,
        "DB": config.db,
        "USERNAME": config.username,
        "PASSWORD": config.password,
        "SSL": config.ssl,
        "SSL_CERT_REQS": config.ssl_cert_reqs,
        "DEFAULT_TIMEOUT": job_timeout,
        "REDIS_CLIENT_KWARGS": {
            key: value
            for key, value in client_options(config, timeouts).items()
            if key != "ssl_cert_reqs"
        },
    }
    return entry


def client_from_settings(timeouts: RedisTimeouts) -> Redis:
    """Return a new client for the configured Redis with ``timeouts`` of its own.

    For callers that must fail faster than the shared client (probes, the
    request-log shipper, the notification hand-over).
    """
    from django.conf import settings

    if settings.FASTSHIP_REDIS is None:
        raise RuntimeError("Redis is not configured (set REDIS_URL or REDIS_HOST)")
    return build_client(settings.FASTSHIP_REDIS, timeouts)


def fail_fast_client(seconds: float) -> Redis:
    """Return a new client for the configured Redis: ``seconds`` per step, no retry.

    For the paths that must never wait long (the background hand-overs, the
    readiness probe, the worker's health command).
    """
    return client_from_settings(
        RedisTimeouts(connect_seconds=seconds, socket_seconds=seconds, retries=0)
    )


def _client_from_settings() -> Redis:
    from django.conf import settings

    return client_from_settings(settings.FASTSHIP_REDIS_TIMEOUTS)


# redis-py's pool notices a fork by pid and reconnects, so the same client is
# safe in gunicorn workers.
_shared: ProcessLocal[Redis] = ProcessLocal(_client_from_settings, close=Redis.close)
# The process-wide client built from settings (one pool, bounded).
get_redis = _shared.get
# Forget the shared client (tests that repoint Redis call this).
reset_shared_client = _shared.reset
