"""Queue access for the whole project: RQ when Redis is configured, inline otherwise."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import django_rq
from django.conf import settings
from rq import Queue
from rq.job import Job

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
    options = dict(job_options or {})
    request_id = request_id_var.get()
    if request_id:
        options["meta"] = {**options.get("meta", {}), "request_id": request_id}
    return get_queue(queue_name).enqueue(func, args=args, kwargs=kwargs, **options)


class RequestBoundJob(Job):
    """A job whose log lines carry the request id of the request that enqueued it."""

    def perform(self) -> Any:
        token = request_id_var.set(self.meta.get("request_id"))
        try:
            return super().perform()
        finally:
            request_id_var.reset(token)


class BackgroundEnqueuer:
    """Hand jobs to RQ from a thread of its own: the caller never waits on Redis.

    For work that is already recorded durably (the notification outbox): when
    Redis is slow or down the hand-over fails fast, is counted, and a periodic
    relay enqueues the work later. Without Redis, jobs run inline at once.
    """

    def __init__(self, *, capacity: int = 1000, timeout: float = 0.5) -> None:
        self.capacity = capacity
        self.timeout = timeout
        self._init_state()

    def _init_state(self) -> None:
        import queue as queue_module

        self._items: queue_module.Queue[
            tuple[str, Callable[..., Any], tuple[Any, ...], dict]
        ] = queue_module.Queue(maxsize=self.capacity)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._queues: dict[str, Queue] = {}
        self.handed_over = 0
        self.failed = 0
        self.skipped = 0

    def submit(
        self, queue_name: str, func: Callable[..., Any], *args: Any, **job_options: Any
    ) -> None:
        """Queue the hand-over without waiting; a full queue skips it (counted).

        Without Redis the job runs here and now, as :func:`enqueue` runs it: a
        thread of its own would race the request's SQLite connection.
        """
        import queue as queue_module

        if jobs_run_inline():
            enqueue(queue_name, func, *args)
            self.handed_over += 1
            return
        try:
            self._items.put_nowait((queue_name, func, args, job_options))
        except queue_module.Full:
            self.skipped += 1
            return
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="job-handover", daemon=True
                    )
                    self._thread.start()

    def _queue(self, name: str) -> Queue:
        queue = self._queues.get(name)
        if queue is None:
            client = fail_fast_client(self.timeout)
            queue = django_rq.get_queue(name, connection=client, commit_mode="auto")
            self._queues[name] = queue
        return queue

    def _run(self) -> None:
        while True:
            queue_name, func, args, job_options = self._items.get()
            try:
                self._queue(queue_name).enqueue(func, args=args, **job_options)
                self.handed_over += 1
            except Exception as error:
                self.failed += 1
                logger.warning(
                    "hand-over of %s to RQ failed (%s); the relay retries later",
                    getattr(func, "__name__", func),
                    type(error).__name__,
                )
            finally:
                self._items.task_done()

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything submitted so far was handed over (tests, shutdown)."""
        import time

        deadline = time.monotonic() + timeout
        while self._items.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)


background_enqueuer = BackgroundEnqueuer()
os.register_at_fork(after_in_child=background_enqueuer._init_state)
