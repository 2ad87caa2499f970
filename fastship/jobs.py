"""Queue access for the whole project: RQ when Redis is configured, inline otherwise."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import django_rq
from django.conf import settings
from django.db import close_old_connections, transaction
from rq import Queue
from rq.job import Job, JobStatus

from fastship import tracing
from fastship.handoff import BackgroundHandoff, HandoffConfig
from fastship.logs import request_id_var
from fastship.redis import QUEUE_NAMES, fail_fast_client, get_redis

logger = logging.getLogger(__name__)


def jobs_run_inline() -> bool:
    """Return whether jobs run in-process because no Redis is configured."""
    return settings.FASTSHIP_REDIS is None


def get_queue(name: str) -> Queue:
    """Return the RQ queue ``name`` on the shared, bounded Redis client.

    Passing ``connection=`` stops django-rq from building a new client and
    TCP connection on every call.
    """
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}; known: {', '.join(QUEUE_NAMES)}")
    return django_rq.get_queue(name, connection=get_redis(), commit_mode="auto")


def enqueue(
    queue_name: str,
    func: Callable[..., Any],
    *args: Any,
    job_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Job | None:
    """Enqueue ``func(*args, **kwargs)`` on ``queue_name``; without Redis, run it now.

    ``job_options`` are RQ's own (``job_timeout``, ``retry``, ``result_ttl``...).
    Inline runs are for development: an exception is logged, not raised, as a
    failing job would be on a worker.
    """
    if jobs_run_inline():
        try:
            func(*args, **kwargs)
        except Exception:
            logger.exception("inline job %s failed", getattr(func, "__name__", func))
        return None
    options = with_origin(dict(job_options or {}))
    return get_queue(queue_name).enqueue(func, args=args, kwargs=kwargs, **options)


def with_origin(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` whose ``meta`` carries the caller's request id and trace
    context (read in the caller's thread; a job's log lines and spans use them)."""
    meta = dict(options.get("meta", {}))
    request_id = request_id_var.get()
    if request_id:
        meta["request_id"] = request_id
    carrier = tracing.context_carrier()
    if carrier:
        meta["otel"] = carrier
    if meta:
        options["meta"] = meta
    return options


def enqueue_in(
    delay: timedelta,
    queue_name: str,
    func: Callable[..., Any],
    *args: Any,
    job_options: dict[str, Any] | None = None,
) -> Job | None:
    """Enqueue ``func(*args)`` to run after ``delay`` (RQ's scheduler, in the worker).

    Without Redis nothing is scheduled: work that must happen later is found
    by its periodic relay.
    """
    if jobs_run_inline():
        return None
    return get_queue(queue_name).enqueue_in(delay, func, *args, **(job_options or {}))


# RQ's scheduler keeps times in whole seconds: a job scheduled for a row due
# at +5.0 s may start at +4.1 s. A row due within this is claimed as due.
SCHEDULER_RESOLUTION = timedelta(seconds=1.5)

_LIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.DEFERRED})


def jobs_alive(
    queue_name: str, job_ids: list[str], *, started_within: timedelta
) -> set[str]:
    """Which of ``job_ids`` are queued or deferred, or started less than
    ``started_within`` ago (a job started longer ago belongs to a worker that
    died or hangs: its row's lease says what to do).

    A relay asks this before it enqueues a record's job under the record's
    job id, so a record is never queued twice. It asks only about rows that
    are overdue: a job of theirs still *scheduled* was missed by a scheduler
    that died or lags (a killed worker holds the scheduler's lock for a
    minute), so it is not counted alive and the relay queues the row now (if
    the scheduler wakes up later, the row's claim turns that run away).
    """
    if not job_ids or jobs_run_inline():
        return set()
    connection = get_queue(queue_name).connection
    since = datetime.now(UTC) - started_within
    alive = set()
    for job_id, job in zip(
        job_ids, Job.fetch_many(job_ids, connection=connection), strict=True
    ):
        if job is None:
            continue
        status = job.get_status(refresh=False)
        if status in _LIVE_STATUSES:
            alive.add(job_id)
        elif status == JobStatus.STARTED and job.started_at is not None:
            started = job.started_at.replace(tzinfo=job.started_at.tzinfo or UTC)
            if started > since:
                alive.add(job_id)
    return alive


