"""The request logs' jobs: store a batch of records; prune by retention."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError

from fastship.requestlog import partitions
from fastship.requestlog.models import RequestLog

logger = logging.getLogger(__name__)

FIELDS = frozenset(field.name for field in RequestLog._meta.fields) - {"id"}


def store_request_logs(records: list[dict[str, Any]]) -> int:
    """Insert a batch with one bulk insert; a re-run batch inserts nothing twice."""
    rows = []
    for record in records:
        values = {key: value for key, value in record.items() if key in FIELDS}
        values["started_at"] = datetime.fromisoformat(values["started_at"])
        rows.append(RequestLog(**values))
    try:
        RequestLog.objects.bulk_create(rows, ignore_conflicts=True)
    except IntegrityError as error:
        # A day with no partition yet (the periodic job makes them a week
        # ahead; this worker may have been away longer): make it, once.
        if not partitions.is_missing_partition(error):
            raise
        partitions.partitions_ensure(
            days={row.started_at.astimezone(UTC).date() for row in rows}
        )
        RequestLog.objects.bulk_create(rows, ignore_conflicts=True)
    acknowledge_stored()
    return len(rows)


def acknowledge_stored() -> None:
    """Tell the shipper that enqueued this job that its batch is stored."""
    from rq import get_current_job

    from fastship.requestlog.shipper import ACK_KEY_PREFIX, ACK_SECONDS

    job = get_current_job()
    if job is not None:  # None when called inline, without RQ
        job.connection.set(f"{ACK_KEY_PREFIX}{job.id}", 1, ex=ACK_SECONDS)


def prune_request_logs_job() -> int:
    """Periodic (``FASTSHIP_PERIODIC_JOBS``): make the next days' partitions and
    prune by the configured retention (whole days on PostgreSQL)."""
    from fastship.requestlog.pruning import request_logs_prune

    deleted = request_logs_prune(older_than_days=settings.REQUEST_LOG_RETENTION_DAYS)
    logger.info("pruned %d request logs", deleted)
    return deleted
