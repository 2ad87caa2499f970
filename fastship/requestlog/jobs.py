"""The request logs' jobs: store a batch of records; prune by retention."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction

from fastship.requestlog import partitions
from fastship.requestlog.models import RequestLog
from fastship.requestlog.shipper import write_fallback

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
        _insert(rows)
    except DataError:
        # One record the database refuses (a value it cannot store) must not
        # cost the others: each is tried alone, and a refused one is written
        # to the fallback log line (never lost) instead.
        for row in rows:
            try:
                _insert([row])
            except DataError as error:
                logger.warning(
                    "request-log record %s not storable (%s): on stdout instead",
                    row.record_id,
                    type(error).__name__,
                )
                write_fallback([_as_record(row)])
    acknowledge_stored()
    return len(rows)


def _insert(rows: list[RequestLog]) -> None:
    """One bulk insert (its own savepoint: a failure leaves a caller's
    transaction usable); a missing day's partition is made, once."""
    try:
        with transaction.atomic():
            RequestLog.objects.bulk_create(rows, ignore_conflicts=True)
    except IntegrityError as error:
        # A day with no partition yet (the periodic job makes them a week
        # ahead; this worker may have been away longer): make it, once.
        if not partitions.is_missing_partition(error):
            raise
        partitions.partitions_ensure(
            days={row.started_at.astimezone(UTC).date() for row in rows}
        )
        with transaction.atomic():
            RequestLog.objects.bulk_create(rows, ignore_conflicts=True)


def _as_record(row: RequestLog) -> dict[str, Any]:
    record = {name: getattr(row, name) for name in FIELDS}
    record["started_at"] = row.started_at.isoformat()
    record["record_id"] = str(row.record_id)
    return record


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