def enqueue_unless_alive(
    queue_name: str,
    func: Callable[..., Any],
    due: dict[str, Any],
    *,
    started_within: timedelta,
    job_options: dict[str, Any],
) -> int:
    """Enqueue ``func(argument)`` under each job id of ``due`` (job id →
    argument) whose job is not alive (:func:`jobs_alive`); return how many.
    A relay's hand-over: a record is never queued twice."""
    alive = jobs_alive(queue_name, list(due), started_within=started_within)
    enqueued = 0
    for job_id, argument in due.items():
        if job_id in alive:
            continue
        enqueue(
            queue_name, func, argument, job_options={**job_options, "job_id": job_id}
        )
        enqueued += 1
    return enqueued


class RequestBoundJob(Job):
    """A job whose log lines carry the request id of the request that enqueued it.

    Workers run jobs in their own process (no fork per job): each job starts
    and ends by dropping a database connection that broke or grew too old, as
    Django does around a request.
    """

    def perform(self) -> Any:
        token = request_id_var.set(self.meta.get("request_id"))
        close_old_connections()
        try:
            with tracing.job_span(self.func_name or "?", self.meta.get("otel")):
                return super().perform()
        finally:
            close_old_connections()
            request_id_var.reset(token)


class BackgroundEnqueuer:
    """Hand jobs to RQ through the one hand-off: the caller never waits on Redis.

    For work that is already recorded durably (the notification outbox): when
    Redis is slow or down the hand-over fails fast (or meets the open breaker),
    is counted and logged, and the periodic relay enqueues the work later.
    Without Redis, jobs run inline at once.
    """

    def __init__(self, *, capacity: int = 1000, timeout: float = 0.5) -> None:
        self.capacity = capacity
        self.timeout = timeout
        self._init_state()
        # A forked child hands over its own jobs, from a fresh buffer.
        os.register_at_fork(after_in_child=self._init_state)

    def _init_state(self) -> None:
        self._queues: dict[str, Queue] = {}
        self._handoff = BackgroundHandoff(
            HandoffConfig(buffer_size=self.capacity, batch_size=1, flush_interval=0),
            send=self._send,
            fallback=self._relay_later,
            name="job-handover",
        )

    @property
    def handed_over(self) -> int:
        return self._handoff.stored

    @property
    def failed(self) -> int:
        return self._handoff.fallback_written

    @property
    def skipped(self) -> int:
        return self._handoff.dropped

    def submit(
        self, queue_name: str, func: Callable[..., Any], *args: Any, **job_options: Any
    ) -> None:
        """Queue the hand-over without waiting; a full buffer skips it (counted).

        Without Redis the job runs here and now, as :func:`enqueue` runs it: a
        thread of its own would race the request's SQLite connection.
        """
        if jobs_run_inline():
            enqueue(queue_name, func, *args)
            return
        self._handoff.submit((queue_name, func, args, with_origin(job_options)))

    def submit_after_commit(
        self, queue_name: str, func: Callable[..., Any], *args: Any, **job_options: Any
    ) -> None:
        """:meth:`submit` once the current transaction commits (an outbox row's
        job must not run before its row is visible, nor at all on a rollback)."""
        transaction.on_commit(
            functools.partial(self.submit, queue_name, func, *args, **job_options)
        )

    def _queue(self, name: str) -> Queue:
        queue = self._queues.get(name)
        if queue is None:
            client = fail_fast_client(self.timeout)
            queue = django_rq.get_queue(name, connection=client, commit_mode="auto")
            self._queues[name] = queue
        return queue

    def _send(self, batch: list[Any]) -> None:
        for queue_name, func, args, job_options in batch:
            self._queue(queue_name).enqueue(func, args=args, **job_options)

    @staticmethod
    def _relay_later(batch: list[Any]) -> None:
        for _, func, _, _ in batch:
            logger.warning(
                "hand-over of %s to RQ failed; the relay enqueues it later",
                getattr(func, "__name__", func),
            )

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything submitted so far was handed over (tests, commands)."""
        self._handoff.drain(timeout)


# Needs no settings to build: a plain module-level instance.
background_enqueuer = BackgroundEnqueuer()
