"""The project's own app: its management commands and start-up tuning."""

from __future__ import annotations

from django.apps import AppConfig


class FastShipConfig(AppConfig):
    name = "fastship"
    verbose_name = "FastShip"

    def ready(self) -> None:
        from fastship import timestamps

        pool_reconnect_without_backoff()
        timestamps.install()


def pool_reconnect_without_backoff() -> None:
    """Make psycopg_pool retry a failed connection about every half second.

    Its default doubles the wait after each failure (1, 2, 4, 8 s...), so a
    server that started while PostgreSQL was down kept answering 503 for up
    to 18 s after the database came back. A try every 0.5 s (with its
    jitter) costs a database that is down two refused connections a second
    per process; the pool's own ``reconnect_timeout`` still bounds the tries.
    """
    from psycopg_pool.base import AttemptWithBackoff

    AttemptWithBackoff.INITIAL_DELAY = 0.5
    AttemptWithBackoff.DELAY_BACKOFF = 1.0
