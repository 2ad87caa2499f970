"""Ship request-log records off the request path through the one hand-off.

Records go through :class:`fastship.handoff.BackgroundHandoff` in batches, to
one RQ job per batch; the fallback is stdout, as JSON lines.

A batch counts as stored only when the worker confirms it: the job sets a
short-lived acknowledgement key after its insert (idempotent by record id, so
a batch sent again after Redis lost its job is never stored twice).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
from typing import Any

from fastship import metrics
from fastship.handoff import BackgroundHandoff, Confirmer, HandoffConfig, Sender
from fastship.process_local import ProcessLocal
from fastship.redis import fail_fast_client

logger = logging.getLogger(__name__)
fallback_logger = logging.getLogger("fastship.requestlog.fallback")

Record = dict[str, Any]


def write_fallback(records: list[Record]) -> None:
    """Write records as JSON lines to the stdout log (the raw fallback logger)."""
    for record in records:
        fallback_logger.info(
            json.dumps({"event": "request_log", **record}, default=str)
        )


def report_losses(dropped: int, fallback: int) -> None:
    """Records lost or sent to the fallback since the last report, as metrics."""
    metrics.emit(
        {metrics.REQUEST_LOG_DROPPED: dropped, metrics.REQUEST_LOG_FALLBACK: fallback}
    )


# --- the process-wide shipper ------------------------------------------------------


ACK_KEY_PREFIX = "fastship:requestlog:stored:"
ACK_SECONDS = 600


def rq_sender(timeout: float) -> tuple[Sender, Confirmer]:
    """Return a sender enqueueing one job per batch, and its confirmer.

    Both use one client of their own with bounded timeouts (rebuilt in a
    forked child). The job sets an acknowledgement key once it stored the
    batch; a job whose hash and acknowledgement are both gone was lost.
    """
    from rq import Queue, Retry

    from fastship.requestlog.jobs import store_request_logs

    queues: dict[int, Queue] = {}

    def queue() -> Queue:
        existing = queues.get(os.getpid())
        if existing is None:
            client = fail_fast_client(timeout)
            existing = Queue("request_logs", connection=client)
            queues.clear()
            queues[os.getpid()] = existing
        return existing

    def send(batch: list[Record]) -> str:
        job = queue().enqueue(
            store_request_logs,
            args=(batch,),
            result_ttl=0,
            ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            job_timeout=60,
            retry=Retry(max=3, interval=[10, 60, 300]),
        )
        return str(job.id)

    def confirm(receipts: list[str]) -> dict[str, str]:
        connection = queue().connection
        with connection.pipeline(transaction=False) as pipeline:
            for receipt in receipts:
                pipeline.exists(f"{ACK_KEY_PREFIX}{receipt}")
                pipeline.hget(f"rq:job:{receipt}", "status")
            answers = pipeline.execute()
        outcomes = {}
        for index, receipt in enumerate(receipts):
            acknowledged, status = answers[2 * index], answers[2 * index + 1]
            if acknowledged:
                outcomes[receipt] = "stored"
            elif status is None:
                outcomes[receipt] = "missing"
            elif status in (b"failed", b"stopped", b"canceled"):
                outcomes[receipt] = "failed"
            else:
                outcomes[receipt] = "waiting"
        return outcomes

    return send, confirm


def inline_sender(batch: list[Record]) -> str | None:
    """Without Redis: store the batch from the shipper thread itself."""
    from django.db import connections

    from fastship.requestlog.jobs import store_request_logs

    try:
        store_request_logs(batch)
    finally:
        # This thread's connections: nobody else would ever close them.
        connections.close_all()
    return None


def config_from_settings() -> HandoffConfig:
    from django.conf import settings

    return HandoffConfig(
        buffer_size=settings.REQUEST_LOG_BUFFER_SIZE,
        batch_size=settings.REQUEST_LOG_BATCH_SIZE,
        flush_interval=settings.REQUEST_LOG_FLUSH_INTERVAL,
        enqueue_timeout=settings.REQUEST_LOG_ENQUEUE_TIMEOUT,
        breaker_threshold=settings.REQUEST_LOG_BREAKER_THRESHOLD,
        breaker_reset_seconds=settings.REQUEST_LOG_BREAKER_RESET_SECONDS,
        exit_flush_seconds=settings.REQUEST_LOG_EXIT_FLUSH_SECONDS,
        confirm_seconds=settings.REQUEST_LOG_CONFIRM_SECONDS,
    )


def _build_shipper() -> BackgroundHandoff:
    from django.conf import settings

    config = config_from_settings()
    send: Sender
    confirm: Confirmer | None
    if settings.FASTSHIP_REDIS is None:
        send, confirm = inline_sender, None
    else:
        send, confirm = rq_sender(config.enqueue_timeout)
    atexit.register(flush_shipper)
    return BackgroundHandoff(
        config,
        send=send,
        confirm=confirm,
        fallback=write_fallback,
        name="request-log-shipper",
        report_losses=report_losses,
    )


# In a forked child the parent ships what it buffered; the child starts afresh.
_shipper = ProcessLocal(
    _build_shipper,
    close=lambda shipper: shipper.flush(1.0),
    after_fork=BackgroundHandoff.reset_after_fork,
)
# This process's shipper, built from settings on first use.
get_shipper = _shipper.get
# Flush and forget the shipper (tests that change settings).
reset_shipper = _shipper.reset


def flush_shipper(timeout: float | None = None) -> None:
    """Flush this process's shipper if it exists (atexit, gunicorn worker_exit)."""
    shipper = _shipper.peek()
    if shipper is not None:
        shipper.flush(timeout)
