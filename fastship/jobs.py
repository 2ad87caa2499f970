"""Queue access for the whole project: RQ when Redis is configured, inline otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import django_rq
from django.conf import settings
from rq import Queue
from rq.job import Job

from fastship.logs import request_id_var
from fastship.redis import get_redis

logger = logging.getLogger(__name__)

QUEUE_NAMES = ("default", "emails", "request_logs")


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
