"""The pool's check of a connection: no round trip, yet a dead one is caught."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def connect() -> psycopg.Connection:
    params = connection.get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    return psycopg.connect(**params, autocommit=True)


def last_query_of(pid: int) -> str:
    with connect() as watcher:
        row = watcher.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
    return str(row[0]) if row else ""


def test_a_healthy_connection_is_checked_without_a_query():
    with connect() as pooled:
        pooled.execute("SELECT 42")
        ConnectionPool.check_connection(pooled)
        assert last_query_of(pooled.info.backend_pid) == "SELECT 42"


def test_a_connection_the_server_ended_fails_the_check():
    pooled = connect()
    pooled.execute("SELECT 1")
    with connect() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pooled.info.backend_pid])
    time.sleep(0.2)  # the server's goodbye reaches the socket
    with pytest.raises(psycopg.OperationalError):
        ConnectionPool.check_connection(pooled)
    pooled.close()
