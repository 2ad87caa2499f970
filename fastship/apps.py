"""The project's own app: its management commands and start-up tuning."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class FastShipConfig(AppConfig):
    name = "fastship"
    verbose_name = "FastShip"

    def ready(self) -> None:
        from fastship import checks, error_reporting, timestamps  # noqa: F401

        error_reporting.init()  # nothing unless SENTRY_DSN is set
        from fastship import tracing

        tracing.configure()  # nothing unless the OTEL_* variables ask for it

        pool_reconnect_without_backoff()
        pool_check_without_round_trip()
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


def pool_check_without_round_trip() -> None:
    """Check a pooled connection by looking at its socket, not by a query.

    Django has the pool check each connection it hands out with an empty
    query: a round trip per request (a twentieth of a detail request's
    CPU). An idle connection receives nothing; one the server ended has the
    server's goodbye (or the end of the stream) waiting on its socket. So
    when nothing waits the connection is handed out at once, and only when
    something does is the real check run, which reads it and discards a
    broken connection.
    """
    import select

    from psycopg_pool import ConnectionPool

    original = ConnectionPool.check_connection
    if getattr(original, "looks_at_socket", False):
        return

    def check_connection(conn: Any) -> None:
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):
            readable = [True]  # closed or odd: let the real check decide
        if readable:
            original(conn)

    check_connection.looks_at_socket = True  # type: ignore[attr-defined]
    ConnectionPool.check_connection = staticmethod(check_connection)  # type: ignore[method-assign]
