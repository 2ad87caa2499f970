"""Delete request logs past their retention, in chunks (no long table lock)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from fastship.requestlog.models import RequestLog

logger = logging.getLogger(__name__)

PRUNE_JOB_ID = "requestlog-prune-daily"


def request_logs_prune(*, older_than_days: int, chunk_size: int = 5000) -> int:
    """Delete records started more than ``older_than_days`` ago; return how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted = 0
    while True:
        ids = list(
            RequestLog.objects.filter(started_at__lt=cutoff).values_list(
                "id", flat=True
            )[:chunk_size]
        )
        if not ids:
            return deleted
        deleted += RequestLog.objects.filter(id__in=ids).delete()[0]


def prune_request_logs_daily() -> int:
    """RQ job: prune by the configured retention, then schedule itself a day later.

    Needs a worker started with ``--with-scheduler`` (``docker/entrypoint.sh worker``).
    """
    deleted = request_logs_prune(older_than_days=settings.REQUEST_LOG_RETENTION_DAYS)
    logger.info("pruned %d request logs", deleted)
    schedule_daily_pruning()
    return deleted


def schedule_daily_pruning() -> None:
    """Put the daily pruning job on the scheduler once (fixed job id, no duplicate)."""
    from fastship.jobs import schedule_every

    schedule_every(
        "default", prune_request_logs_daily, seconds=24 * 3600, job_id=PRUNE_JOB_ID
    )
