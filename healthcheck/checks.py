"""The infrastructure's readiness checks: database, migrations, Redis, queues.

Adding a check: subclass ``ReadinessCheck`` (a ``name``, a ``measure``) where
the thing it checks lives, and ``register_check`` it in that app's
``AppConfig.ready`` (``shipping`` and ``fastship.requestlog`` do).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from redis import Redis

from fastship.process_local import ProcessLocal
from fastship.redis import QUEUE_NAMES, fail_fast_client
from healthcheck.readiness import (
    CheckError,
    CheckResult,
    ReadinessCheck,
    Status,
    elapsed_ms,
    register_check,
)


class DatabaseCheck(ReadinessCheck):
    """``SELECT 1`` on a connection of its own, closed after (no thread-local leak)."""

    name = "database:responseTime"
    component_type = "datastore"
    failure_status = "fail"

    def measure(self) -> CheckResult:
        started = time.perf_counter()
        connection = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        finally:
            connection.close()
        return CheckResult("pass", elapsed_ms(started), "ms")


class MigrationsCheck(ReadinessCheck):
    """Every migration on disk is applied; once true, it stays true for the process."""

    name = "database:migrations"
    component_type = "datastore"
    failure_status = "fail"

    def __init__(self, *, timeout: float = 1.0) -> None:
        super().__init__(timeout=timeout)
        self._all_applied = False

    def measure(self) -> CheckResult:
        if self._all_applied:
            return CheckResult("pass", 0, "unapplied migrations")
        connection = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()
        if plan:
            raise CheckError(
                "migrations not applied",
                observed_value=len(plan),
                observed_unit="unapplied migrations",
            )
        self._all_applied = True
        return CheckResult("pass", 0, "unapplied migrations")


# This process's Redis client for checks: short timeouts, no retry.
health_redis_client: ProcessLocal[Redis] = ProcessLocal(
    lambda: fail_fast_client(0.5), close=Redis.close
)


def _redis_not_configured() -> CheckResult:
    # Development runs jobs inline on purpose; production without Redis is wrong.
    status: Status = "warn" if settings.DJANGO_ENV == "production" else "pass"
    return CheckResult(status, None, None, "not configured: jobs run inline")


class RedisCheck(ReadinessCheck):
    """PING the configured Redis."""

    name = "redis:responseTime"
    component_type = "datastore"
    failure_status = "warn"

    def measure(self) -> CheckResult:
        if settings.FASTSHIP_REDIS is None:
            return _redis_not_configured()
        started = time.perf_counter()
        health_redis_client.get().ping()
        return CheckResult("pass", elapsed_ms(started), "ms")


class QueuesCheck(ReadinessCheck):
    """Per RQ queue: depth, live workers, age of the oldest waiting job."""

    name = "rq:queues"
    component_type = "component"
    failure_status = "warn"

    def measure(self) -> CheckResult:
        if settings.FASTSHIP_REDIS is None:
            return _redis_not_configured()
        from rq import Queue, Worker

        client = health_redis_client.get()
        now = datetime.now(tz=UTC)
        queues: dict[str, dict[str, float | int | None]] = {}
        problems: list[str] = []
        for queue_name in QUEUE_NAMES:
            queue = Queue(queue_name, connection=client)
            oldest_age: float | None = None
            oldest_ids = queue.get_job_ids(0, 1)
            if oldest_ids:
                job = queue.fetch_job(oldest_ids[0])
                if job is not None and job.enqueued_at is not None:
                    enqueued = job.enqueued_at.replace(
                        tzinfo=job.enqueued_at.tzinfo or UTC
                    )
                    oldest_age = round((now - enqueued).total_seconds(), 1)
            workers = Worker.count(connection=client, queue=queue)
            queues[queue_name] = {
                "depth": queue.count,
                "workers": workers,
                "oldestJobAgeSeconds": oldest_age,
            }
            if workers == 0:
                problems.append(f"{queue_name}: no live worker")
            if oldest_age is not None and oldest_age > settings.HEALTH_QUEUE_MAX_AGE:
                problems.append(f"{queue_name}: oldest job waiting {oldest_age:.0f}s")
        if problems:
            raise CheckError(
                "; ".join(problems), observed_value=queues, observed_unit="jobs"
            )
        return CheckResult("pass", queues, "jobs")


def register_infrastructure_checks() -> None:
    """Register these checks first (healthcheck's AppConfig.ready)."""
    for check in (DatabaseCheck, MigrationsCheck, RedisCheck, QueuesCheck):
        register_check(check)
